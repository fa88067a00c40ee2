"""The journeys' enrolments as the effect analysis sees them (`Outcome` rows, no member
named), and the mailed-against-held-out comparison of every journey (effect.py's
statistics on them)."""

import datetime as dt
from collections import defaultdict

from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from patronflow.journeys.models import Enrolment, Journey, Step, Version
from patronflow.mail.models import Message
from patronflow.members.models import Library, Loan
from patronflow.reports.effect import (
    MIN_GROUP,
    RULES,
    WINDOWS,
    Comparison,
    JourneyEffect,
    Outcome,
    effect_of,
    headline_of,
)
from patronflow.reports.metrics import sent_statuses
from patronflow.reports.waiting import Wait, weeks_to_verdict


def outcomes_of(journey: Journey, longest: int = max(WINDOWS)) -> list[Outcome]:
    """The journey's enrolments as Outcome rows: each one's start, and the member's loans and
    last visit after it (visits are only known as the member's last activity day, so a visit
    followed by a later one is only seen through the later one)."""
    first_sent = (
        Message.objects.filter(enrolment=OuterRef("pk"), status__in=sent_statuses())
        .exclude(sent_at=None)
        .order_by("sent_at")
        .values("sent_at")[:1]
    )
    first_wait = (
        Step.objects.filter(version=OuterRef("version")).order_by("position").values("wait_days")
    )[:1]
    rows = list(
        Enrolment.objects.filter(journey=journey)
        .annotate(first_sent_at=Subquery(first_sent), first_wait=Subquery(first_wait))
        .values_list(
            "member_id",
            "held_out",
            "entered_on",
            "first_sent_at",
            "first_wait",
            "member__last_activity_on",
            "member__has_online_profile",
        )
    )
    if not rows:
        return []
    # A journey may date an entry back (the welcome journey: to the registration day), and a
    # mail may wait for the send window; a held-out member's clock starts when the members who
    # entered with them were first mailed, so that both groups are measured from the same day.
    cohort_mailed: dict[tuple, dt.date] = {}
    for _member, held_out, entered_on, sent_at, wait, *_ in rows:
        if not held_out and sent_at is not None:
            day = timezone.localdate(sent_at)
            key = (entered_on, wait)
            cohort_mailed[key] = min(day, cohort_mailed.get(key, day))
    starts = []
    for _member, held_out, entered_on, sent_at, wait, *_ in rows:
        due = entered_on + dt.timedelta(days=wait or 0)
        if held_out:
            starts.append(max(due, cohort_mailed.get((entered_on, wait), due)))
        else:
            starts.append(due if sent_at is None else timezone.localdate(sent_at))
    loans: dict[int, list[dt.date]] = defaultdict(list)
    member_ids = sorted({row[0] for row in rows})
    for chunk in range(0, len(member_ids), 5000):
        for member_id, loaned_on in Loan.objects.filter(
            member_id__in=member_ids[chunk : chunk + 5000], loaned_on__gte=min(starts)
        ).values_list("member_id", "loaned_on"):
            loans[member_id].append(loaned_on)
    outcomes = []
    for (member_id, held_out, _, _, _, last_activity, profile), start in zip(
        rows, starts, strict=True
    ):
        days = sorted(
            (day - start).days for day in loans.get(member_id, ()) if (day - start).days > 0
        )
        activity = [days[0]] if days else []
        if last_activity and last_activity > start:
            activity.append((last_activity - start).days)
        outcomes.append(
            Outcome(
                held_out=held_out,
                start=start,
                returned_after=min(activity) if activity else None,
                loan_days=tuple(day for day in days if day <= longest),
                has_profile=profile,
            )
        )
    return outcomes


def wait_for(
    outcomes: list[Outcome],
    headline: Comparison | None,
    holdout_percent: int,
    as_of: dt.date,
    *,
    closed: bool = False,
) -> Wait | None:
    """How long until the headline comparison can give a verdict (reports/waiting.py); None
    where it has one, or never can. `closed`: the period ended before the report day."""
    if headline is None or headline.claimed:
        return None
    if not holdout_percent and not any(o.held_out for o in outcomes):
        return None
    share = headline.held_out if headline.held_out_n >= MIN_GROUP else None
    return weeks_to_verdict(
        mailed_starts=[o.start for o in outcomes if not o.held_out],
        held_out_starts=[o.start for o in outcomes if o.held_out],
        window=headline.window or 0,
        share=share,
        holdout_percent=holdout_percent,
        as_of=as_of,
        rules=RULES,
        closed=closed,
    )


def _aims_at_profiles(version: Version | None) -> bool:
    """Journeys for new members (the welcome journey) aim at the online profile."""
    return version is not None and "registered_within_days" in (version.entry or {})


def effect_by_journey(
    library: Library | None = None,
    as_of: dt.date | None = None,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> list[JourneyEffect]:
    """Mailed against held out for every journey that runs or ever took in members — also one
    without a holdout group, so that no report leaves a journey out without a word. Of the
    enrolments whose clock started from `since` to `until` (both included) where given: the
    members who came in during the period, each followed for their whole window (also past
    `until`) where it has passed by the report day. A period that ended before the report day
    takes in no one more, so its wait says so rather than counting on members to come."""
    as_of = as_of or timezone.localdate()
    last_start = as_of if until is None else min(as_of, until)
    running = (Journey.Status.ACTIVE, Journey.Status.PAUSED)
    journeys = Journey.objects.filter(Q(status__in=running) | Q(enrolments__isnull=False))
    if library is not None:
        journeys = journeys.filter(library=library)
    effects = []
    for journey in journeys.distinct().select_related("library").order_by("library__code", "key"):
        outcomes = [
            o
            for o in outcomes_of(journey)
            if o.start <= last_start and (since is None or o.start >= since)
        ]
        version = journey.current_version
        holdout_percent = version.holdout_percent if version else 0
        comparisons = effect_of(outcomes, as_of, profiles=_aims_at_profiles(version))
        effects.append(
            JourneyEffect(
                library=journey.library.code,
                journey=journey.key,
                journey_name=journey.name,
                kind=journey.kind,
                enrolments=len(outcomes),
                held_out=sum(o.held_out for o in outcomes),
                holdout_percent=holdout_percent,
                comparisons=comparisons,
                wait=wait_for(
                    outcomes,
                    headline_of(comparisons),
                    holdout_percent,
                    as_of,
                    closed=last_start < as_of,
                ),
            )
        )
    return effects
