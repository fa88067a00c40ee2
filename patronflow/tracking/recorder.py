"""Group commit for opens and clicks: many requests, one INSERT, and no acknowledged event lost.

A request hands its event to the recorder and waits; one writer per server process takes
everything that arrived while the previous batch was being written and stores it with one
multi-row INSERT in one transaction. Only when that has committed do the waiting requests
answer — so a pixel's 200 or a click's 302 always means the event is in the database,
whatever happens to the process afterwards (SIGTERM, SIGKILL, a power cut). Under load the
batches grow by themselves; when idle a request waits for its own one-row INSERT only.

The requests are coroutines on the server's event loop (waiting costs next to nothing); the
INSERT runs on one thread of its own, which keeps its database connection.
"""

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from django.db import close_old_connections, connection

from patronflow.tracking.services import EventRow

log = logging.getLogger(__name__)


class EventNotStored(RuntimeError):
    """The database did not take the event in time: the request must not acknowledge it."""


class EverySecond:
    """Collects the clicks of written batches and hands them on at most once a second: link
    sweeps are looked for over a window of seconds, not per batch."""

    def __init__(self, handle: Callable[[list[EventRow]], object], seconds: float = 1.0) -> None:
        self._handle = handle
        self._seconds = seconds
        self._rows: list[EventRow] = []
        self._last = 0.0

    def __call__(self, rows: list[EventRow]) -> None:
        self._rows.extend(row for row in rows if row.kind == "click")
        if self._rows and time.monotonic() - self._last >= self._seconds:
            self.flush()

    def flush(self) -> None:
        rows, self._rows = self._rows, []
        self._last = time.monotonic()
        if rows:
            self._handle(rows)


class GroupCommit:
    def __init__(
        self,
        write: Callable[[list[EventRow]], None],
        *,
        after_write: Callable[[list[EventRow]], None] | None = None,
        wait_seconds: float = 10.0,
    ) -> None:
        self._write = write
        self._after_write = after_write
        self._wait_seconds = wait_seconds
        self._rows: list[EventRow] = []
        self._committed: asyncio.Future | None = None
        self._pending: asyncio.Event | None = None
        self._writer: asyncio.Task | None = None
        self._writing = False
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="event-writer")

    async def record(self, row: EventRow) -> None:
        """Return once the event is committed; raise EventNotStored when it may not be."""
        if self._writer is None:
            self._start()
        self._rows.append(row)
        committed = self._committed
        self._pending.set()
        try:
            await asyncio.wait_for(asyncio.shield(committed), self._wait_seconds)
        except TimeoutError:
            raise EventNotStored(f"not stored within {self._wait_seconds} s") from None

    def _start(self) -> None:
        loop = asyncio.get_running_loop()
        self._committed = loop.create_future()
        self._pending = asyncio.Event()
        self._writer = loop.create_task(self._run())

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._pending.wait()
            self._pending.clear()
            if not self._rows:
                continue
            rows, self._rows = self._rows, []
            committed, self._committed = self._committed, loop.create_future()
            self._writing = True
            try:
                await loop.run_in_executor(self._thread, self._store, rows)
            except Exception as error:
                committed.set_exception(EventNotStored(str(error)))
                committed.exception()  # retrieved: the waiters each raise their own
            else:
                committed.set_result(None)
                if self._after_write is not None:  # on the same thread, awaited by no request
                    loop.run_in_executor(self._thread, self._after, rows)
            finally:
                self._writing = False

    def _store(self, rows: list[EventRow]) -> None:
        try:
            self._write(rows)
        except Exception:
            log.exception("could not store %d tracking events", len(rows))
            connection.close()  # a broken connection is opened afresh for the next batch
            raise

    def _after(self, rows: list[EventRow]) -> None:
        try:
            self._after_write(rows)
        except Exception:
            log.exception("could not look for link sweeps")
            connection.close()
        close_old_connections()

    async def stop(self) -> None:
        """Write what is queued, run the last sweep check, and end the writer."""
        loop = asyncio.get_running_loop()
        if self._writer is not None:
            while self._rows or self._writing:
                self._pending.set()
                await asyncio.sleep(0.01)
            self._writer.cancel()
        if isinstance(self._after_write, EverySecond):
            await loop.run_in_executor(self._thread, self._after_write.flush)
        self._thread.shutdown(wait=True)
