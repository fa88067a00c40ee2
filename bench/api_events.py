"""How many events can the API take, and how quickly does one event come back?

    .venv/bin/python bench/api_events.py [--database-url URL] [--seconds 10] [--workers 2]
                                         [--connections 50] [--batch 1000] [--members 10000]

Builds a scratch PostgreSQL database (dropped, created, and dropped again at the end) with one
library of `--members` members and an API token with the events scope, starts `patronflow
serve` (Granian) on it with a rate limit no run reaches (each request is counted, as in
production), and measures, side by side in one run:

- batch: wrk at 4 connections posting `--batch` events per request to /api/v1/events/batch;
  events/s counted in the database (every acknowledged batch must be stored), against the
  baseline of the same rows written straight into the table with one COPY per batch from this
  process — the database's own ceiling on this machine;
- single: wrk at `--connections` connections each posting one event to /api/v1/events;
  requests/s, p50 and p99 (closed loop: every connection sends its next event as soon as the
  last is answered), answered by the events front (api/front.py), against the baseline of the
  same server with Django's view answering every request (no front);
- paced: the same `--connections` clients, each sending on its own schedule so that together
  they offer `--paced` events/s (500 unless told): the latency websites see at that rate,
  each request timed from when it was due.

Prints figures; asserts nothing. Needs wrk (Debian: apt-get install wrk).
"""

import argparse
import datetime as dt
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._servers import free_port, scratch_database, serve, wrk

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/pf_bench_api"
BATCH_CONNECTIONS = 4

POST_LUA = """
local bodies = {%s}
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %s"
request = function()
  n = n + 1
  return wrk.format(nil, "%s", nil, bodies[(n %% #bodies) + 1])
end
"""
# The same server with Django answering every request: the API's own view, no front.
DJANGO_ONLY = "patronflow.tracking.asgi:application"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_PG)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument(
        "--paced", type=int, default=500, help="events/s the paced clients send between them"
    )
    arguments = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")

    scratch_database(arguments.database_url, create=True)
    work = Path(tempfile.mkdtemp(prefix="patronflow-bench-api-"))
    os.environ["PATRONFLOW_VAR_DIR"] = str(work)
    os.environ["PATRONFLOW_DATABASE_URL"] = arguments.database_url
    os.environ["PATRONFLOW_SECRET_KEY"] = "bench-only-secret-key-" + "x" * 40
    # Every request is counted towards the token's limit, as in production, but never over it.
    os.environ["PATRONFLOW_API_RATE_LIMIT"] = str(10**9)
    os.environ["DJANGO_SETTINGS_MODULE"] = "patronflow.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    try:
        library_id, token = build_library(arguments.members)
        run_all(arguments, library_id, token, work)
    finally:
        from django.db import connections

        connections.close_all()
        scratch_database(arguments.database_url, create=False)


def build_library(count: int) -> tuple[int, str]:
    """One library with `count` members (ids m0 … m{count-1}) and an events token."""
    from patronflow.api.tokens import create_token
    from patronflow.members.models import Member
    from tests.factories import LibraryFactory

    library = LibraryFactory(code="bench")
    Member.objects.bulk_create(
        Member(
            library=library,
            external_id=f"m{n}",
            first_name="Lid",
            email=f"m{n}@example.org",
            registered_on=dt.date(2024, 1, 1),
        )
        for n in range(count)
    )
    _, token = create_token(library=library, name="bench", scopes=["events"])
    return library.pk, token


def event(n: int, members: int) -> dict:
    return {
        "type": "activity.registered",
        "member": f"m{n % members}",
        "occurred_at": "2026-12-06T10:00:00+01:00",
        "properties": {
            "name": "Voorleesuurtje",
            "starts_at": "2026-12-12T10:00:00+01:00",
            "place": "Zaal 1",
            "link": "https://bib.example.org/agenda/voorleesuurtje",
        },
    }


def lua(token: str, path: str, bodies: list[str]) -> str:
    quoted = ",".join("[[" + body + "]]" for body in bodies)
    return POST_LUA % (quoted, token, path)


def stored(library_id: int) -> int:
    from patronflow.members.models import MemberEvent

    return MemberEvent.objects.filter(library_id=library_id).count()


