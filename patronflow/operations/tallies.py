"""What the mails of members about to be removed did, added to the tallies first
(journeys.MailTally), so that erasing or purging them changes no report. Mails of days the
reports' aggregates have frozen (reports/rollup.py) are already counted there for good and
are not tallied again."""

import datetime as dt
from collections import Counter

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from patronflow.journeys.models import MailTally
from patronflow.mail.models import Message
from patronflow.reports.metrics import midnight
from patronflow.reports.rollup import live_from
from patronflow.tracking.models import SHOWS_OPENED, Event, Feedback

TALLIED = (
    "sent",
    "uncertain",
    "opened",
    "human_opened",
    "clicked",
    "human_clicked",
    "unsubscribed",
    "thumbs_up",
    "thumbs_down",
)


def _week_of(message: Message) -> dt.date:
    day = timezone.localdate(message.sent_at) if message.sent_at else message.due_on
    return day - dt.timedelta(days=day.weekday())


def fold_into_tallies(messages) -> int:
    """Add what these sent (or perhaps sent) messages did to MailTally, the way reports count
    it: each mail once per kind of event, members' opens and clicks apart from machines', the
    latest vote. Returns the number of messages folded."""
    frozen_before = live_from()
    if frozen_before is not None:
        messages = messages.filter(Q(sent_at__gte=midnight(frozen_before)) | Q(sent_at=None))
    events = Event.objects.filter(message=OuterRef("pk"))
    outcomes = (
        messages.filter(status__in=(Message.Status.SENT, Message.Status.UNCERTAIN))
        .annotate(
            was_opened=Exists(events.filter(kind__in=SHOWS_OPENED)),
            member_opened=Exists(events.filter(kind__in=SHOWS_OPENED, machine="")),
            was_clicked=Exists(events.filter(kind=Event.Kind.CLICK)),
            member_clicked=Exists(events.filter(kind=Event.Kind.CLICK, machine="")),
            was_unsubscribed=Exists(
                Event.objects.filter(message=OuterRef("pk"), kind=Event.Kind.UNSUBSCRIBE)
            ),
            vote=F("feedback__vote"),
        )
        .only("library_id", "step_id", "variant_id", "sent_at", "due_on", "status")
    )
    tallies: dict[tuple, Counter] = {}
    folded = 0
    for message in outcomes.iterator(chunk_size=2000):
        key = (message.library_id, message.step_id, message.variant_id, _week_of(message))
        tally = tallies.setdefault(key, Counter())
        tally["sent"] += 1
        tally["uncertain"] += message.status == Message.Status.UNCERTAIN
        tally["opened"] += message.was_opened
        tally["human_opened"] += message.member_opened
        tally["clicked"] += message.was_clicked
        tally["human_clicked"] += message.member_clicked
        tally["unsubscribed"] += message.was_unsubscribed
        tally["thumbs_up"] += message.vote == Feedback.Vote.UP
        tally["thumbs_down"] += message.vote == Feedback.Vote.DOWN
        folded += 1
    for (library_id, step_id, variant_id, week), tally in tallies.items():
        _add_to_tally(
            {"library_id": library_id, "step_id": step_id, "variant_id": variant_id, "week": week},
            {name: tally[name] for name in TALLIED},
        )
    return folded


def _add_to_tally(key: dict, counts: dict[str, int]) -> None:
    increments = {name: F(name) + n for name, n in counts.items()}
    if MailTally.objects.filter(**key).update(**increments):
        return
    try:
        with transaction.atomic():
            MailTally.objects.create(**key, **counts)
    except IntegrityError:  # another removal created this week's row first
        MailTally.objects.filter(**key).update(**increments)
