"""How fast do exports load, in how much memory? Prints figures; asserts nothing.

    .venv/bin/python bench/import.py [--members 20000 --items 5000 --loans 400000]
    .venv/bin/python bench/import.py --members 1000000 --items 100000 --loans 20000000
    (--no-sqlite, --no-postgres: skip one; --keep: keep the exports and the scratch databases)

Generates synthetic exports (bench/_exports.py), then for SQLite (a temporary file) and
PostgreSQL (a scratch database, dropped and made again: --database-url) imports the full
files and a one-day delta, each import in its own process so that its peak RSS is its own
(read from the kernel with wait4). Alongside, in the same run: PostgreSQL's own COPY of the
same loans file into a bare table (the baseline our loans speed is a percentage of), the
time DuckDB takes for the per-member rollup (loans by fiction × digital, joined to items)
over the same files, and a full profile rebuild against refreshing only the members of a
one-day delta (patronflow.profiles.services).
"""

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._exports import write_exports

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/pf_bench_import"
LIBRARY = "bench"


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "step":
        step(sys.argv[2], sys.argv[3:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--items", type=int, default=5_000)
    parser.add_argument("--loans", type=int, default=400_000)
    parser.add_argument(
        "--loan-days",
        type=int,
        default=365,
        help="days the loans span (over 1,100 some leave the 36-month window every day)",
    )
    parser.add_argument("--database-url", default=DEFAULT_PG, help="scratch PostgreSQL database")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the exports and databases")
    arguments = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="patronflow-bench-import-"))
    try:
        measure(arguments, folder)
    finally:
        if arguments.keep:
            print(f"\nexports and SQLite database kept in {folder}")
        else:
            shutil.rmtree(folder)


def measure(arguments: argparse.Namespace, folder: Path) -> None:
    today = dt.date.today()
    clock = time.perf_counter()
    exports = write_exports(
        folder / "exports",
        members=arguments.members,
        items=arguments.items,
        loans=arguments.loans,
        today=today,
        loan_days=arguments.loan_days,
    )
    megabytes = exports.loans.stat().st_size / 1e6
    print(
        f"exports: {arguments.members:,} members, {arguments.items:,} items, "
        f"{arguments.loans:,} loans ({megabytes:,.0f} MB); delta: "
        f"{exports.sizes['members_delta']:,} members, {exports.sizes['loans_delta']:,} loans "
        f"(written in {time.perf_counter() - clock:.0f} s) on {os.cpu_count()} cores"
    )
    databases = []
    if not arguments.no_sqlite:
        databases.append(("SQLite", f"sqlite:///{folder / 'bench.sqlite3'}"))
    if not arguments.no_postgres:
        databases.append(("PostgreSQL", arguments.database_url))
    raw_copy = None
    profiles: dict[str, tuple[float, float, float]] = {}
    for name, url in databases:
        if url.startswith("postgresql"):
            recreate_database(url)
        env = {
            **os.environ,
            "PATRONFLOW_DATABASE_URL": url,
            "PATRONFLOW_VAR_DIR": str(folder / "var"),
            "PATRONFLOW_SECRET_KEY": "bench",
        }
        run(env, "setup")
        print(f"\n== {name}")
        print(f"{'step':<30}{'rows':>12}{'seconds':>10}{'rows/s':>12}{'peak RSS':>12}  outcome")
        figures = {}
        for label, kind, path in [
            ("full: items", "items", exports.items),
            ("full: members", "members", exports.members),
            ("full: loans", "loans", exports.loans),
        ]:
            figures[label] = report(label, *run(env, "import", kind, str(path)))
        yesterday = today - dt.timedelta(days=1)  # the nightly rebuild before the day's delta
        rebuilt = run(env, "rebuild", yesterday.isoformat())
        report("profiles: full rebuild", *rebuilt)
        figures["delta"] = report(
            "1-day delta: members", *run(env, "import", "members", str(exports.members_delta))
        )
        delta = run(env, "delta-loans", str(exports.loans_delta), today.isoformat())
        report("1-day delta: loans + refresh", *delta)
        tomorrow = today + dt.timedelta(days=1)
        quiet = run(env, "refresh", tomorrow.isoformat())
        report("next day, no import: refresh", *quiet)
        profiles[name] = (
            rebuilt[0]["seconds"],
            delta[0]["refresh_seconds"],
            quiet[0]["seconds"],
        )
        if url.startswith("postgresql"):
            raw_copy = raw_copy_seconds(url, exports.loans)
            rate = arguments.loans / raw_copy
            ours = figures["full: loans"]
            print(
                f"{'raw COPY of loans.csv':<30}{arguments.loans:>12,}{raw_copy:>10.1f}"
                f"{rate:>12,.0f}{'':>12}  bare table, no keys or indexes"
            )
            print(f"loans through patronflow at {100 * ours / rate:.0f}% of raw COPY speed")
            schema = schema_load_seconds(url)
            print(
                f"{'set-based load, same schema':<30}{arguments.loans:>12,}{schema:>10.1f}"
                f"{arguments.loans / schema:>12,.0f}{'':>12}  one INSERT … SELECT from the bare "
                "table, joins and the loans table's indexes, no validation or foreign keys"
            )
            if not arguments.keep:
                drop_database(url)
    rollup = duckdb_rollup_seconds(exports.loans, exports.items)
    if rollup is not None:
        print(f"\nDuckDB per-member rollup over loans.csv ⋈ items.csv: {rollup:.1f} s")
    for name, (rebuild, refresh, quiet) in profiles.items():
        versus = f", {rebuild / rollup:.1f}× DuckDB's rollup" if rollup else ""
        print(
            f"{name} profiles: rebuild {rebuild:.2f} s{versus}; the delta's refresh "
            f"{refresh:.3f} s ({rebuild / refresh:.0f}× faster than the rebuild); the next "
            f"day's refresh with nothing imported {quiet:.3f} s"
        )


