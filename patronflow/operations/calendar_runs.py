"""The staff calendar's dry runs, computed outside the web request and kept.

A dry run of a large library takes a while, longer than a web request should wait (proxies
give up; on SQLite it holds the write lock all along). So the page only asks for one: a
CalendarRun row is written and committed, and the run itself goes to a Celery worker when
PATRONFLOW_BROKER_URL is set, else to a thread of the web process that was asked (where
sending would go inline). The page polls the row and shows the result, kept for the
journey's version, the period and the day, so reopening is instant.

Progress (day k of N) cannot be written to the database: `simulate` works inside one
transaction it rolls back, which nobody else sees, and on SQLite that transaction holds the
only write lock, so a second connection could not write either. It goes to Django's cache
instead, which is the broker's Redis when there is one (shared by the workers and the web)
and files under VAR_DIR otherwise (shared by the web's processes, one of which runs the
thread). The outcome, done or failed, is written to the row after the rollback.
"""

import datetime as dt
import logging
import threading
from collections import Counter
from functools import partial

from django.conf import settings
from django.core.cache import cache
from django.db import connection, connections, transaction
from django.utils import timezone

from patronflow.celery import configure
from patronflow.journeys.models import Journey
from patronflow.journeys.services import lock_journey
from patronflow.operations.dry_run import SimulatedDay, simulate
from patronflow.operations.models import CalendarRun

log = logging.getLogger(__name__)

# The Celery task that runs one (operations/tasks.py), dispatched by name.
CALENDAR_TASK = "patronflow.dry_run_calendar"
# A run still not finished after this long was lost (its worker or web process stopped).
RUN_LIMIT = dt.timedelta(hours=1)


def progress_key(run_id: int) -> str:
    """The run's key in the cache, which installations (and test runs) may share: a run's id
    is unique in its own database only."""
    return f"patronflow:calendar-run:{connection.settings_dict['NAME']}:{run_id}"


def days_done(run: CalendarRun) -> int:
    """How many of the run's days are simulated so far (0 when its process cannot tell)."""
    return cache.get(progress_key(run.pk), 0)


def is_lost(run: CalendarRun, now: dt.datetime) -> bool:
    """Still running long after any run should have finished: its process stopped."""
    return run.status == CalendarRun.Status.RUNNING and run.started_at < now - RUN_LIMIT


def _version_number(journey: Journey) -> int:
    """The number of the version new members enter, read afresh."""
    return journey.versions.order_by("-number").values_list("number", flat=True).first() or 0


def latest_run(*, journey: Journey, today: dt.date, days: int | None = None) -> CalendarRun | None:
    """The latest calendar of the journey's current version from today (of `days` days, or
    of any period when None)."""
    runs = CalendarRun.objects.filter(
        journey=journey, version=_version_number(journey), first_day=today
    )
    if days is not None:
        runs = runs.filter(days=days)
    return runs.order_by("-started_at", "-pk").first()


def start_run(*, journey: Journey, days: int, today: dt.date) -> CalendarRun:
    """Ask for the journey's calendar of `days` days from today: a run that is going already
    for the same is reused, else a new one starts once this transaction commits. Calendars of
    earlier days are dropped: they no longer say anything.

    The journey's row is locked before looking for a going run, so that of two requests at
    once the second waits for the first to commit and then finds its run."""
    with transaction.atomic():
        lock_journey(journey)
        now = timezone.now()
        going = latest_run(journey=journey, today=today, days=days)
        if (
            going is not None
            and going.status == CalendarRun.Status.RUNNING
            and not is_lost(going, now)
        ):
            return going
        CalendarRun.objects.filter(journey=journey, first_day__lt=today).delete()
        run = CalendarRun.objects.create(
            journey=journey,
            version=_version_number(journey),
            first_day=today,
            days=days,
            started_at=now,
        )
        transaction.on_commit(partial(_dispatch, run.pk))
    return run


def _dispatch(run_id: int) -> None:
    if settings.BROKER_URL:
        configure().send_task(CALENDAR_TASK, (run_id,), queue=settings.SEND_QUEUE)
    else:
        threading.Thread(
            target=_run_in_thread, args=(run_id,), name=f"calendar-run-{run_id}", daemon=True
        ).start()


def _run_in_thread(run_id: int) -> None:
    try:
        run_calendar(run_id=run_id)
    finally:
        connections.close_all()  # this thread's own connections


def run_calendar(*, run_id: int) -> None:
    """Simulate the run's days, publishing each day done, and keep the result or the
    failure on the row. A run another worker took up, or finished, is left alone (a task
    delivered twice, even while the first delivery still runs): the conditional update
    lets one worker claim it."""
    claimed = CalendarRun.objects.filter(
        pk=run_id, status=CalendarRun.Status.RUNNING, claimed_at__isnull=True
    ).update(claimed_at=timezone.now())
    if not claimed:
        return
    run = CalendarRun.objects.select_related("journey__library").get(pk=run_id)
    key = progress_key(run.pk)
    last = run.first_day + dt.timedelta(days=run.days - 1)
    try:
        simulated = simulate(
            run.journey,
            run.first_day,
            last,
            on_day=lambda done: cache.set(key, done, int(RUN_LIMIT.total_seconds())),
        )
    except Exception as error:
        log.exception("the calendar run %s failed", run.pk)
        outcome = {"status": CalendarRun.Status.FAILED, "error": f"{type(error).__name__}: {error}"}
    else:
        days = [_day_as_json(day) for day in simulated]
        outcome = {"status": CalendarRun.Status.DONE, "result": days}
    CalendarRun.objects.filter(pk=run.pk).update(**outcome, finished_at=timezone.now())
    cache.delete(key)


def _day_as_json(day: SimulatedDay) -> dict:
    return {
        "day": day.day.isoformat(),
        "entered": day.entered,
        "held_out": day.held_out,
        "mails": dict(day.mails),
        "not_mailable": day.not_mailable,
        "waiting": day.waiting,
        "exited": dict(day.exited),
        "completed": day.completed,
    }


def simulated_days(run: CalendarRun) -> list[SimulatedDay]:
    """A finished run's days, as `simulate` gave them."""
    return [
        SimulatedDay(
            day=dt.date.fromisoformat(day["day"]),
            entered=day["entered"],
            held_out=day["held_out"],
            mails=Counter(day["mails"]),
            not_mailable=day["not_mailable"],
            waiting=day["waiting"],
            exited=Counter(day["exited"]),
            completed=day["completed"],
        )
        for day in run.result or []
    ]
