"""Reads of the journey engine: who may enter, who should leave, each version's plan."""

import datetime as dt
from dataclasses import dataclass

from django.core.management.base import CommandError
from django.db.models import Count, Exists, F, Min, OuterRef, Q, QuerySet
from django.utils import timezone

from patronflow.choices.queries import receives_condition
from patronflow.journeys.audience_counts import audience_count
from patronflow.journeys.audiences import audience_condition
from patronflow.journeys.events import ENTRY_WINDOW, LATE_ARRIVAL
from patronflow.journeys.models import Enrolment, Journey, Step, Variant, Version
from patronflow.members.models import Library, Loan, Member, MemberEvent
from patronflow.privacy.rules import mailable_condition


def eligible_members(version: Version, today: dt.date) -> QuerySet[Member]:
    """Mailable members who receive the journey's list and meet the entry conditions: who
    may enter, be it by the conditions alone or on an event."""
    journey = version.journey
    return (
        Member.objects.filter(library_id=journey.library_id)
        .filter(mailable_condition(today, library=journey.library))
        .filter(receives_condition(journey.mailing_list))
        .filter(audience_condition(journey.library, version.entry, today))
    )


def entry_candidates(version: Version, today: dt.date) -> QuerySet[Member]:
    """Eligible members who may (re-)enter the journey today."""
    journey = version.journey
    members = eligible_members(version, today)
    earlier = Enrolment.objects.filter(journey=journey, member=OuterRef("pk"))
    if version.reentry_after_days is not None:
        # Enrolments that ended long enough ago do not keep a member out.
        allowed_since = today - dt.timedelta(days=version.reentry_after_days)
        earlier = earlier.exclude(
            Q(status__in=[Enrolment.Status.COMPLETED, Enrolment.Status.EXITED])
            & Q(ended_on__lte=allowed_since)
        )
    return members.exclude(Exists(earlier))


def event_candidates(version: Version, now: dt.datetime) -> QuerySet[MemberEvent]:
    """Events that enrol their member into an event journey now: of the version's type, that
    arrived since the journey started on that type (and within the entry window), not long
    after they happened, with no enrolment of the journey yet, for eligible members."""
    journey = version.journey
    today = timezone.localdate(now)
    started = journey.versions.filter(on_event=version.on_event).aggregate(since=Min("created_at"))[
        "since"
    ]
    since = max(started or version.created_at, now - ENTRY_WINDOW)
    enrolled = Enrolment.objects.filter(journey=journey, event=OuterRef("pk"))
    return (
        MemberEvent.objects.filter(
            library_id=journey.library_id,
            type=version.on_event,
            received_at__gte=since,
            received_at__lte=now,
            occurred_at__gte=F("received_at") - LATE_ARRIVAL,
        )
        .filter(member__in=eligible_members(version, today))
        .exclude(Exists(enrolled))
    )


def enrolments_to_exit(
    journey: Journey, today: dt.date, bounced: Q
) -> dict[str, QuerySet[Enrolment]]:
    """Active enrolments that must end now, by exit reason (the first matching reason wins,
    so the caller applies them in this order). `bounced` is the outbox's condition, over
    enrolments, that the member's current address failed for good (the BOUNCED exit)."""
    active = journey.enrolments.filter(status=Enrolment.Status.ACTIVE)
    mailing_list = journey.mailing_list
    # A service list is not left on its own (receives_condition is then no condition at all).
    left_list = (
        Q(pk__in=[]) if mailing_list.service else ~receives_condition(mailing_list, "member__")
    )
    always = {
        Enrolment.ExitReason.UNSUBSCRIBED: Q(member__unsubscribed_at__isnull=False),
        # Left the journey's list since the last tick (e.g. on the preference page).
        Enrolment.ExitReason.LEFT_LIST: left_list,
        Enrolment.ExitReason.MEMBERSHIP_ENDED: Q(member__membership_ends_on__lte=today),
        Enrolment.ExitReason.INELIGIBLE: ~mailable_condition(today, prefix="member__"),
    }
    loan_since_entry = Loan.objects.filter(
        member=OuterRef("member"), loaned_on__gt=OuterRef("entered_on")
    )
    chosen = {
        Version.Exit.CAME_BACK: Q(member__last_activity_on__gt=F("entered_on"))
        | Q(Exists(loan_since_entry)),
        Version.Exit.ONLINE_PROFILE: Q(member__has_online_profile=True),
        Version.Exit.BOUNCED: bounced,
    }
    reasons = dict(always)
    for version in journey.versions.all():
        for exit_name in version.exit_when:
            reason = Enrolment.ExitReason(exit_name)
            reasons.setdefault(reason, Q(pk__in=[]))
            reasons[reason] |= Q(version=version) & chosen[Version.Exit(exit_name)]
    return {reason: active.filter(condition) for reason, condition in reasons.items()}