def run(env: dict, *args: str) -> tuple[dict, int]:
    """One step in its own process; returns what it printed (JSON) and its peak RSS in KB."""
    process = subprocess.Popen(
        [sys.executable, __file__, "step", *args], env=env, stdout=subprocess.PIPE, text=True
    )
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"step {args} failed:\n{output}")
    return json.loads(output.strip().splitlines()[-1] if output.strip() else "{}"), usage.ru_maxrss


def report(label: str, result: dict, peak_kb: int) -> float:
    rows, seconds = result.get("rows", 0), result.get("seconds", 0.0)
    rate = rows / seconds if seconds and rows else 0.0
    outcome = result.get("outcome", "")
    print(
        f"{label:<30}{rows:>12,}{seconds:>10.1f}{rate:>12,.0f}{peak_kb / 1024:>9,.0f} MB  {outcome}"
    )
    return rate


def step(name: str, args: list[str]) -> None:
    """Runs inside the measured process."""
    import django

    os.environ["DJANGO_SETTINGS_MODULE"] = "patronflow.settings"
    django.setup()
    from django.core.management import call_command

    from patronflow.members.models import Library
    from patronflow.operations.imports import import_file
    from patronflow.operations.libraries import add_library

    if name == "setup":
        call_command("migrate", verbosity=0)
        add_library(LIBRARY, "Bibliotheek Bench", sender_email="nieuws@bench.example")
        result = {}
    elif name == "import":
        kind, path = args
        library = _library(Library)
        clock = time.perf_counter()
        summary = import_file(library, kind, path)
        result = {
            "rows": summary.rows,
            "seconds": time.perf_counter() - clock,
            "outcome": f"{summary.inserted:,} new, {summary.updated:,} changed, "
            f"{summary.unchanged:,} unchanged, {summary.rejected:,} rejected",
        }
    elif name == "rebuild":
        result = profile_rebuild(_library(Library), dt.date.fromisoformat(args[0]))
    elif name == "delta-loans":
        path, today = args
        library = _library(Library)
        clock = time.perf_counter()
        summary = import_file(library, "loans", path)
        loaded = time.perf_counter() - clock
        refreshed, seconds = profile_refresh(
            library, summary.members_with_new_loans, dt.date.fromisoformat(today)
        )
        result = {
            "rows": summary.rows,
            "seconds": loaded,
            "refresh_seconds": seconds,
            "outcome": f"{summary.inserted:,} new loans, "
            f"{len(summary.members_with_new_loans):,} members named; {refreshed}",
        }
    elif name == "refresh":
        library = _library(Library)
        refreshed, seconds = profile_refresh(library, set(), dt.date.fromisoformat(args[0]))
        result = {"seconds": seconds, "outcome": refreshed}
    else:
        raise SystemExit(f"unknown step {name}")
    print(json.dumps(result))


