"""Reads about the outbox for operators: counts per library and status, for /metrics."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone

from patronflow.mail.models import Bounce, Message
from patronflow.members.models import Library


@dataclass(frozen=True)
class OutboxFigures:
    """Per library code: messages by status, due now, deferred, bounces by kind, paused."""

    by_status: dict[tuple[str, str], int]
    due_now: dict[str, int]
    deferred: dict[str, int]
    bounces: dict[tuple[str, str], int]
    paused: dict[str, bool]


def outbox_figures(now: dt.datetime | None = None) -> OutboxFigures:
    """Four GROUP BY queries, whatever the size of the outbox."""
    now = now or timezone.now()
    by_status = {
        (row["library__code"], row["status"]): row["n"]
        for row in Message.objects.values("library__code", "status").annotate(n=Count("id"))
    }
    queued = Message.objects.filter(status=Message.Status.QUEUED)
    due = queued.filter(due_on__lte=timezone.localdate(now)).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    due_now = dict(
        due.values("library__code").annotate(n=Count("id")).values_list("library__code", "n")
    )
    deferred = dict(
        queued.filter(attempts__gt=0)
        .values("library__code")
        .annotate(n=Count("id"))
        .values_list("library__code", "n")
    )
    bounces = {
        (row["library__code"], row["kind"]): row["n"]
        for row in Bounce.objects.values("library__code", "kind").annotate(n=Count("id"))
    }
    paused = {
        code: paused_at is not None
        for code, paused_at in Library.objects.values_list("code", "sending_paused_at")
    }
    return OutboxFigures(by_status, due_now, deferred, bounces, paused)
