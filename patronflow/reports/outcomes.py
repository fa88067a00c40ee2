"""The journeys' enrolments as the effect analysis sees them (`Outcome` rows, no member
named), kept per start day as the estimators' Moments (reports.JourneyMoments, refreshed by
reports/rollup.py), and the mailed-against-held-out comparison of every journey read from
those (effect.py's statistics on them)."""

import datetime as dt
from collections import defaultdict

from django.db.models import DateField, Exists, Max, OuterRef, Q, Subquery, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from patronflow.journeys.models import Enrolment, Journey, Step, Version
from patronflow.mail.models import Message
from patronflow.members.models import Library, Loan, Visit
from patronflow.reports.effect import (
    MIN_GROUP,
    PRE_PERIOD_DAYS,
    RULES,
    WINDOWS,
    Comparison,
    JourneyEffect,
    Outcome,
    comparisons_of,
    headline_of,
)
from patronflow.reports.estimators import Moments
from patronflow.reports.metrics import midnight, sent_statuses
from patronflow.reports.models import JourneyMoments, Rollup
from patronflow.reports.waiting import Wait, weeks_to_verdict


def _enrolments(journey: Journey, starting_from: dt.date | None):
    """The journey's enrolments whose clock may start on `starting_from` or later, by entry
    day so that a held-out member's cohort comes along: a clock starts when the mail was due
    (entry day + the first step's wait) or later, when the cohort was first mailed."""
    enrolments = Enrolment.objects.filter(journey=journey)
    if starting_from is None:
        return enrolments
    steps = Step.objects.filter(version__journey=journey)
    longest_wait = steps.aggregate(Max("wait_days"))["wait_days__max"] or 0
    mailed_lately = Message.objects.filter(
        library=journey.library_id, enrolment__journey=journey, sent_at__gte=midnight(starting_from)
    ).values("enrolment__entered_on")
    return enrolments.filter(
        Q(entered_on__gte=starting_from - dt.timedelta(days=longest_wait))
        | Q(entered_on__in=mailed_lately)
    )


def _days_by_member(rows, member_ids: list[int], since: dt.date) -> dict[int, list[dt.date]]:
    """Per member, the days of their loans or visits from `since` (5000 members a query)."""
    days: dict[int, list[dt.date]] = defaultdict(list)
    for chunk in range(0, len(member_ids), 5000):
        for member_id, day in rows(member_ids[chunk : chunk + 5000], since):
            days[member_id].append(day)
    return days


