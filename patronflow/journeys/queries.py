"""Reads of the journey engine: who may enter, who should leave, whose next step is due."""

import datetime as dt
from dataclasses import dataclass

from django.core.management.base import CommandError
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet

from patronflow.journeys.audiences import audience, audience_condition
from patronflow.journeys.models import Enrolment, Journey, Version
from patronflow.mail.models import Message
from patronflow.members.models import Library, Loan, Member
from patronflow.privacy.rules import mailable_condition


def entry_candidates(version: Version, today: dt.date) -> QuerySet[Member]:
    """Mailable members who meet the entry conditions and may (re-)enter the journey today."""
    journey = version.journey
    members = (
        Member.objects.filter(library_id=journey.library_id)
        .filter(mailable_condition(today))
        .filter(audience_condition(journey.library, version.entry, today))
    )
    earlier = Enrolment.objects.filter(journey=journey, member=OuterRef("pk"))
    if version.reentry_after_days is not None:
        # Enrolments that ended long enough ago do not keep a member out.
        allowed_since = today - dt.timedelta(days=version.reentry_after_days)
        earlier = earlier.exclude(
            Q(status__in=[Enrolment.Status.COMPLETED, Enrolment.Status.EXITED])
            & Q(ended_on__lte=allowed_since)
        )
    return members.exclude(Exists(earlier))


def bounced_condition(member: str = "pk", email: str = "email") -> Q:
    """The member's current address failed for good: a mail to it was refused (5xx) or
    every retry ran out. `member` and `email` name the fields from the query's own model."""
    failed = Message.objects.filter(
        enrolment__member=OuterRef(member),
        status=Message.Status.FAILED,
        attempts__gt=0,
        to_email=OuterRef(email),
    )
    return Q(Exists(failed))


def enrolments_to_exit(journey: Journey, today: dt.date) -> dict[str, QuerySet[Enrolment]]:
    """Active enrolments that must end now, by exit reason (the first matching reason wins,
    so the caller applies them in this order)."""
    active = journey.enrolments.filter(status=Enrolment.Status.ACTIVE)
    always = {
        Enrolment.ExitReason.UNSUBSCRIBED: Q(member__unsubscribed_at__isnull=False),
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
        Version.Exit.BOUNCED: bounced_condition(member="member", email="member__email"),
    }
    reasons = dict(always)
    for version in journey.versions.all():
        for exit_name in version.exit_when:
            reason = Enrolment.ExitReason(exit_name)
            reasons.setdefault(reason, Q(pk__in=[]))
            reasons[reason] |= Q(version=version) & chosen[Version.Exit(exit_name)]
    return {reason: active.filter(condition) for reason, condition in reasons.items()}


def due_enrolments(journey: Journey, today: dt.date) -> QuerySet[Enrolment]:
    """Active enrolments whose next step is due and whose previous mail has left the outbox."""
    waiting = Message.objects.filter(
        enrolment=OuterRef("pk"), status__in=[Message.Status.QUEUED, Message.Status.SENDING]
    )
    return (
        journey.enrolments.filter(status=Enrolment.Status.ACTIVE)
        .filter(Q(next_due_on__lte=today) | Q(next_position__isnull=True))
        .exclude(Exists(waiting))
    )


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
    """How many members each saved segment holds today, and how many of them may be mailed."""
    sizes = []
    for segment in library.segments.order_by("key"):
        members = audience(library, segment.conditions, today)
        sizes.append(
            SegmentSize(
                key=segment.key,
                name=segment.name,
                members=members.count(),
                mailable=members.filter(mailable_condition(today)).count(),
            )
        )
    return sizes
