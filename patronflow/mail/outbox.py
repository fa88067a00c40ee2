"""The journeys' side of the outbox: queue the mails of due steps, and withdraw, hold or
release the queued ones when members leave or a journey pauses.

Queueing is safe to repeat and to run twice at once: a message is unique per (enrolment,
step) and created with ignore_conflicts, and each chunk commits with the pointers it moves.
"""

import datetime as dt
from collections import defaultdict

from django.db import transaction
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet
from django.utils import timezone

from patronflow.journeys.events import library_zone
from patronflow.journeys.models import HELD_UNTIL, Enrolment, Journey
from patronflow.journeys.queries import version_plans
from patronflow.journeys.services import (
    counts_from_event,
    end_enrolments,
    event_due_on,
    lock_journey,
    next_due_on,
    spacing,
    too_late,
)
from patronflow.mail.models import Message
from patronflow.members.models import Member

CHUNK = 2000

# Exits that leave the member mailable: their queued mails of the journey are withdrawn. The
# other reasons (unsubscribed, membership ended, too young) make the sender itself suppress
# every mail to the member, with the precise reason.
WITHDRAW_ON_EXIT = frozenset(
    {
        Enrolment.ExitReason.CAME_BACK,
        Enrolment.ExitReason.ONLINE_PROFILE,
        Enrolment.ExitReason.BOUNCED,
        Enrolment.ExitReason.ARCHIVED,
        Enrolment.ExitReason.LEFT_LIST,
    }
)


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


def withdraw_queued(enrolments: QuerySet[Enrolment], reason: str) -> int:
    """Withdraw these enrolments' mails still in the outbox when leaving for `reason` leaves
    the member mailable: a member who came back or whose journey was archived must not get
    its mail because the send window or a cap kept it waiting when they left."""
    if reason not in WITHDRAW_ON_EXIT:
        return 0
    return Message.objects.filter(enrolment__in=enrolments, status=Message.Status.QUEUED).update(
        status=Message.Status.SUPPRESSED,
        last_error=f"left the journey: {Enrolment.ExitReason(reason).label.lower()}",
        next_attempt_at=None,
    )


@transaction.atomic
def end_and_withdraw(enrolments: QuerySet[Enrolment], reason: str, on: dt.date) -> int:
    """End these active enrolments and withdraw their queued mails (`withdraw_queued`);
    returns how many ended."""
    withdraw_queued(enrolments, reason)
    return end_enrolments(enrolments, reason, on)


def exit_enrolments(member: Member, reason: str, on: dt.date) -> int:
    """End every active journey of a member, e.g. when they unsubscribe; returns how many."""
    active = Enrolment.objects.filter(member=member, status=Enrolment.Status.ACTIVE)
    return end_and_withdraw(active, reason, on)


def hold_queued(journey: Journey) -> int:
    """Keep the journey's queued mails in the outbox while it is paused."""
    return Message.objects.filter(enrolment__journey=journey, status=Message.Status.QUEUED).update(
        next_attempt_at=HELD_UNTIL
    )


def release_held(journey: Journey) -> int:
    """Let the mails a pause held go out again."""
    return Message.objects.filter(
        enrolment__journey=journey, status=Message.Status.QUEUED, next_attempt_at=HELD_UNTIL
    ).update(next_attempt_at=None)


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


def _move_pointers(enrolments: list[Enrolment]) -> None:
    """Save the enrolments' next step and day, one update per distinct (step, day): a chunk's
    enrolments share a few, and a row-by-row CASE (bulk_update) costs far more to build and
    to run than these few plain updates."""
    groups: dict[tuple[int | None, dt.date | None], list[int]] = defaultdict(list)
    for enrolment in enrolments:
        groups[enrolment.next_position, enrolment.next_due_on].append(enrolment.pk)
    for (position, due_on), pks in groups.items():
        Enrolment.objects.filter(pk__in=pks).update(next_position=position, next_due_on=due_on)


# Why a step that waits on the event's moment was passed over: kept as the reason of a
# message that was never sent, so the journey's page counts and shows them per member.
SKIPPED = "skipped: "
SKIPPED_LATE = SKIPPED + "the day before or after the event's moment has passed"
SKIPPED_NO_MOMENT = SKIPPED + "the event has no moment in its property {property}"


