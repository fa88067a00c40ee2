"""How long do a network's reports take at 300 libraries and 2M members? Prints figures;
asserts nothing.

    .venv/bin/python bench/network_scale.py [--scale 1] [--keep] [--repeat 5] [--limit 300]
    (--database-url or NETWORK_BENCH_DATABASE_URL: a scratch database of its own, default
    postgresql://postgres@127.0.0.1:5432/pf_bench_network, dropped and made again)

Generates the network of issue 26 (bench/_network.py: at scale 1, 300 libraries, 2,000,000
members, 20,000,000 loans, visits, 10,000,000 mails with held-out members, opens, clicks,
unsubscribes and votes); `--scale 0.01` makes 3 libraries of the same size with 1% of the
rows. `--keep` reuses a database generated at the same scale (new migrations are applied).
Then the daily aggregates' refreshes (members.activity, reports.rollup where present), and
per report function the time a page waits for it, for the largest library and for the
network: the first call on a new connection and up to `--repeat` more (median, max); a call
past `--limit` seconds is stopped and shown as such. The raw paths that remain (outcomes_of
and effect_of for one journey, loans per month straight from the loans) are timed in the
same run, side by side.
"""

import argparse
import datetime as dt
import json
import os
import signal
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import django
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DEFAULT_URL = os.environ.get(
    "NETWORK_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/pf_bench_network"
)
SEED = 26
AIM = 2.0  # seconds: the aim for each report function


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--keep", action="store_true", help="reuse a database of this scale")
    parser.add_argument("--repeat", type=int, default=5, help="timed calls after the first")
    parser.add_argument("--limit", type=float, default=300, help="seconds before a call stops")
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--refresh-limit", type=float, default=3600, help="seconds, refreshes")
    parser.add_argument("--no-refresh", action="store_true", help="skip the refreshes")
    arguments = parser.parse_args()
    os.environ["PATRONFLOW_DATABASE_URL"] = arguments.database_url
    os.environ.setdefault("PATRONFLOW_SECRET_KEY", "bench")
    os.environ["DJANGO_SETTINGS_MODULE"] = "patronflow.settings"
    django.setup()

    from django.core.management import call_command

    from bench import _network

    url = arguments.database_url
    known = generated(url) if arguments.keep else None
    if known and known["scale"] == arguments.scale and known["seed"] == SEED:
        today = known["today"]
        print(f"kept: the network generated on {today} at scale {arguments.scale}")
        clock = time.perf_counter()
        call_command("migrate", verbosity=0)  # an upgrade's migrations, on a network this size
        print(f"migrated in {time.perf_counter() - clock:.0f} s")
    else:
        today = dt.date.today()
        recreate_database(url)
        call_command("migrate", verbosity=0)
        size = _network.Size.at(arguments.scale)
        print(f"generating the network at scale {arguments.scale} ({size})")
        clock = time.perf_counter()
        laps = _network.generate(url, scale=arguments.scale, today=today, seed=SEED)
        seconds = time.perf_counter() - clock
        remember(url, scale=arguments.scale, today=today, seconds=seconds, laps=laps)
        print(f"generated in {seconds / 60:.1f} min")
    rows = _network.counts(url)
    print("\n" + "  ".join(f"{table.split('_', 1)[1]} {count:,}" for table, count in rows.items()))
    print(
        f"\nmeasured on {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} "
        f"when starting; report day {today}"
    )
    if not arguments.no_refresh:
        refreshes(today, arguments.refresh_limit)
    reports(today, arguments)


def generated(url: str) -> dict | None:
    """What the database at `url` was generated as, if it was by this benchmark."""
    try:
        with psycopg.connect(url) as db:
            row = db.execute("SELECT scale, seed, today FROM bench_network").fetchone()
    except psycopg.Error:
        return None
    return {"scale": row[0], "seed": row[1], "today": row[2]} if row else None


def remember(url: str, *, scale: float, today: dt.date, seconds: float, laps: dict) -> None:
    with psycopg.connect(url) as db:
        db.execute(
            "CREATE TABLE bench_network (scale float8, seed int, today date, seconds float8, "
            "laps jsonb)"
        )
        db.execute(
            "INSERT INTO bench_network VALUES (%s, %s, %s, %s, %s)",
            (scale, SEED, today, seconds, json.dumps(laps)),
        )


def recreate_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    server = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


class TooLong(Exception):
    pass


def timed(call: Callable[[], object], limit: float, *, fresh: bool = True) -> float | None:
    """Seconds the call took (on a new connection if `fresh`); None if stopped at `limit`."""
    from django.db import connection, connections

    if fresh:
        connections.close_all()
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = %s", [int(limit * 1000)])

    def stop(_signal, _frame):
        raise TooLong

    signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, limit)
    clock = time.perf_counter()
    try:
        call()
    except (TooLong, django.db.OperationalError):
        connections.close_all()
        return None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    return time.perf_counter() - clock


def refreshes(today: dt.date, limit: float) -> None:
    """What keeping the aggregates costs: everything recounted, and one day's refresh."""
    from patronflow.members import activity
    from patronflow.members.models import Library
    from patronflow.reports import rollup
    from patronflow.reports.models import Rollup

    ids = list(Library.objects.values_list("pk", flat=True))
    print(f"\n{'refresh':<58}{'s':>9}")
    runs = {
        "members.activity.rebuild (every library, from raw rows)": lambda: activity.rebuild(),
        "members.activity.recount (yesterday, every library)": lambda: [
            activity.recount(library=pk, first=today - dt.timedelta(days=1), last=today)
            for pk in ids
        ],
    }

    def first_refresh() -> None:
        Rollup.objects.all().delete()  # as on a new installation: every day is computed
        rollup.refresh(today=today)

    # The first refresh computes every day; the next ones only the days still live, as the
    # tick does every quarter of an hour.
    runs["reports.rollup.refresh (first: every day)"] = first_refresh
    runs["reports.rollup.refresh (next: the live days)"] = lambda: rollup.refresh(today=today)
    for name, call in runs.items():
        print(f"{name:<58}{shown(timed(call, limit)):>9}", flush=True)