def copy_baseline(library_id: int, arguments) -> float:
    """Events/s written straight into the table: one COPY per batch, one commit each."""
    from django.db import connection, transaction
    from django.utils import timezone

    from patronflow.members.models import Member, MemberEvent

    ids = list(Member.objects.filter(library_id=library_id).values_list("pk", flat=True))
    table = MemberEvent._meta.db_table
    columns = "library_id, member_id, type, occurred_at, properties, key, received_at"
    deadline = time.monotonic() + arguments.seconds
    written, started, n = 0, time.monotonic(), 0
    while time.monotonic() < deadline:
        now = timezone.now()
        with (
            transaction.atomic(),
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            for _ in range(arguments.batch):
                row = event(n, arguments.members)
                copy.write_row((
                    library_id, ids[n % len(ids)], row["type"], row["occurred_at"],
                    json.dumps(row["properties"]), "", now,
                ))  # fmt: skip
                n += 1
        written += arguments.batch
    return written / (time.monotonic() - started)


def run_all(arguments, library_id: int, token: str, work: Path) -> None:
    log = work / "serve.log"
    size = arguments.batch
    batches = [
        json.dumps({"events": [event(b * size + i, arguments.members) for i in range(size)]})
        for b in range(4)
    ]
    singles = [json.dumps(event(n, arguments.members)) for n in range(200)]
    (work / "batch.lua").write_text(lua(token, "/api/v1/events/batch", batches))
    (work / "single.lua").write_text(lua(token, "/api/v1/events", singles))
    print(f"serve: Granian (ASGI), {arguments.workers} workers; PostgreSQL; {os.cpu_count()} "
          f"cores shared by server, database and wrk; {arguments.seconds} s a run")  # fmt: skip

    def load(script: str, connections: int):
        return lambda port: wrk(
            port, work / script, connections=connections, seconds=arguments.seconds
        )

    figures = {}
    for name, target, run in (
        ("batch", None, load("batch.lua", BATCH_CONNECTIONS)),
        ("single", None, load("single.lua", arguments.connections)),
        ("single, Django only", DJANGO_ONLY, load("single.lua", arguments.connections)),
        ("paced", None, lambda port: paced(port, token, singles, arguments)),
    ):
        port = free_port()
        server = serve(port, arguments.workers, log, target=target)
        try:
            before = stored(library_id)
            figures[name] = run(port)
            time.sleep(1)  # the answers wrk stopped reading
            figures[name]["stored"] = stored(library_id) - before
        finally:
            stop(server)
    baseline = copy_baseline(library_id, arguments)

    batch = figures["batch"]
    rate = batch["acknowledged"] * arguments.batch / arguments.seconds
    print(f"\nbatches of {arguments.batch:,} events at {BATCH_CONNECTIONS} connections")
    print(f"  {'':<28} {'events/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
    print(f"  {'POST /events/batch':<28} {rate:>9,.0f} {batch['p50']:>8.1f} {batch['p99']:>8.1f}"
          f"   {_fates(batch, arguments.batch)}")  # fmt: skip
    print(f"  {'COPY from this process':<28} {baseline:>9,.0f}   the baseline: the API takes "
          f"{rate / baseline:.0%} of it")  # fmt: skip
    print(f"\none event a request at {arguments.connections} connections (closed loop)")
    print(f"  {'':<28} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
    for name in ("single", "single, Django only"):
        row = figures[name]
        label = "POST /events" + ("" if name == "single" else ", Django's view")
        print(f"  {label:<28} {row['rate']:>9,.0f} {row['p50']:>8.1f} {row['p99']:>8.1f}"
              f"   {_fates(row, 1)}")  # fmt: skip
    ratio = figures["single"]["rate"] / figures["single, Django only"]["rate"]
    print(f"  the events front answers {ratio:.1f}x the requests of Django's view alone")
    row = figures["paced"]
    print(f"\none event a request from {arguments.connections} clients sending "
          f"{arguments.paced:,} events/s between them (open loop: each on its own schedule; "
          f"a late answer delays none of the next)")  # fmt: skip
    print(f"  {'POST /events':<28} {row['rate']:>9,.0f} {row['p50']:>8.1f} {row['p99']:>8.1f}"
          f"   {_fates(row, 1)}")  # fmt: skip


def paced(port: int, token: str, bodies: list[str], arguments) -> dict:
    """`--connections` clients, each posting one event at a time on a fixed schedule that
    adds up to `--paced` events/s; a request's latency runs from when it was due to go, so
    waiting for a slow answer counts against the server."""
    clients, seconds = arguments.connections, arguments.seconds
    interval = clients / arguments.paced
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    latencies: list[float] = []
    refused = [0]
    lock = threading.Lock()

    def client(number: int) -> None:
        link = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        start = time.monotonic() + number * interval / clients
        mine, bad = [], 0
        for n in range(int(seconds / interval)):
            due = start + n * interval
            time.sleep(max(0.0, due - time.monotonic()))
            link.request("POST", "/api/v1/events", bodies[(number + n) % len(bodies)], headers)
            answer = link.getresponse()
            answer.read()
            bad += answer.status != 201
            mine.append(time.monotonic() - due)
        link.close()
        with lock:
            latencies.extend(mine)
            refused[0] += bad

    with ThreadPoolExecutor(clients) as pool:
        began = time.monotonic()
        list(pool.map(client, range(clients)))
        took = time.monotonic() - began
    latencies.sort()
    return {
        "rate": len(latencies) / took,
        "p50": latencies[len(latencies) // 2] * 1000,
        "p99": latencies[int(len(latencies) * 0.99)] * 1000,
        "acknowledged": len(latencies) - refused[0],
        "rejected": refused[0],
        "errors": "none",
    }


def _fates(row: dict, events: int) -> str:
    return (
        f"acknowledged {row['acknowledged'] * events:,}, stored {row['stored']:,}, "
        f"refused {row['rejected']}, socket errors {row['errors']}"
    )


def stop(server) -> None:
    server.terminate()
    try:
        server.wait(60)
    except subprocess.TimeoutExpired:
        server.kill()
        raise SystemExit("serve did not stop within 60 s of SIGTERM") from None


if __name__ == "__main__":
    main()
