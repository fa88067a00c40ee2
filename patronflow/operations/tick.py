"""One scheduler run (`patronflow tick`): every active journey lets its members leave and
enter and queues its due mails, then the outbox is sent.

Every phase is safe to repeat and to run twice at once: an enrolment is unique while it runs
and a message unique per (enrolment, step), both created with ignore_conflicts, and each phase
commits its own work with the pointers it moves, so a tick that dies midway leaves a state the
next tick simply continues. A journey that fails (a fault in its data or in patronflow) is
logged and passed over: the other journeys, of every library, and the sending go on.
Last, the reports' daily aggregates are refreshed when due (reports/rollup.py); a refresh
that fails is logged and the tick ends as it would have without it.
"""

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from patronflow.journeys.models import Journey
from patronflow.journeys.queries import enrolments_to_exit
from patronflow.journeys.services import enrol_eligible
from patronflow.mail.outbox import bounced_condition, end_and_withdraw, queue_due_messages
from patronflow.mail.services import SendSummary, send_due_messages
from patronflow.reports.rollup import refresh_if_due

log = logging.getLogger(__name__)


@dataclass
class JourneyProgress:
    """What one journey did in a tick: who entered (and of them were held out), who left by
    reason, how many mails it queued and enrolments it completed."""

    journey: Journey
    entered: int = 0
    held_out: int = 0
    exited: dict[str, int] = field(default_factory=dict)
    queued: int = 0
    completed: int = 0


@dataclass
class TickSummary:
    """What every active journey did, then what the sending did; `failed`: the journeys
    passed over because advancing them raised (the log holds why)."""

    journeys: list[JourneyProgress]
    sending: SendSummary
    failed: list[Journey] = field(default_factory=list)
    # Whether the reports' aggregates were refreshed: False when not due yet or it failed.
    reports_refreshed: bool = False


def apply_exits(journey: Journey, today: dt.date) -> dict[str, int]:
    """End the enrolments that must end today, withdrawing their queued mails where the
    reason leaves the member mailable; returns how many left, by reason."""
    bounced = bounced_condition(member="member", email="member__email")
    exited = {}
    for reason, enrolments in enrolments_to_exit(journey, today, bounced).items():
        count = end_and_withdraw(enrolments, reason, today)
        if count:
            exited[reason] = count
    return exited


def advance_journey(journey: Journey, now: dt.datetime) -> JourneyProgress:
    """One journey's part of a tick: exits, then entries, then the due steps' mails queued."""
    today = timezone.localdate(now)
    progress = JourneyProgress(journey=journey)
    with transaction.atomic():
        progress.exited = apply_exits(journey, today)
    progress.entered, progress.held_out = enrol_eligible(journey, now)
    progress.queued, progress.completed = queue_due_messages(journey, today)
    return progress


def tick(now: dt.datetime, on_batch: Callable[[SendSummary], None] | None = None) -> TickSummary:
    """One scheduler run: every active journey advances to `now`, then the outbox is sent
    (`on_batch` hears about each batch sent, for a progress display)."""
    journeys = Journey.objects.filter(status=Journey.Status.ACTIVE).select_related("library")
    progress, failed = [], []
    for journey in journeys:
        try:
            progress.append(advance_journey(journey, now))
        except Exception:
            # What it committed before the fault stays; the next tick continues from there.
            log.exception(
                "journey %s of library %s could not advance; the tick goes on without it",
                journey.key,
                journey.library.code,
            )
            failed.append(journey)
    sending = send_due_messages(now, on_batch=on_batch)
    return TickSummary(
        journeys=progress, sending=sending, failed=failed, reports_refreshed=_refresh(now)
    )


def _refresh(now: dt.datetime) -> bool:
    """The reports' aggregates, when due: the mails just sent and the members who just came
    in count from here on. A fault leaves the previous figures and the next tick tries again."""
    try:
        return refresh_if_due(now)
    except Exception:
        log.exception("the reports' daily figures could not be refreshed; the tick goes on")
        return False
