"""Celery tasks: one claimed batch each. The claim, not the broker, makes sending once-only."""

import dataclasses
import datetime as dt

from patronflow.celery import app
from patronflow.mail.services import SEND_BATCH_TASK, send_one_batch


@app.task(name=SEND_BATCH_TASK)
def send_batch(now: str, batch_size: int | None = None) -> dict:
    """Claim and send one batch due at `now` (ISO); nothing to do is fine."""
    summary = send_one_batch(dt.datetime.fromisoformat(now), batch_size)
    return dataclasses.asdict(summary) if summary else {}
