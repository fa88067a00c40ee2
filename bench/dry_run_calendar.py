"""How long does the staff screen's calendar (the dry run) take? Prints figures; asserts nothing.

    .venv/bin/python bench/dry_run_calendar.py [--members 100000] [--days 7 30 60]
        [--before DIR]
    (CALENDAR_BENCH_DATABASE_URL: another scratch database than
    postgresql://postgres@127.0.0.1:5432/pf_cal_bench)

--before DIR: a source tree of earlier code (e.g. `git archive f12a109 | tar -x -C DIR`)
whose calendar is timed too, on the same data in the same run, and the ratio printed. A
dry run rolls back everything it did, so both see the same database.

Fills a PostgreSQL database of its own (dropped and made again) with one library of
`--members` members, its two standard journeys active: registrations over fifteen years with
a few new members every day, and about a third of the members without a loan or visit for
more than a year (the dormant journey's audience), most with an address. Then, for each
journey and each period, the calendar as the screen makes it
(staff/views/calendar.py: calendar_of(simulate(...)) from today): the seconds it takes and
what it found. The first day carries the dormant journey's whole audience (every member who
qualifies enters at once), the days after only what is new, which is why the longer periods
cost little more than the first day.
"""

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import django
import psycopg

DATABASE_URL = os.environ.get(
    "CALENDAR_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/pf_cal_bench"
)
# Django connects on the first query, after the database is made again.
os.environ["PATRONFLOW_DATABASE_URL"] = DATABASE_URL
os.environ.setdefault("PATRONFLOW_SECRET_KEY", "bench")
os.environ["DJANGO_SETTINGS_MODULE"] = "patronflow.settings"
# The code timed: this tree, or (for --before, in a process of its own) an earlier one.
SOURCE = os.environ.get("CALENDAR_BENCH_SOURCE") or str(Path(__file__).resolve().parent.parent)
sys.path.insert(0, SOURCE)
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from patronflow.journeys.models import Journey  # noqa: E402
from patronflow.operations.dry_run import simulate  # noqa: E402
from patronflow.operations.libraries import add_library  # noqa: E402
from patronflow.staff.views.calendar import calendar_of  # noqa: E402

MEMBERS = """
INSERT INTO members_member (library_id, external_id, first_name, last_name, email, birth_date,
    registered_on, last_activity_on, has_online_profile, updated_at)
SELECT %(library)s, 'M' || g, 'Lid', 'Bench',
    CASE WHEN random() < 0.1 THEN '' ELSE 'lid' || g || '@example.org' END,
    DATE '1980-05-17',
    registered,
    CASE WHEN random() < 0.35 THEN registered
         ELSE greatest(registered, %(today)s::date - (random() * 300)::int) END,
    random() < 0.3,
    now()
FROM (
    SELECT g, CASE WHEN g %% 500 = 0 THEN %(today)s::date - (g / 500) %% 30
                   ELSE %(today)s::date - 400 - (random() * 15 * 365)::int END AS registered
    FROM generate_series(1, %(size)s) g
) AS drawn
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--days", type=int, nargs="+", default=[7, 30, 60])
    parser.add_argument("--before", help="a source tree of earlier code to time as well")
    parser.add_argument("--timings-only", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.timings_only:  # the --before process: the data is there already
        print(json.dumps(timings(arguments.days)))
        return
    fill(arguments.members)
    print(f"{arguments.members:,} members; the calendar from {dt.date.today()}, on PostgreSQL")
    now = timings(arguments.days)
    before = earlier_timings(arguments.before, arguments.days) if arguments.before else None
    for index, (key, days, seconds, totals) in enumerate(now):
        line = (
            f"{key:8} {days:3} days: {seconds:6.1f} s  "
            f"(entered {totals['entered']:,}, mails {totals['sent']:,}, "
            f"not mailable {totals['not_mailable']:,})"
        )
        if before is not None:
            earlier = before[index][2]
            same = "same figures" if before[index][3] == totals else "FIGURES DIFFER"
            line += f"  before {earlier:6.1f} s, {earlier / seconds:4.1f}x faster, {same}"
        print(line)


def fill(members: int) -> None:
    recreate_database(DATABASE_URL)
    call_command("migrate", verbosity=0)
    today = dt.date.today()
    library = add_library(
        "bench",
        "Bibliotheek Bench",
        sender_email="nieuws@bench.bibliotheek.be",
        privacy_url="https://bench.bibliotheek.be/privacy",
        profile_url="https://bench.bibliotheek.be/mijn-bibliotheek",
    )
    library.journeys.update(status="active")
    with connection.cursor() as cursor:
        cursor.execute(MEMBERS, {"library": library.pk, "size": members, "today": today})
        cursor.execute("ANALYZE")


def timings(periods: list[int]) -> list[tuple[str, int, float, dict]]:
    """(journey, days, seconds, the calendar's totals) for each journey and period."""
    today = dt.date.today()
    result = []
    for journey in Journey.objects.filter(library__code="bench").order_by("key"):
        for days in periods:
            clock = time.perf_counter()
            calendar = calendar_of(simulate(journey, today, today + dt.timedelta(days=days - 1)))
            result.append((journey.key, days, time.perf_counter() - clock, calendar.totals))
    return result


def earlier_timings(source: str, periods: list[int]) -> list[tuple[str, int, float, dict]]:
    """The same timings with the earlier code in `source`, in a process of its own."""
    command = [sys.executable, __file__, "--timings-only", "--days", *map(str, periods)]
    environment = {**os.environ, "CALENDAR_BENCH_SOURCE": str(Path(source).resolve())}
    output = subprocess.run(command, env=environment, check=True, capture_output=True, text=True)
    return [tuple(row) for row in json.loads(output.stdout.splitlines()[-1])]


def recreate_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    server = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(server, autocommit=True) as database:
        database.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        database.execute(f'CREATE DATABASE "{name}"')


if __name__ == "__main__":
    main()
