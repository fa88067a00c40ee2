"""A requested calendar runs away from the web request: with a broker, as a Celery task once
the request's transaction commits; each simulated day is published where the web can read
it while the run's own transaction stays invisible; the result is kept with the journey's
version; a task delivered twice does nothing more."""

import datetime as dt

import pytest
from django.core.cache import cache

from patronflow.celery import app
from patronflow.operations import calendar_runs
from patronflow.operations.calendar_runs import (
    CALENDAR_TASK,
    latest_run,
    progress_key,
    run_calendar,
    simulated_days,
    start_run,
)
from patronflow.operations.dry_run import simulate
from patronflow.operations.models import CalendarRun
from patronflow.operations.tasks import dry_run_calendar
from tests.factories import TODAY, MemberFactory
from tests.journeys.helpers import install, only, step

pytestmark = pytest.mark.django_db


@pytest.fixture
def journey(library):
    only(library)
    for _ in range(3):
        MemberFactory(library=library)
    return install(library, steps=[step("Welkom", 0), step("Tweede", 2)]).journey


def test_with_a_broker_the_run_goes_to_a_worker_once_committed(
    journey, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.BROKER_URL = "redis://127.0.0.1:6399/0"
    handed = []
    monkeypatch.setattr(app, "send_task", lambda name, args, queue: handed.append((name, args)))

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run = start_run(journey=journey, days=5, today=TODAY)
        assert handed == []  # not before the run's row is there for the worker to read

    assert len(callbacks) == 1
    assert handed == [(CALENDAR_TASK, (run.pk,))]
    assert run.status == CalendarRun.Status.RUNNING and run.version == 1


def test_the_task_keeps_simulates_days_and_publishes_each_day_done(journey, monkeypatch):
    run = start_run(journey=journey, days=5, today=TODAY)
    seen = []

    def watched(*args, on_day, **kwargs):
        def publish(done: int) -> None:
            on_day(done)
            seen.append(cache.get(progress_key(run.pk)))

        return simulate(*args, on_day=publish, **kwargs)

    monkeypatch.setattr(calendar_runs, "simulate", watched)
    dry_run_calendar(run.pk)  # the task's body, as a worker runs it

    run.refresh_from_db()
    assert seen == [1, 2, 3, 4, 5]
    assert cache.get(progress_key(run.pk)) is None
    assert run.status == CalendarRun.Status.DONE and run.finished_at is not None
    monkeypatch.undo()
    expected = simulate(journey, TODAY, TODAY + dt.timedelta(days=4))
    assert simulated_days(run) == expected
    assert latest_run(journey=journey, today=TODAY) == run


def test_a_task_delivered_twice_does_nothing_more(journey, monkeypatch):
    run = start_run(journey=journey, days=3, today=TODAY)
    run_calendar(run_id=run.pk)
    monkeypatch.setattr(calendar_runs, "simulate", pytest.fail)

    run_calendar(run_id=run.pk)

    assert CalendarRun.objects.get().status == CalendarRun.Status.DONE


def test_asking_on_a_later_day_drops_the_earlier_days_calendars(journey):
    run_calendar(run_id=start_run(journey=journey, days=3, today=TODAY).pk)

    start_run(journey=journey, days=3, today=TODAY + dt.timedelta(days=1))

    assert list(CalendarRun.objects.values_list("first_day", flat=True)) == [
        TODAY + dt.timedelta(days=1)
    ]


def test_a_second_request_waiting_for_the_first_reuses_its_run(journey, monkeypatch):
    """Two "Calculate" clicks at once: the second request waits on the journey's lock while
    the first creates its run and commits, then finds that run instead of starting one."""
    first = []
    real_lock = calendar_runs.lock_journey

    def lock_after_the_first_request(locked):
        first.append(
            CalendarRun.objects.create(journey=journey, version=1, first_day=TODAY, days=5)
        )
        real_lock(locked)

    monkeypatch.setattr(calendar_runs, "lock_journey", lock_after_the_first_request)

    run = start_run(journey=journey, days=5, today=TODAY)

    assert run == first[0]
    assert CalendarRun.objects.count() == 1


def test_a_task_redelivered_while_the_first_still_runs_does_not_simulate_again(
    journey, monkeypatch
):
    run = start_run(journey=journey, days=3, today=TODAY)
    simulations = []

    def simulated_while_redelivered(*args, **kwargs):
        simulations.append(args)
        if len(simulations) == 1:
            run_calendar(run_id=run.pk)  # the broker hands the task to a second worker
        return simulate(*args, **kwargs)

    monkeypatch.setattr(calendar_runs, "simulate", simulated_while_redelivered)

    run_calendar(run_id=run.pk)

    assert len(simulations) == 1
    run.refresh_from_db()
    assert run.status == CalendarRun.Status.DONE and run.claimed_at is not None
