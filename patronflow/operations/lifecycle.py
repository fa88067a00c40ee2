"""A journey's status changes (activate, pause, resume, archive) with what they do to its
mails in the outbox."""

import datetime as dt

from django.db import transaction

from patronflow.journeys.models import Enrolment, Journey
from patronflow.journeys.services import check_transition, set_status
from patronflow.mail.outbox import hold_queued, release_held, withdraw_queued
from patronflow.privacy.audit import Actor


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