def _library(model):
    """The bench's library, reading only the columns the steps use: the benchmark then runs
    while other columns are being added to the model and have no migration yet."""
    return model.objects.only("pk", "code", "name").get(code=LIBRARY)


def profile_rebuild(library, today: dt.date) -> dict:
    """A full rebuild of the library's reading profiles."""
    from patronflow.profiles.services import rebuild_profiles

    clock = time.perf_counter()
    written = rebuild_profiles(library, today)
    return {"seconds": time.perf_counter() - clock, "outcome": f"{written:,} profiles rebuilt"}


def profile_refresh(library, member_ids: set[int], today: dt.date) -> tuple[str, float]:
    """The nightly refresh a day after the rebuild: by difference, the loans new since the
    rebuild and those that left the window."""
    from patronflow.profiles.services import refresh_after_import

    clock = time.perf_counter()
    changed = refresh_after_import(library, member_ids, today)
    seconds = time.perf_counter() - clock
    return f"{changed:,} profiles changed in {seconds:.3f} s", seconds


def recreate_database(url: str) -> None:
    drop_database(url)
    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')


def drop_database(url: str) -> None:
    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def raw_copy_seconds(url: str, loans: Path) -> float:
    """PostgreSQL's own COPY of the loans file into a bare table: what the server can take."""
    with psycopg.connect(url) as database:
        database.execute(
            "CREATE TABLE bare_loans (loan_id text, member_id text, item_id text, loaned_on date)"
        )
        database.commit()
        clock = time.perf_counter()
        with (
            database.cursor() as cursor,
            cursor.copy("COPY bare_loans FROM STDIN (FORMAT csv, HEADER true)") as copy,
            loans.open("rb") as file,
        ):
            while data := file.read(1 << 20):
                copy.write(data)
        database.commit()
        return time.perf_counter() - clock


def schema_load_seconds(url: str) -> float:
    """The server's own cost of the real schema: the bare table's loans into a copy of the
    loans table (same indexes), members and items joined on the library's ids, in one
    statement — what is left to gain once Python's share is gone."""
    with psycopg.connect(url) as database:
        database.execute("CREATE TABLE loans_like (LIKE members_loan INCLUDING ALL)")
        database.commit()
        clock = time.perf_counter()
        database.execute(
            "INSERT INTO loans_like (library_id, external_id, member_id, item_id, loaned_on) "
            "SELECT m.library_id, b.loan_id, m.id, i.id, b.loaned_on FROM bare_loans b "
            "JOIN members_member m ON m.external_id = b.member_id "
            "JOIN members_item i ON i.external_id = b.item_id AND i.library_id = m.library_id"
        )
        database.commit()
        return time.perf_counter() - clock


def duckdb_rollup_seconds(loans: Path, items: Path) -> float | None:
    try:
        import duckdb
    except ImportError:
        print("\nDuckDB reference skipped: pip install -e '.[bench]'")
        return None
    digital = "i.material IN ('e-book', 'e-luisterboek')"
    fiction = "i.fiction = 'ja'"
    clock = time.perf_counter()
    database = duckdb.connect()
    database.execute(
        f"""
        CREATE TABLE rollup AS
        SELECT l.member_id,
            count(*) FILTER (WHERE {fiction} AND {digital}) AS fiction_digital,
            count(*) FILTER (WHERE {fiction} AND NOT {digital}) AS fiction_physical,
            count(*) FILTER (WHERE NOT {fiction} AND {digital}) AS nonfiction_digital,
            count(*) FILTER (WHERE NOT {fiction} AND NOT {digital}) AS nonfiction_physical
        FROM read_csv('{loans}', header = true) l
        JOIN read_csv('{items}', header = true) i USING (item_id)
        GROUP BY l.member_id
        """
    )
    return time.perf_counter() - clock


if __name__ == "__main__":
    main()
