"""Group commit for opens and clicks: many requests, one INSERT, and no acknowledged event lost.

A request hands its event to the recorder and waits; one writer per server process takes
everything that arrived while the previous batch was being written and stores it with one
multi-row INSERT in one transaction. Only when that has committed do the waiting requests
answer — so a pixel's 200 or a click's 302 always means the event is in the database,
whatever happens to the process afterwards (SIGTERM, SIGKILL, a power cut: both databases
flush each commit to disk, docs/tracking.md). Under load the batches grow by themselves;
when idle a request waits for its own one-row INSERT only.

The requests are coroutines on the server's event loop (waiting costs next to nothing). The
writer is a thread of its own with its own database connection, kept open: it goes straight
from one batch to the next without a round trip through the event loop, and only wakes the
loop to answer a batch's requests. Nothing else runs on it — the link-sweep check has a
thread of its own (`EverySecond`), so a commit never waits behind it.
"""

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from django.db import connection

from patronflow.tracking.services import EventRow

log = logging.getLogger(__name__)


class EventNotStored(RuntimeError):
    """The database did not take the event in time: the request must not acknowledge it."""


class EverySecond:
    """Collects the clicks of written batches and hands them on at most once a second, on a
    thread of its own: link sweeps are looked for over a window of seconds, not per batch, and
    the look (a GROUP BY and an UPDATE over the window's clicks, tens of ms under load) must
    not hold up the next commit."""

    def __init__(self, handle: Callable[[list[EventRow]], object], seconds: float = 1.0) -> None:
        self._handle = handle
        self._seconds = seconds
        self._rows: list[EventRow] = []
        self._last = 0.0
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="link-sweeps")
        self._running: Future | None = None

    def __call__(self, rows: list[EventRow]) -> None:
        self._rows.extend(row for row in rows if row.kind == "click")
        busy = self._running is not None and not self._running.done()
        if self._rows and not busy and time.monotonic() - self._last >= self._seconds:
            self._submit()

    def flush(self) -> None:
        """The last look, at what is collected now: wait for it, then end the thread."""
        if self._running is not None:
            self._running.result()
        self._submit().result()
        self._thread.submit(_close_connection).result()
        self._thread.shutdown(wait=True)

    def _submit(self) -> Future:
        rows, self._rows = self._rows, []
        self._last = time.monotonic()
        self._running = self._thread.submit(self._look, rows)
        return self._running

    def _look(self, rows: list[EventRow]) -> None:
        if not rows:
            return
        try:
            self._handle(rows)
        except Exception:
            log.exception("could not look for link sweeps")
            connection.close()  # a broken connection is opened afresh for the next look


class GroupCommit:
    """`wait_seconds` after its first request, a batch gives up: its requests raise
    EventNotStored. With `give_up_while_written` (tracking's choice) that holds even for a
    batch the writer is storing, which may then be stored after all — a pixel must not wait
    on a stuck database, and an event counted twice is rare. Without it only a batch still
    queued gives up, and its rows are dropped, never stored; a batch being written answers
    with its outcome — for events whose resend would store them twice."""

    def __init__(
        self,
        write: Callable[[list[EventRow]], None],
        *,
        after_write: Callable[[list[EventRow]], None] | None = None,
        wait_seconds: float = 10.0,
        give_up_while_written: bool = True,
    ) -> None:
        self._write = write
        self._after_write = after_write
        self._wait_seconds = wait_seconds
        self._give_up_while_written = give_up_while_written
        self._queued = threading.Condition()
        self._rows: list[EventRow] = []
        self._committed: asyncio.Future | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._writer: threading.Thread | None = None
        self._stopping = False

    async def record(self, row: EventRow) -> None:
        """Return once the event is committed; raise EventNotStored when it may not be."""
        with self._queued:
            if self._writer is None:
                self._start()
            if self._committed is None:
                self._committed = self._loop.create_future()
                # One timer a batch, not one a request.
                self._loop.call_later(self._wait_seconds, self._give_up, self._committed)
            committed = self._committed
            self._rows.append(row)
            self._queued.notify()
        await committed

    def _start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._writer = threading.Thread(target=self._run, name="event-writer", daemon=True)
        self._writer.start()

    def _run(self) -> None:
        try:
            self._write_until_stopped()
        finally:
            connection.close()  # the writer's own connection ends with it

    def _write_until_stopped(self) -> None:
        while True:
            with self._queued:
                while not self._rows and not self._stopping:
                    self._queued.wait()
                if not self._rows:
                    return
                rows, self._rows = self._rows, []
                committed, self._committed = self._committed, None
            try:
                self._store(rows)
            except Exception as error:
                self._loop.call_soon_threadsafe(_fail, committed, str(error))
                continue
            self._loop.call_soon_threadsafe(_succeed, committed)
            if self._after_write is not None:
                self._after_write(rows)

    def _store(self, rows: list[EventRow]) -> None:
        try:
            self._write(rows)
        except Exception:
            log.exception("could not store %d tracking events", len(rows))
            connection.close()  # a broken connection is opened afresh for the next batch
            raise

    def _give_up(self, committed: asyncio.Future) -> None:
        if not self._give_up_while_written:
            with self._queued:
                if self._committed is not committed:
                    return  # the writer has the batch: its outcome answers
                self._rows, self._committed = [], None
        _fail(committed, "not stored in time")

    async def stop(self) -> None:
        """Write what is queued, run the last sweep check, and end the writer."""
        loop = asyncio.get_running_loop()
        if self._writer is not None:
            with self._queued:
                self._stopping = True
                self._queued.notify()
            await loop.run_in_executor(None, self._writer.join)
        if isinstance(self._after_write, EverySecond):
            await loop.run_in_executor(None, self._after_write.flush)


def _close_connection() -> None:
    """Run on the thread whose database connection is to end (connections are per thread)."""
    connection.close()


def _succeed(committed: asyncio.Future) -> None:
    if not committed.done():
        committed.set_result(None)


def _fail(committed: asyncio.Future, reason: str) -> None:
    if not committed.done():
        committed.set_exception(EventNotStored(reason))
        committed.exception()  # retrieved: the waiters each raise their own
