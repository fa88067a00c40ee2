"""Celery tasks: one claimed batch each. The claim, not the broker, makes sending once-only."""

import dataclasses
import datetime as dt
import math

from django.conf import settings

from patronflow.celery import app, configure
from patronflow.mail.services import _due, send_one_batch


@app.task(name="patronflow.send_batch")
def send_batch(now: str, batch_size: int | None = None) -> dict:
    """Claim and send one batch due at `now` (ISO); nothing to do is fine."""
    summary = send_one_batch(dt.datetime.fromisoformat(now), batch_size)
    return dataclasses.asdict(summary) if summary else {}


def dispatch_batches(now: dt.datetime, batch_size: int | None = None) -> int:
    """Queue one task per batch's worth of due messages; returns how many were queued."""
    configure()
    size = batch_size or settings.SEND_BATCH_SIZE
    due = _due(now).filter(library__sending_paused_at__isnull=True).count()
    batches = math.ceil(due / size)
    for _ in range(batches):
        send_batch.apply_async((now.isoformat(), size), queue=settings.SEND_QUEUE)
    return batches