def outcomes_of(
    journey: Journey, longest: int = max(WINDOWS), *, starting_from: dt.date | None = None
) -> list[Outcome]:
    """The journey's enrolments as Outcome rows (of those whose clock started on
    `starting_from` or later, where given): each one's start, the member's loans and visit
    days in the PRE_PERIOD_DAYS before it (`before`), and their loans and first return after
    it — a loan, a visit, or the member's last activity day (libraries that import no visits
    only know that one: a visit followed by a later one is then only seen through the later
    one). The reference the daily aggregates are computed from (reports/rollup.py)."""
    first_sent = (  # the day, in the libraries' time zone, of the first mail that left
        Message.objects.filter(enrolment=OuterRef("pk"), status__in=sent_statuses())
        .exclude(sent_at=None)
        .order_by("sent_at")
        .values(day=TruncDate("sent_at", tzinfo=timezone.get_current_timezone()))[:1]
    )
    first_wait = (
        Step.objects.filter(version=OuterRef("version")).order_by("position").values("wait_days")
    )[:1]
    rows = list(
        _enrolments(journey, starting_from)
        .annotate(
            first_sent_on=Subquery(first_sent, output_field=DateField()),
            first_wait=Subquery(first_wait),
        )
        .values_list(
            "member_id",
            "held_out",
            "entered_on",
            "first_sent_on",
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
    for _member, held_out, entered_on, sent_on, wait, *_ in rows:
        if not held_out and sent_on is not None:
            key = (entered_on, wait)
            cohort_mailed[key] = min(sent_on, cohort_mailed.get(key, sent_on))
    starts = []
    for _member, held_out, entered_on, sent_on, wait, *_ in rows:
        due = entered_on + dt.timedelta(days=wait or 0)
        if held_out:
            starts.append(max(due, cohort_mailed.get((entered_on, wait), due)))
        else:
            starts.append(due if sent_on is None else sent_on)
    member_ids = sorted({row[0] for row in rows})
    since = min(starts) - dt.timedelta(days=PRE_PERIOD_DAYS)
    loans = _days_by_member(
        lambda members, since: Loan.objects.filter(
            member_id__in=members, loaned_on__gte=since
        ).values_list("member_id", "loaned_on"),
        member_ids,
        since,
    )
    visits = _days_by_member(
        lambda members, since: Visit.objects.filter(
            member_id__in=members, visited_on__gte=since
        ).values_list("member_id", "visited_on"),
        member_ids,
        since,
    )
    outcomes = []
    for (member_id, held_out, _, _, _, last_activity, profile), start in zip(
        rows, starts, strict=True
    ):
        if starting_from is not None and start < starting_from:
            continue
        loan_days = [(day - start).days for day in loans.get(member_id, ())]
        visit_days = {(day - start).days for day in visits.get(member_id, ())}
        after = sorted(day for day in loan_days if day > 0)
        activity = [day for day in (*after[:1], *visit_days) if day > 0]
        if last_activity and last_activity > start:
            activity.append((last_activity - start).days)
        before = sum(-PRE_PERIOD_DAYS <= day < 0 for day in loan_days) + sum(
            -PRE_PERIOD_DAYS <= day < 0 for day in visit_days
        )
        outcomes.append(
            Outcome(
                held_out=held_out,
                start=start,
                returned_after=min(activity) if activity else None,
                loan_days=tuple(day for day in after if day <= longest),
                has_profile=profile,
                before=before,
            )
        )
    return outcomes


def wait_for(
    mailed_starts: list[dt.date],
    held_out_starts: list[dt.date],
    headline: Comparison | None,
    holdout_percent: int,
    as_of: dt.date,
    *,
    closed: bool = False,
) -> Wait | None:
    """How long until the headline comparison can give a verdict (reports/waiting.py), from
    each group's start days (one a member); None where it has one, or never can. `closed`:
    the period ended before the report day."""
    if headline is None or headline.claimed:
        return None
    if not holdout_percent and not held_out_starts:
        return None
    share = headline.held_out if headline.held_out_n >= MIN_GROUP else None
    return weeks_to_verdict(
        mailed_starts=mailed_starts,
        held_out_starts=held_out_starts,
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


def complete_on(as_of: dt.date) -> Q:
    """The aggregate rows whose window has passed by `as_of` (a profile has no window)."""
    complete = Q(window_days=0)
    for window in WINDOWS:
        complete |= Q(window_days=window, start__lte=as_of - dt.timedelta(days=window))
    return complete


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
    takes in no one more, so its wait says so rather than counting on members to come.
    Read from the daily aggregates (reports/rollup.py), never from the enrolments."""
    if Rollup.reads_recompute():
        refresh_moments(None)
    as_of = as_of or timezone.localdate()
    last_start = as_of if until is None else min(as_of, until)
    running = (Journey.Status.ACTIVE, Journey.Status.PAUSED)
    took_in = Exists(JourneyMoments.objects.filter(journey=OuterRef("pk")))
    journeys = Journey.objects.filter(Q(status__in=running) | took_in)
    if library is not None:
        journeys = journeys.filter(library=library)
    journeys = list(journeys.select_related("library").order_by("library__code", "key"))
    rows = JourneyMoments.objects.filter(journey__in=journeys, start__lte=last_start)
    if since is not None:
        rows = rows.filter(start__gte=since)
    groups: dict[int, dict[tuple, Moments]] = defaultdict(dict)
    sums = rows.filter(complete_on(as_of)).values(
        "journey_id", "outcome", "window_days", "held_out"
    )
    for row in sums.annotate(*(Sum(name) for name in MOMENTS)).order_by():
        key = (row["outcome"], row["window_days"] or None, row["held_out"])
        groups[row["journey_id"]][key] = Moments(*(row[f"{name}__sum"] for name in MOMENTS))
    starts = _starts(rows)
    versions = current_versions(journeys)
    effects = []
    for journey in journeys:
        version = versions.get(journey.pk)
        holdout_percent = version.holdout_percent if version else 0
        profiles = _aims_at_profiles(version)
        comparisons = comparisons_of(
            {key: groups[journey.pk].get(key, Moments()) for key in _keys(profiles)},
            profiles=profiles,
        )
        mailed, held_out = starts[journey.pk, False], starts[journey.pk, True]
        effects.append(
            JourneyEffect(
                library=journey.library.code,
                journey=journey.key,
                journey_name=journey.name,
                kind=journey.kind,
                enrolments=len(mailed) + len(held_out),
                held_out=len(held_out),
                holdout_percent=holdout_percent,
                comparisons=comparisons,
                wait=wait_for(
                    mailed,
                    held_out,
                    headline_of(comparisons),
                    holdout_percent,
                    as_of,
                    closed=last_start < as_of,
                ),
            )
        )
    return effects


MOMENTS = ("n", "x", "y", "xx", "yy", "xy")


def current_versions(journeys: list[Journey]) -> dict[int, Version]:
    """Each journey's current version (its latest), in one query rather than one a journey."""
    versions = {}
    for version in Version.objects.filter(journey__in=journeys).order_by("journey_id", "number"):
        versions[version.journey_id] = version
    return versions


def _keys(profiles: bool) -> list[tuple[str, int | None, bool]]:
    measures = [(outcome, window) for window in WINDOWS for outcome in ("returned", "loans")]
    if profiles:
        measures.append(("profile", None))
    return [(outcome, window, held) for outcome, window in measures for held in (False, True)]


def _starts(rows) -> dict[tuple[int, bool], list[dt.date]]:
    """Per journey and group, every start day once per member whose clock started on it
    (sorted): what the wait is worked out from (the profile rows count every start)."""
    starts: dict[tuple[int, bool], list[dt.date]] = defaultdict(list)
    profile_rows = rows.filter(outcome="profile").order_by("start")
    for journey_id, held_out, start, n in profile_rows.values_list(
        "journey_id", "held_out", "start", "n"
    ):
        starts[journey_id, held_out].extend([start] * n)
    return starts


def moments_by_day(outcomes: list[Outcome]) -> dict[tuple, Moments]:
    """Per start day, group and measure — (start, held_out, outcome, window; 0: none) — the
    Moments of x = activity before entering and y = the outcome (reports/effect.py)."""
    pairs: dict[tuple, list[tuple[int, int]]] = defaultdict(list)
    for o in outcomes:
        for window in WINDOWS:
            back = o.returned_after is not None and o.returned_after <= window
            pairs[o.start, o.held_out, "returned", window].append((o.before, int(back)))
            loans = sum(day <= window for day in o.loan_days)
            pairs[o.start, o.held_out, "loans", window].append((o.before, loans))
        pairs[o.start, o.held_out, "profile", 0].append((o.before, int(o.has_profile)))
    return {key: Moments.of(values) for key, values in pairs.items()}


def refresh_moments(since: dt.date | None) -> None:
    """Recompute the journeys' JourneyMoments of start days from `since` (None: every day)."""
    journeys = Journey.objects.filter(
        Exists(Enrolment.objects.filter(journey=OuterRef("pk")))
        | Exists(JourneyMoments.objects.filter(journey=OuterRef("pk")))
    )
    for journey in journeys.order_by("pk"):
        moments = moments_by_day(outcomes_of(journey, starting_from=since))
        stale = JourneyMoments.objects.filter(journey=journey)
        if since is not None:
            stale = stale.filter(start__gte=since)
        stale.delete()
        JourneyMoments.objects.bulk_create(
            [
                JourneyMoments(
                    journey=journey,
                    start=start,
                    held_out=held_out,
                    outcome=outcome,
                    window_days=window,
                    n=m.n,
                    x=m.x,
                    y=m.y,
                    xx=m.xx,
                    yy=m.yy,
                    xy=m.xy,
                )
                for (start, held_out, outcome, window), m in moments.items()
            ],
            batch_size=2000,
        )