@dataclass(frozen=True)
class Plan:
    """A version's steps in order, and its variants by (step, segment)."""

    steps: list[Step]
    variants: dict[tuple[int, str], Variant]

    def step_at(self, position: int) -> Step | None:
        return next((step for step in self.steps if step.position >= position), None)

    def after(self, step: Step) -> Step | None:
        return next((s for s in self.steps if s.position > step.position), None)

    def before(self, step: Step) -> Step | None:
        return next((s for s in reversed(self.steps) if s.position < step.position), None)

    def variant(self, step: Step, segment: str) -> Variant:
        return self.variants.get((step.pk, segment)) or self.variants[(step.pk, "")]


def version_plans(journey: Journey) -> dict[int, Plan]:
    """Each of the journey's versions' plan, by version id."""
    plans = {}
    for version in journey.versions.all():
        steps = list(version.steps.order_by("position"))
        variants = {(v.step_id, v.segment): v for v in Variant.objects.filter(step__in=steps)}
        plans[version.pk] = Plan(steps=steps, variants=variants)
    return plans


def journey_for_command(library: Library, key: str) -> Journey:
    """The journey a command names; an unknown key lists the keys there are."""
    try:
        return Journey.objects.select_related("library").get(library=library, key=key)
    except Journey.DoesNotExist:
        keys = ", ".join(library.journeys.values_list("key", flat=True)) or "none yet"
        raise CommandError(f"{library.code} has no journey {key!r} (journeys: {keys})") from None


@dataclass(frozen=True)
class JourneyRow:
    key: str
    name: str
    kind: str
    status: str
    version: int
    holdout_percent: int
    running: int
    finished: int


def journeys_overview(library: Library) -> list[JourneyRow]:
    rows = []
    journeys = library.journeys.annotate(
        running=Count("enrolments", filter=Q(enrolments__status=Enrolment.Status.ACTIVE)),
        finished=Count("enrolments", filter=~Q(enrolments__status=Enrolment.Status.ACTIVE)),
    ).order_by("key")
    for journey in journeys:
        version = journey.current_version
        rows.append(
            JourneyRow(
                key=journey.key,
                name=journey.name,
                kind=journey.kind,
                status=journey.status,
                version=version.number,
                holdout_percent=version.holdout_percent,
                running=journey.running,
                finished=journey.finished,
            )
        )
    return rows


@dataclass(frozen=True)
class SegmentSize:
    key: str
    name: str
    members: int
    mailable: int


def segment_sizes(library: Library, today: dt.date) -> list[SegmentSize]:
    """How many members each saved segment holds today, and how many of them may be mailed:
    the audience builder's own count."""
    sizes = []
    for segment in library.segments.order_by("key"):
        counted = audience_count(library, segment.conditions, today)
        sizes.append(
            SegmentSize(
                key=segment.key,
                name=segment.name,
                members=counted.members,
                mailable=counted.mailable,
            )
        )
    return sizes