def skipped_per_step(journey: Journey) -> dict[tuple[int, str], int]:
    """How many of the journey's steps that wait on the event were skipped, per (step
    position, reason): for its page, beside the mails that failed."""
    skipped = Message.objects.filter(
        step__version__journey=journey,
        status=Message.Status.SUPPRESSED,
        last_error__startswith=SKIPPED,
    )
    counts = skipped.values_list("step__position", "last_error").annotate(n=Count("id"))
    return {(position, reason): n for position, reason, n in counts.order_by()}


def queue_due_messages(journey: Journey, today: dt.date) -> tuple[int, int]:
    """Queue the message of each enrolment's due step and move its pointer on; complete the
    enrolments that have nothing left. Returns (messages queued, enrolments completed).

    Held-out enrolments move along the same steps on the same days, without a message.
    A step that waits on the event's moment is skipped when its day has passed or the event
    lacks the moment: the enrolment moves on, and the step's message is recorded as not
    sent, with the reason (SKIPPED_LATE, SKIPPED_NO_MOMENT).
    """
    plans = version_plans(journey)
    due = due_enrolments(journey, today).annotate(last_sent_at=Max("messages__sent_at"))
    with_events = any(counts_from_event(s) for plan in plans.values() for s in plan.steps)
    if with_events:
        due = due.select_related("event")
    zone = library_zone(journey.library)
    queued = completed = 0
    batch: list[Enrolment] = []

    def flush() -> tuple[int, int]:
        with transaction.atomic():
            lock_journey(journey)
            pointers = dict(
                Enrolment.objects.filter(
                    pk__in=[e.pk for e in batch], status=Enrolment.Status.ACTIVE
                ).values_list("pk", "next_position")
            )
            # Another tick may have moved these on (or a member left) since they were read:
            # only the enrolments still where they were are this tick's to advance.
            current = [e for e in batch if pointers.get(e.pk, -1) == e.next_position]
            result = _advance(current)
        batch.clear()
        return result

    def _advance(current: list[Enrolment]) -> tuple[int, int]:
        messages, passed_over, advanced, finished = [], [], [], []
        for enrolment in current:
            plan = plans[enrolment.version_id]
            step = plan.step_at(enrolment.next_position) if enrolment.next_position else None
            if step is None:
                finished.append(enrolment.pk)
                continue
            previous = plan.before(step)
            properties = enrolment.event.properties if with_events and enrolment.event else {}
            skipped = ""
            if counts_from_event(step):
                event_on = event_due_on(step, properties, zone)
                if event_on is not None and event_on > today:
                    enrolment.next_due_on = event_on  # e.g. moved onto this version early
                    advanced.append(enrolment)
                    continue
                if event_on is None:
                    skipped = SKIPPED_NO_MOMENT.format(property=step.event_property)
                elif too_late(step, event_on, today):
                    skipped = SKIPPED_LATE
            elif previous is not None and enrolment.last_sent_at:
                # Spaced from the day the previous mail really left: the send window or a
                # cap may have held it back for days after it was queued.
                ready_on = timezone.localdate(enrolment.last_sent_at) + spacing(step, previous)
                if ready_on > today:
                    enrolment.next_due_on = ready_on
                    advanced.append(enrolment)
                    continue
            if not enrolment.held_out:
                message = Message(
                    library_id=journey.library_id,
                    enrolment=enrolment,
                    step=step,
                    variant=plan.variant(step, enrolment.segment),
                    due_on=today,
                )
                if skipped:
                    message.status, message.last_error = Message.Status.SUPPRESSED, skipped
                    passed_over.append(message)
                else:
                    messages.append(message)
            following = plan.after(step)
            enrolment.next_position = following.position if following else None
            enrolment.next_due_on = (
                next_due_on(
                    following,
                    step,
                    enrolment.entered_on,
                    today,
                    event_due_on(following, properties, zone) if with_events else None,
                )
                if following
                else None
            )
            advanced.append(enrolment)
        Message.objects.bulk_create(messages + passed_over, ignore_conflicts=True, batch_size=1000)
        _move_pointers(advanced)
        done = Enrolment.objects.filter(pk__in=finished, status=Enrolment.Status.ACTIVE).update(
            status=Enrolment.Status.COMPLETED, ended_on=today
        )
        return len(messages), done

    for enrolment in due.iterator(chunk_size=CHUNK):
        batch.append(enrolment)
        if len(batch) >= CHUNK:
            q, c = flush()
            queued, completed = queued + q, completed + c
    q, c = flush()
    return queued + q, completed + c
