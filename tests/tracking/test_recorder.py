"""The server's group commit: a pixel or click is answered only once its event is committed,
a failed or stalled write is never acknowledged, and the link-sweep check never makes a
request wait."""

import asyncio
import threading
import time

import pytest
from django.utils import timezone

from patronflow.tracking import services
from patronflow.tracking.recorder import EventNotStored, EverySecond, GroupCommit
from patronflow.tracking.services import EventRow
from tests.factories import MessageFactory


def _click(message_id: int = 1, link_index: int = 0) -> EventRow:
    return EventRow(message_id, "click", link_index, "", timezone.now())


class Database:
    """A stand-in for store_events that commits only when told to."""

    def __init__(self) -> None:
        self.committed: list[EventRow] = []
        self.go_on = threading.Event()
        self.go_on.set()
        self.fail = False

    def write(self, rows: list[EventRow]) -> None:
        self.go_on.wait()
        if self.fail:
            raise RuntimeError("database gone")
        self.committed.extend(rows)


def test_a_request_is_answered_only_after_its_event_is_committed():
    database = Database()
    database.go_on.clear()

    async def scenario() -> None:
        recorder = GroupCommit(database.write)
        waiting = asyncio.ensure_future(recorder.record(_click()))
        await asyncio.sleep(0.1)
        assert not waiting.done() and database.committed == []
        database.go_on.set()
        await waiting
        assert len(database.committed) == 1
        await recorder.stop()

    asyncio.run(scenario())


def test_events_that_arrive_during_a_write_are_committed_together_in_the_next():
    database = Database()
    batches: list[int] = []

    def write(rows: list[EventRow]) -> None:
        batches.append(len(rows))
        database.write(rows)

    async def scenario() -> None:
        recorder = GroupCommit(write)
        database.go_on.clear()
        first = asyncio.ensure_future(recorder.record(_click()))
        await asyncio.sleep(0.05)  # the first batch is being written
        rest = [asyncio.ensure_future(recorder.record(_click())) for _ in range(20)]
        await asyncio.sleep(0.05)
        database.go_on.set()
        await asyncio.gather(first, *rest)
        await recorder.stop()

    asyncio.run(scenario())
    assert batches == [1, 20]


def test_an_event_the_database_refused_is_not_acknowledged_and_the_next_one_is_stored():
    database = Database()
    database.fail = True

    async def scenario() -> None:
        recorder = GroupCommit(database.write)
        with pytest.raises(EventNotStored):
            await recorder.record(_click())
        database.fail = False
        await recorder.record(_click())
        await recorder.stop()

    asyncio.run(scenario())
    assert len(database.committed) == 1


def test_an_event_not_stored_in_time_is_not_acknowledged():
    database = Database()
    database.go_on.clear()

    async def scenario() -> None:
        recorder = GroupCommit(database.write, wait_seconds=0.1)
        with pytest.raises(EventNotStored):
            await recorder.record(_click())
        database.go_on.set()
        await recorder.stop()

    asyncio.run(scenario())


def test_events_that_must_not_be_stored_twice_are_answered_by_the_write_they_are_in():
    """The API's events: a batch being written waits for its outcome past the time limit;
    one still queued behind it gives up and is dropped, so a resend stores it once."""
    database = Database()
    database.go_on.clear()

    async def scenario() -> None:
        recorder = GroupCommit(database.write, wait_seconds=0.1, give_up_while_written=False)
        being_written = asyncio.ensure_future(recorder.record(_click(1)))
        await asyncio.sleep(0.05)  # the writer has taken it, and the database hangs
        with pytest.raises(EventNotStored):
            await recorder.record(_click(2))
        await asyncio.sleep(0.1)
        assert not being_written.done()
        database.go_on.set()
        await being_written
        await recorder.stop()

    asyncio.run(scenario())
    assert [row.message_id for row in database.committed] == [1]


def test_a_slow_link_sweep_check_does_not_hold_up_the_next_commit():
    database = Database()
    sweep_may_end = threading.Event()
    swept: list[int] = []

    def slow_sweep(rows: list[EventRow]) -> None:
        sweep_may_end.wait(5)
        swept.append(len(rows))

    async def scenario() -> None:
        recorder = GroupCommit(database.write, after_write=EverySecond(slow_sweep))
        await recorder.record(_click())  # its sweep check starts, and hangs
        await asyncio.sleep(0.05)
        started = time.monotonic()
        await recorder.record(_click())
        assert time.monotonic() - started < 1
        sweep_may_end.set()
        await recorder.stop()

    asyncio.run(scenario())
    assert len(database.committed) == 2
    assert swept == [1, 1]  # the second click's check ran at the stop


def test_stopping_writes_what_is_queued_and_runs_the_last_sweep_check():
    database = Database()
    swept: list[int] = []

    async def scenario() -> None:
        recorder = GroupCommit(
            database.write, after_write=EverySecond(lambda rows: swept.append(len(rows)), 60)
        )
        await recorder.record(_click())
        await recorder.record(_click())  # within the second: left for the stop
        await recorder.stop()

    asyncio.run(scenario())
    assert len(database.committed) == 2
    assert swept == [1, 1]


@pytest.mark.django_db
def test_a_sweep_bigger_than_one_update_marks_every_click(monkeypatch):
    monkeypatch.setattr(services, "SWEEP_UPDATE_ROWS", 2)
    message = MessageFactory(links=["https://gent.be/a", "https://gent.be/b"])
    rows = [_click(message.id, index % 2) for index in range(5)]
    services.store_events(rows)

    assert services.mark_link_sweeps(rows) == 5
    assert set(message.events.values_list("machine", flat=True)) == {"link_sweep"}
