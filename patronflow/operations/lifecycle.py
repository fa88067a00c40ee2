"""A journey's status changes (activate, pause, resume, archive) with what they do to its
mails in the outbox, and cancelling a scheduled broadcast before it leaves."""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from patronflow.journeys.models import Enrolment, Journey
from patronflow.journeys.services import LifecycleError, check_transition, lock_journey, set_status
from patronflow.mail.models import Message
from patronflow.mail.outbox import hold_queued, release_held, withdraw_queued
from patronflow.privacy.audit import Actor, record_change


@transaction.atomic
def change_status(journey: Journey, status: str, today: dt.date, *, actor: Actor = None) -> Journey:
    """Move a journey through draft → active ⇄ paused → archived, logged as the actor's
    change. Pausing stops entries and new mails and holds queued ones; archiving ends every
    running enrolment and withdraws its queued mails."""
    status = check_transition(journey, status)
    if status == Journey.Status.ARCHIVED:
        running = journey.enrolments.filter(status=Enrolment.Status.ACTIVE)
        withdraw_queued(running, Enrolment.ExitReason.ARCHIVED)
    elif status == Journey.Status.PAUSED:
        hold_queued(journey)
    elif journey.status == Journey.Status.PAUSED:
        release_held(journey)
    return set_status(journey, status, today, actor=actor)


@dataclass(frozen=True)
class Cancelled:
    """What cancelling a broadcast did: before its audience entered, nothing but the
    schedule; after, `withdrawn` mails taken back from the outbox, `gone` ones had left."""

    entered: bool
    withdrawn: int = 0
    gone: int = 0


SCHEDULED = (Journey.Status.ACTIVE, Journey.Status.PAUSED)
LEFT = (Message.Status.SENT, Message.Status.SENDING, Message.Status.UNCERTAIN)


@transaction.atomic
def cancel_broadcast(journey: Journey, *, today: dt.date, actor: Actor = None) -> Cancelled:
    """Stop a scheduled broadcast before its mails leave, logged as the actor's change.

    Before its audience entered it becomes a draft again, to change and schedule anew. Once
    entered, it is archived: its members leave it and the mails still waiting are withdrawn
    (those gone stay gone). Refused with LifecycleError when it is no scheduled broadcast or
    its mails have all left. The journey's row is locked first, so a tick entering it
    either finished before (and its mails are withdrawn) or enters nobody after."""
    lock_journey(journey)
    journey.refresh_from_db(fields=["status"])
    if journey.kind != Journey.Kind.BROADCAST or journey.status not in SCHEDULED:
        raise LifecycleError(f"{journey} is not a scheduled broadcast")
    if journey.current_version.entry_closed_at is None:
        record_change(
            f"journey {journey.key}",
            {"status": (journey.status, Journey.Status.DRAFT)},
            actor=actor,
            library_code=journey.library.code,
        )
        journey.status = Journey.Status.DRAFT
        journey.pause_reason = ""
        journey.save(update_fields=["status", "pause_reason"])
        return Cancelled(entered=False)
    if not mails_to_come(journey):
        raise LifecycleError(f"{journey}: its mails have all left")
    messages = Message.objects.filter(enrolment__journey=journey)
    waiting = messages.filter(status=Message.Status.QUEUED).count()
    gone = messages.filter(status__in=LEFT).count()
    change_status(journey, Journey.Status.ARCHIVED, today, actor=actor)
    return Cancelled(entered=True, withdrawn=waiting, gone=gone)


def mails_to_come(journey: Journey) -> bool:
    """Whether any of the journey's mails has yet to leave: queued, or a step still to come
    for a member who is not held out."""
    waiting = Message.objects.filter(enrolment__journey=journey, status=Message.Status.QUEUED)
    to_come = journey.enrolments.filter(
        status=Enrolment.Status.ACTIVE, held_out=False, next_position__isnull=False
    )
    return waiting.exists() or to_come.exists()
