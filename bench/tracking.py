"""How many pixel loads and clicks can `patronflow serve` take, and are they all stored?

    .venv/bin/python bench/tracking.py [--database-url URL] [--seconds 10] [--connections 50]
                                       [--rounds 1] [--workers 2]

Builds a scratch database — PostgreSQL when --database-url is given (that database is
dropped, created, and dropped again at the end), else SQLite in a temporary folder — with
one library that tracks opens and 200 sent mails of 2 links each, starts `patronflow serve`
(Granian) on it, and runs wrk at 50 connections against the open pixel, then the click
redirect, then — same server, same settings — a minimal ASGI app that answers every request
with a fixed 43-byte body: the ceiling. Prints requests/s, p50 and p99 latency, and the
events stored against the responses wrk counted (every acknowledged event must be in the
database; a few more may be stored, answered after wrk stopped reading).
With --breakdown it also serves, same run, the tracking app with its database write replaced
by nothing, and by an append to a local file made durable with fdatasync (the cheapest durable
write there is): what the ceiling's share would be if storing an event cost nothing, and if it
cost one disk flush per batch.
Prints figures; asserts nothing. Needs wrk (Debian: apt-get install wrk).
"""

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._servers import free_port, scratch_database, serve, wrk

BODY = b"GIF89a" + b"\x00" * 37


HEADERS = [(b"content-type", b"image/gif"), (b"content-length", str(len(BODY)).encode())]


async def ceiling_app(scope, receive, send):
    """The least an ASGI app can do on this server: the ceiling for the tracking endpoints."""
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})


def __getattr__(name: str):
    """The --breakdown variants, built only in the server process that serves them."""
    if name not in ("no_write_app", "local_file_app"):
        raise AttributeError(name)
    from django.core.asgi import get_asgi_application

    from patronflow.tracking import hits
    from patronflow.tracking.asgi import CACHE_SECONDS, TrackingApplication
    from patronflow.tracking.recorder import GroupCommit

    write = (lambda rows: None) if name == "no_write_app" else LocalFile()
    return TrackingApplication(
        get_asgi_application(), GroupCommit(write), hits.FactsCache(CACHE_SECONDS)
    )


class LocalFile:
    """Each batch appended to a file of the process's own and flushed to disk."""

    def __init__(self) -> None:
        self.fd: int | None = None

    def __call__(self, rows) -> None:
        if self.fd is None:
            path = Path(os.environ["PATRONFLOW_VAR_DIR"]) / f"events-{os.getpid()}.log"
            self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        os.write(self.fd, "".join(f"{row}\n" for row in rows).encode())
        os.fdatasync(self.fd)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=1, help="repeat the three runs")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument(
        "--breakdown", action="store_true", help="also serve with no write, and with a file write"
    )
    arguments = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")

    if arguments.database_url:
        scratch_database(arguments.database_url, create=True)
    var_dir = tempfile.mkdtemp(prefix="patronflow-bench-tracking-")
    os.environ["PATRONFLOW_VAR_DIR"] = var_dir
    os.environ["PATRONFLOW_DATABASE_URL"] = (
        arguments.database_url or f"sqlite:///{var_dir}/patronflow.sqlite3"
    )
    os.environ["PATRONFLOW_SECRET_KEY"] = "bench-only-secret-key-" + "x" * 40
    os.environ["DJANGO_SETTINGS_MODULE"] = "patronflow.settings"
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    try:
        paths = build_mails(arguments.messages)
        run_all(arguments, paths, Path(var_dir))
    finally:
        if arguments.database_url:
            from django.db import connections

            connections.close_all()
            scratch_database(arguments.database_url, create=False)


def build_mails(count: int) -> dict[str, list[str]]:
    """A library that tracks opens, and `count` mails sent a day ago with two links each."""
    import datetime as dt

    from django.urls import reverse
    from django.utils import timezone

    from patronflow.mail.models import Message
    from patronflow.mail.tokens import make_token
    from tests.factories import LibraryFactory, MessageFactory

    library = LibraryFactory(code="bench", track_opens=True)
    messages = MessageFactory.create_batch(count, enrolment__journey__library=library)
    Message.objects.filter(library=library).update(sent_at=timezone.now() - dt.timedelta(days=1))
    return {
        "open": [reverse("tracking:open", args=[make_token("open", m.id)]) for m in messages],
        "click": [
            reverse("tracking:click", args=[make_token("click", m.id, i)])
            for m in messages
            for i in (0, 1)
        ],
    }


LUA = """
local paths = {%s}
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", paths[(n %% #paths) + 1], {["User-Agent"] = "Mozilla/5.0 (bench)"})
end
"""


def run_wrk(port: int, paths: list[str], arguments, work: Path) -> dict:
    script = work / "paths.lua"
    script.write_text(LUA % ",".join(f'"{p}"' for p in paths))
    return wrk(port, script, connections=arguments.connections, seconds=arguments.seconds)


def run_all(arguments, paths: dict[str, list[str]], work: Path) -> None:
    from patronflow.tracking.models import Event

    log = work / "serve.log"
    print(f"wrk: {arguments.connections} connections, {arguments.seconds} s per run; serve: "
          f"Granian (ASGI), {arguments.workers} workers; "
          f"database: {os.environ['PATRONFLOW_DATABASE_URL'].split(':')[0]}")  # fmt: skip
    print(f"{'run':<10} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'acked':>8} {'stored':>8} "
          f"{'lost':>5}  {'% ceiling':>9}  socket errors")  # fmt: skip
    for _ in range(arguments.rounds):
        port = free_port()
        server = serve(port, arguments.workers, log, probe="/t/o/x.gif")
        figures = {}
        try:
            for kind in ("open", "click"):
                before = Event.objects.filter(kind=kind).count()
                figures[kind] = run_wrk(port, paths[kind], arguments, work)
                time.sleep(0.5)  # the last responses wrk stopped reading
                figures[kind]["stored"] = Event.objects.filter(kind=kind).count() - before
        finally:
            server.terminate()
            server.wait(30)
        variants = {"ceiling": "tracking:ceiling_app"}
        if arguments.breakdown:
            variants = {
                "no write": "tracking:no_write_app",
                "file+sync": "tracking:local_file_app",
                **variants,
            }
        for name, target in variants.items():
            port = free_port()
            server = serve(port, arguments.workers, log, target=target, probe="/t/o/x.gif")
            try:
                figures[name] = run_wrk(port, paths["open"], arguments, work)
            finally:
                server.terminate()
                server.wait(30)
        ceiling = figures["ceiling"]["rate"]
        for kind, row in figures.items():
            stored = row.get("stored")
            lost = max(0, row["acknowledged"] - stored) if stored is not None else ""
            share = f"{row['rate'] / ceiling:.0%}" if kind != "ceiling" else ""
            print(f"{kind:<10} {row['rate']:>8.0f} {row['p50']:>7.2f} {row['p99']:>7.2f} "
                  f"{row['acknowledged']:>8} {stored if stored is not None else '':>8} "
                  f"{lost:>5}  {share:>9}  {row['errors']}")  # fmt: skip


if __name__ == "__main__":
    main()
