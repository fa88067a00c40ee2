"""`patronflow simulate`: what a journey would do, day by day, over the real data.

The dry run is the real engine, not a model of it: every day it runs the library's tick —
entries, exits, steps, send windows and caps — inside a transaction that is rolled back at
the end, with a sender that records instead of sending. So it cannot drift from what `tick`
will do; and it sends nothing and changes nothing. The journey may still be a draft, or
paused: it is simulated as if switched on.
"""

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import F, Max

from patronflow.journeys.models import DEFAULT_VARIANT, Enrolment, Journey
from patronflow.mail.models import Message
from patronflow.mail.outbox import release_held
from patronflow.mail.services import claim_batch
from patronflow.operations.tick import advance_journey
from patronflow.privacy.rules import mailable_condition


@dataclass
class SimulatedDay:
    day: dt.date
    entered: int = 0
    held_out: int = 0
    mails: Counter = field(default_factory=Counter)  # "step/segment" → mails sent
    not_mailable: int = 0
    waiting: int = 0  # queued at the end of the day: outside the window or over a cap
    exited: Counter = field(default_factory=Counter)
    completed: int = 0


def variant_label(position: int, segment: str) -> str:
    return f"{position}/{segment or DEFAULT_VARIANT}"


def _record_sending(now: dt.datetime, today: dt.date) -> list[Message]:
    """What `send_due_messages` would deliver now, marked sent or suppressed without SMTP: a
    claimed batch is checked against the privacy rule in one query (the sender's own rule:
    privacy.rules, with the library's suppression list by address) and written with one
    update per outcome."""
    delivered = []
    while batch := claim_batch(now, settings.SEND_BATCH_SIZE):
        claimed = Message.objects.filter(pk__in=[message.pk for message in batch])
        mailable = set(
            claimed.filter(mailable_condition(today, prefix="enrolment__member__")).values_list(
                "pk", flat=True
            )
        )
        claimed.filter(pk__in=mailable).update(
            status=Message.Status.SENT, sent_at=now, claimed_by="", attempts=F("attempts") + 1
        )
        claimed.exclude(pk__in=mailable).update(status=Message.Status.SUPPRESSED, claimed_by="")
        for message in batch:
            sent = message.pk in mailable
            message.status = Message.Status.SENT if sent else Message.Status.SUPPRESSED
        delivered.extend(batch)
    return delivered


class _Rollback(Exception):
    pass


def simulate(
    journey: Journey,
    first: dt.date,
    last: dt.date,
    at: dt.time = dt.time(10, 0),
    on_day: Callable[[int], None] | None = None,
) -> list[SimulatedDay]:
    """Run the library's journeys each day from `first` to `last` at `at` (the library's local
    time) and report what this journey did; everything is rolled back afterwards. `on_day`
    hears how many days are done after each one, for a progress display: it must report
    outside this transaction, which nobody else sees and which is rolled back."""
    if last < first:
        raise ValueError("the last day comes before the first")
    days: list[SimulatedDay] = []
    zone = ZoneInfo(journey.library.time_zone)
    try:
        with transaction.atomic():
            # A draft or paused journey runs as if switched on: a paused one's held mails too.
            Journey.objects.filter(pk=journey.pk).update(status=Journey.Status.ACTIVE)
            release_held(journey)
            running = list(
                Journey.objects.filter(library=journey.library, status=Journey.Status.ACTIVE)
                .select_related("library")
                .order_by("pk")
            )
            day = first
            while day <= last:
                days.append(
                    _simulate_day(journey, running, day, dt.datetime.combine(day, at, zone))
                )
                day += dt.timedelta(days=1)
                if on_day is not None:
                    on_day(len(days))
            raise _Rollback
    except _Rollback:
        pass
    return days


def _simulate_day(
    journey: Journey, running: list[Journey], day: dt.date, now: dt.datetime
) -> SimulatedDay:
    result = SimulatedDay(day=day)
    last_enrolment = Enrolment.objects.aggregate(last=Max("pk"))["last"] or 0
    for other in running:
        progress = advance_journey(other, now)
        if other.pk == journey.pk:
            result.exited.update(progress.exited)
            result.completed = progress.completed
    entered = Enrolment.objects.filter(journey=journey, pk__gt=last_enrolment)
    result.entered = entered.count()
    result.held_out = entered.filter(held_out=True).count()
    for message in _record_sending(now, day):
        if message.enrolment.journey_id != journey.pk:
            continue
        if message.status == Message.Status.SENT:
            result.mails[variant_label(message.step.position, message.variant.segment)] += 1
        else:
            result.not_mailable += 1
    result.waiting = Message.objects.filter(
        enrolment__journey=journey, status=Message.Status.QUEUED
    ).count()
    return result
