"""Writes of the journey engine: enrol, exit, advance. `tick` runs them all, then sends.

Every step is safe to repeat and to run twice at once: enrolments and messages are unique in
the database and created with ignore_conflicts, so a second scheduler only finds them present.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone

from patronflow.journeys import queries
from patronflow.journeys.models import Enrolment, Journey, Step, Variant
from patronflow.mail.models import Message
from patronflow.mail.services import SendSummary, send_due_messages
from patronflow.members.models import Member
from patronflow.profiles.services import refresh_profiles


@dataclass
class JourneyProgress:
    journey: Journey
    entered: int = 0
    exited: dict[str, int] = field(default_factory=dict)
    queued: int = 0
    completed: int = 0


@dataclass
class TickSummary:
    journeys: list[JourneyProgress]
    sending: SendSummary


def exit_enrolments(member: Member, reason: str, on: dt.date) -> int:
    """End every active journey of a member, e.g. when they unsubscribe; returns how many."""
    return Enrolment.objects.filter(member=member, status=Enrolment.Status.ACTIVE).update(
        status=Enrolment.Status.EXITED, exit_reason=reason, ended_on=on
    )


def apply_exits(journey: Journey, today: dt.date) -> dict[str, int]:
    exited = {}
    for reason, enrolments in queries.enrolments_to_exit(journey, today).items():
        count = enrolments.update(
            status=Enrolment.Status.EXITED, exit_reason=reason, ended_on=today
        )
        if count:
            exited[reason] = count
    return exited


def enrol_eligible(journey: Journey, today: dt.date) -> int:
    """Enrol the members who meet the entry rule, with their reading segment as of today."""
    candidates = list(queries.entry_candidates(journey, today).values_list("pk", "registered_on"))
    if not candidates:
        return 0
    segments = refresh_profiles((pk for pk, _ in candidates), today)
    by_registration = journey.entry_rule == Journey.EntryRule.NEW_MEMBER
    before = journey.enrolments.count()
    Enrolment.objects.bulk_create(
        [
            Enrolment(
                journey=journey,
                member_id=pk,
                entered_on=registered_on if by_registration else today,
                segment=segments[pk],
            )
            for pk, registered_on in candidates
        ],
        ignore_conflicts=True,
        batch_size=1000,
    )
    return journey.enrolments.count() - before


def _next_due(enrolment: Enrolment, steps: list[Step]) -> tuple[Step | None, dt.date | None]:
    """The next step and the day it is due: its wait after entry, and never sooner after the
    previous mail than the journey's own spacing."""
    last_position = enrolment.last_position or 0
    upcoming = [step for step in steps if step.position > last_position]
    if not upcoming:
        return None, None
    step = upcoming[0]
    due = enrolment.entered_on + dt.timedelta(days=step.wait_days)
    if last_position:
        previous = next(s for s in steps if s.position == last_position)
        spacing = dt.timedelta(days=step.wait_days - previous.wait_days)
        due = max(due, enrolment.last_queued_on + spacing)
    return step, due


def queue_due_messages(journey: Journey, today: dt.date) -> tuple[int, int]:
    """Create the message of each enrolment's next due step; complete finished enrolments.

    One step per enrolment per tick, and only once the previous mail has left the outbox.
    """
    steps = list(journey.steps.order_by("position"))
    variants = {(v.step_id, v.segment): v for v in Variant.objects.filter(step__journey=journey)}
    waiting = Message.objects.filter(
        enrolment=OuterRef("pk"), status__in=[Message.Status.QUEUED, Message.Status.SENDING]
    )
    active = (
        journey.enrolments.filter(status=Enrolment.Status.ACTIVE)
        .annotate(
            last_position=Max("messages__step__position"),
            last_queued_on=Max("messages__due_on"),
        )
        .exclude(Exists(waiting))
    )
    new_messages, finished = [], []
    for enrolment in active.iterator(chunk_size=2000):
        step, due = _next_due(enrolment, steps)
        if step is None:
            finished.append(enrolment.pk)
            continue
        if due > today:
            continue
        variant = variants.get((step.pk, enrolment.segment)) or variants[(step.pk, "")]
        new_messages.append(
            Message(
                library_id=journey.library_id,
                enrolment=enrolment,
                step=step,
                variant=variant,
                due_on=today,
            )
        )
    Message.objects.bulk_create(new_messages, ignore_conflicts=True, batch_size=1000)
    completed = Enrolment.objects.filter(pk__in=finished, status=Enrolment.Status.ACTIVE).update(
        status=Enrolment.Status.COMPLETED, ended_on=today
    )
    return len(new_messages), completed


def advance_journey(journey: Journey, today: dt.date) -> JourneyProgress:
    progress = JourneyProgress(journey=journey)
    with transaction.atomic():
        progress.exited = apply_exits(journey, today)
    with transaction.atomic():
        progress.entered = enrol_eligible(journey, today)
    with transaction.atomic():
        progress.queued, progress.completed = queue_due_messages(journey, today)
    return progress


def tick(now: dt.datetime, on_batch: Callable[[SendSummary], None] | None = None) -> TickSummary:
    """One scheduler run: every active journey advances to `now`, then the outbox is sent
    (`on_batch` hears about each batch sent, for a progress display)."""
    journeys = Journey.objects.filter(is_active=True).select_related("library")
    today = timezone.localdate(now)
    progress = [advance_journey(journey, today) for journey in journeys]
    return TickSummary(journeys=progress, sending=send_due_messages(now, on_batch=on_batch))