def shown(seconds: float | None) -> str:
    if seconds is None:
        return "stopped"
    return f"{seconds:.2f}"


def reports(today: dt.date, arguments: argparse.Namespace) -> None:
    """Each function a report page calls, for the largest library and for the network."""
    from django.db import connection
    from django.db.models import Count

    from patronflow.journeys.models import Journey
    from patronflow.members.models import Library
    from patronflow.reports import baseline, benchmark, exports, metrics, outcomes, published
    from patronflow.reports.effect import effect_of

    library = Library.objects.annotate(n=Count("members")).order_by("-n", "code").first()
    journey = (
        Journey.objects.filter(library=library)
        .annotate(n=Count("enrolments"))
        .order_by("-n", "key")
        .first()
    )
    libraries = list(Library.objects.order_by("code"))
    print(
        f"\nlargest library {library.code}: {library.n:,} members; its largest journey "
        f"{journey.key}: {journey.n:,} enrolments"
    )

    def raw_loans_per_month(of: Library | None) -> list:
        """The baseline's figures straight from the loans, as it read them before the
        aggregates: loans and distinct borrowers per month over two years."""
        where = "" if of is None else "AND library_id = %s"
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT library_id, date_trunc('month', loaned_on), count(*), "
                "count(DISTINCT member_id) FROM members_loan "
                f"WHERE loaned_on >= %s {where} GROUP BY 1, 2",
                [today - dt.timedelta(days=730), *([] if of is None else [of.pk])],
            )
            return cursor.fetchall()

    def raw_effect(of: Journey) -> object:
        return effect_of(outcomes.outcomes_of(of), today)

    calls: list[tuple[str, Callable | None, Callable | None]] = [
        (
            "metrics.campaign_metrics",
            lambda: metrics.campaign_metrics(library),
            lambda: metrics.campaign_metrics(None),
        ),
        (
            "published.published_campaign",
            lambda: published.published_campaign(library),
            lambda: published.published_campaign(None),
        ),
        (
            "outcomes.effect_by_journey",
            lambda: outcomes.effect_by_journey(library, today),
            lambda: outcomes.effect_by_journey(None, today),
        ),
        (
            "baseline.baseline (network: each library)",
            lambda: baseline.baseline(library, as_of=today),
            lambda: [baseline.baseline(each, as_of=today) for each in libraries],
        ),
    ]
    try:
        from patronflow.reports import comparison
    except ImportError:
        print("(reports.comparison is not on this version: difference-in-differences untimed)")
    else:
        calls.append(
            (
                "comparison.comparison_of",
                lambda: comparison.comparison_of(library, as_of=today, since=None, until=None),
                None,
            )
        )
    calls += [
        (
            "benchmark.cross_library_benchmark",
            None,
            lambda: benchmark.cross_library_benchmark(today),
        ),
        (
            "exports.build_report",
            lambda: exports.build_report(library, as_of=today),
            lambda: exports.build_report(None, as_of=today),
        ),
        (
            "raw: campaign_metrics_from_mails",
            lambda: metrics.campaign_metrics_from_mails(library),
            lambda: metrics.campaign_metrics_from_mails(None),
        ),
        ("raw: benchmark.members_from_mails", None, lambda: benchmark.members_from_mails()),
        ("raw: outcomes_of + effect_of (largest journey)", lambda: raw_effect(journey), None),
        (
            "raw: loans and borrowers per month, 2 years",
            lambda: raw_loans_per_month(library),
            lambda: raw_loans_per_month(None),
        ),
    ]
    print(
        f"\n{'seconds (first call; median and max of the next)':<50}"
        f"{'library: first':>15}{'median':>8}{'max':>8}{'network: first':>16}{'median':>8}"
        f"{'max':>8}"
    )
    for name, for_library, for_network in calls:
        cells = ""
        for call in (for_library, for_network):
            if call is None:
                cells += f"{'':>15}{'':>8}{'':>8}" if not cells else f"{'':>16}{'':>8}{'':>8}"
                continue
            first, median, most = repeated(call, arguments.repeat, arguments.limit)
            width = 15 if not cells else 16
            cells += f"{shown(first):>{width}}{median:>8}{most:>8}"
        print(f"{name:<50}{cells}", flush=True)
    print(f"\naim: every report function under {AIM:.0f} s; stopped: past {arguments.limit:.0f} s")


def repeated(call: Callable, repeat: int, limit: float) -> tuple[float | None, str, str]:
    """The first call, then up to `repeat` more while they stay quick (a call past 10 s is
    not repeated: its first time says enough)."""
    first = timed(call, limit)
    if first is None or first > 10:
        return first, "", ""
    runs = []
    for _ in range(repeat):
        seconds = timed(call, limit, fresh=False)
        if seconds is None:
            break
        runs.append(seconds)
    if not runs:
        return first, "", ""
    return first, f"{statistics.median(runs):.2f}", f"{max(runs):.2f}"


if __name__ == "__main__":
    main()
