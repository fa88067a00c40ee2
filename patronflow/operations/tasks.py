"""Celery tasks of the flows: the staff calendar's dry run, away from the web request."""

from patronflow.celery import app
from patronflow.operations.calendar_runs import CALENDAR_TASK, run_calendar


@app.task(name=CALENDAR_TASK)
def dry_run_calendar(run_id: int) -> None:
    """Compute one requested calendar (operations/calendar_runs.py); a run already finished
    is left alone, so a redelivered task is harmless."""
    run_calendar(run_id=run_id)
