"""How fast does the audience builder count? Prints figures; asserts nothing.

    .venv/bin/python bench/audience_count.py [--members 1000000 --loans 20000000]
    (--reuse: count on the database a previous run left; --explain: print each count's
    plan with EXPLAIN ANALYZE; AUDIENCE_BENCH_DATABASE_URL: another scratch database than
    postgresql://postgres@127.0.0.1:5432/pf_aud_bench)

Fills a PostgreSQL database of its own (dropped and made again) with one library of
`--members` members — ages, addresses, unsubscribes, ended memberships, registrations over
fifteen years, last activity from this week to never — plus a second library a tenth its size,
`--loans` loans over the last three years by the members active in them (each member's loans
on or before their last activity, most close to it), reading profiles for most borrowers and a
suppression list; all of it by INSERT … SELECT in the database, the loans with their indexes
and constraints dropped and made again. Then, for typical audiences, the count the builder
shows (journeys/audience_counts.py: members, of whom mailable, per reading segment; one
query): the first run on a new connection ("cold": the server's caches may still hold the
tables, the connection holds nothing) and the median of five more ("warm"), beside a plain
count() of the library's members.
"""

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

import django
import psycopg

DATABASE_URL = os.environ.get(
    "AUDIENCE_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/pf_aud_bench"
)
# Django connects on the first query, after the database is made again.
os.environ["PATRONFLOW_DATABASE_URL"] = DATABASE_URL
os.environ.setdefault("PATRONFLOW_SECRET_KEY", "bench")
os.environ["DJANGO_SETTINGS_MODULE"] = "patronflow.settings"
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402

from patronflow.journeys.audience_counts import audience_count, counts_per_segment  # noqa: E402
from patronflow.journeys.definitions import save_segment  # noqa: E402
from patronflow.members.latest_loans import note_latest_loans  # noqa: E402
from patronflow.members.models import Library, Member  # noqa: E402

AUDIENCES = {
    "everyone (no conditions)": {},
    "dormant rule": {"inactive_for_days": 365},
    "plain mapping": {
        "active_within_days": 730,
        "reading_segments": ["fiction_digital", "nonfiction_digital"],
        "min_age": 18,
    },
    "OR of reading segments": {
        "any": [
            {"reading_segments": ["fiction_digital"]},
            {"reading_segments": ["nonfiction_digital"]},
            {"active_within_days": 30, "has_online_profile": True},
        ]
    },
    "NOT": {"not": {"any": [{"max_age": 25}, {"has_online_profile": True}]}},
    "saved segment, nested": {
        "segment": "lezers",
        "not": {"any": [{"registered_within_days": 60}, {"inactive_for_days": 180}]},
    },
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--loans", type=int, default=20_000_000)
    parser.add_argument("--reuse", action="store_true", help="count on the existing database")
    parser.add_argument("--explain", action="store_true", help="print each count's plan")
    arguments = parser.parse_args()
    if not arguments.reuse:
        recreate_database(DATABASE_URL)
    call_command("migrate", verbosity=0)
    today = dt.date.today()
    if not arguments.reuse:
        clock = time.perf_counter()
        fill(arguments.members, arguments.loans, today)
        print(f"filled in {time.perf_counter() - clock:.0f} s")
    measure(today, explain=arguments.explain)


def recreate_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    server = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def fill(members: int, loans: int, today: dt.date) -> None:
    """The libraries, members, items, loans, profiles and suppressions, in the database."""
    bench = Library.objects.create(code="bench", name="Bibliotheek Bench")
    other = Library.objects.create(code="ander", name="Bibliotheek Ander")
    with connection.cursor() as cursor:
        for library, size in ((bench, members), (other, members // 10)):
            cursor.execute(MEMBERS, {"library": library.pk, "size": size, "today": today})
        cursor.execute(ITEMS, {"library": bench.pk, "size": max(members // 10, 1000)})
        with_loans_unindexed(cursor, {"library": bench.pk, "size": loans, "today": today})
        cursor.execute("SELECT DISTINCT member_id FROM members_loan")
        borrowers = [member_id for (member_id,) in cursor.fetchall()]
    clock = time.perf_counter()
    note_latest_loans(borrowers)  # as the loans import does, chunk by chunk
    seconds = time.perf_counter() - clock
    print(f"latest loan day of {len(borrowers):,} members noted in {seconds:.0f} s")
    with connection.cursor() as cursor:
        cursor.execute(PROFILES, {"library": bench.pk, "today": today})
        cursor.execute(SUPPRESSIONS, {"library": bench.pk})
        cursor.execute("ANALYZE")
        cursor.execute(
            "SELECT count(*) FILTER (WHERE library_id = %s), count(*) FROM members_member",
            [bench.pk],
        )
        print("members: {:,} in the library, {:,} in all".format(*cursor.fetchone()))
        cursor.execute("SELECT count(*), count(DISTINCT member_id) FROM members_loan")
        print("loans: {:,} by {:,} members".format(*cursor.fetchone()))
    save_segment(bench, "lezers", "Lezers", {"active_within_days": 365, "min_age": 16})


def with_loans_unindexed(cursor, parameters: dict) -> None:
    """The loans, loaded with the table's indexes and constraints dropped, then made again
    (in one pass each, as a bulk load does)."""
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = 'members_loan'::regclass AND contype <> 'p'"
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'members_loan' "
        "AND indexname NOT IN (SELECT conname FROM pg_constraint "
        "WHERE conrelid = 'members_loan'::regclass)"
    )
    indexes = cursor.fetchall()
    for name, _definition in constraints:
        cursor.execute(f'ALTER TABLE members_loan DROP CONSTRAINT "{name}"')
    for name, _definition in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    cursor.execute(BORROWERS, parameters)
    cursor.execute(LOANS, parameters)
    for _name, definition in indexes:
        cursor.execute(definition)
    for name, definition in constraints:
        cursor.execute(f'ALTER TABLE members_loan ADD CONSTRAINT "{name}" {definition}')


MEMBERS = """
INSERT INTO members_member (library_id, external_id, first_name, last_name, email, birth_date,
    registered_on, last_activity_on, loans_removed_through, has_online_profile,
    membership_ends_on, unsubscribed_at, updated_at)
SELECT %(library)s, 'M' || g, 'Lid', 'Bench',
    CASE WHEN random() < 0.1 THEN '' ELSE 'lid' || g || '-' || %(library)s || '@example.org' END,
    CASE WHEN random() < 0.03 THEN NULL
         ELSE %(today)s::date - (5 * 365 + random() * 85 * 365)::int END,
    registered,
    CASE WHEN activity < 0.45 THEN greatest(registered, %(today)s::date - (random() * 365)::int)
         WHEN activity < 0.70 THEN greatest(registered,
             %(today)s::date - 365 - (random() * 730)::int)
         WHEN activity < 0.95 THEN greatest(registered,
             %(today)s::date - 1095 - (random() * 2555)::int)
         END,
    CASE WHEN random() < 0.1 THEN %(today)s::date - 1100 - (random() * 700)::int END,
    random() < 0.35,
    CASE WHEN ends < 0.08 THEN %(today)s::date - (random() * 1000)::int
         WHEN ends < 0.28 THEN %(today)s::date + (random() * 700)::int END,
    CASE WHEN random() < 0.04 THEN now() - random() * interval '700 days' END,
    now()
FROM (
    SELECT g, random() AS activity, random() AS ends,
        %(today)s::date - (power(random(), 0.7) * 15 * 365)::int AS registered
    FROM generate_series(1, %(size)s) g
) AS drawn
"""

ITEMS = """
INSERT INTO members_item (library_id, external_id, title, author, isbn, material, siso, nur,
    genre, is_fiction, literary_form, thema)
SELECT %(library)s, 'I' || g, 'Titel ' || g, 'Auteur', '',
    CASE WHEN g %% 5 = 0 THEN 'ebook' ELSE 'book' END, '', '', '', g %% 5 < 3, '', ''
FROM generate_series(1, %(size)s) g
"""

BORROWERS = """
CREATE TEMPORARY TABLE borrowers AS
SELECT row_number() OVER () AS n, id, last_activity_on
FROM members_member
WHERE library_id = %(library)s AND last_activity_on >= %(today)s::date - 1095
"""

LOANS = """
INSERT INTO members_loan (library_id, external_id, member_id, item_id, loaned_on)
SELECT %(library)s, 'L' || drawn.g, b.id, items.first + drawn.g %% items.count,
    b.last_activity_on - (power(random(), 2) * 700)::int
FROM (
    SELECT g, 1 + floor(random() * (SELECT count(*) FROM borrowers))::bigint AS n
    FROM generate_series(1, %(size)s) g
) AS drawn
JOIN borrowers b ON b.n = drawn.n
CROSS JOIN (
    SELECT min(id) AS first, count(*) AS count FROM members_item WHERE library_id = %(library)s
) AS items
"""

PROFILES = """
INSERT INTO profiles_readingprofile (member_id, segment, fiction_loans, nonfiction_loans,
    digital_loans, physical_loans, as_of, computed_at, outside_refresh)
SELECT member_id,
    CASE WHEN r < 0.40 THEN 'fiction_physical' WHEN r < 0.65 THEN 'nonfiction_physical'
         WHEN r < 0.80 THEN 'fiction_digital' WHEN r < 0.88 THEN 'nonfiction_digital'
         ELSE 'unknown' END,
    0, 0, 0, 0, %(today)s, now(), false
FROM (
    SELECT member_id, random() AS r
    FROM (SELECT DISTINCT member_id FROM members_loan WHERE library_id = %(library)s) AS d
) AS borrowed
WHERE random() < 0.9
"""

SUPPRESSIONS = """
INSERT INTO mail_suppression (library_id, email, address_ref, reason, created_at)
SELECT %(library)s, email, md5(email), 'hard_bounce', now()
FROM members_member
WHERE library_id = %(library)s AND email <> '' AND id %% 200 = 0
"""


def measure(today: dt.date, *, explain: bool) -> None:
    library = Library.objects.only("pk", "code").get(code="bench")

    def plain_count():
        return Member.objects.filter(library=library).count()

    load = os.getloadavg()[0]
    print(f"\ncounted on {os.cpu_count()} cores, load average {load:.1f} when starting")
    print(f"{'audience':<28}{'members':>12}{'mailable':>12}{'cold s':>9}{'warm s':>9}")
    connections.close_all()
    cold, warm, members = timed(plain_count)
    print(f"{'baseline: count() of all':<28}{members:>12,}{'':>12}{cold:>9.3f}{warm:>9.3f}")
    for name, conditions in AUDIENCES.items():
        connections.close_all()
        cold, warm, count = timed(lambda c=conditions: audience_count(library, c, today))
        print(f"{name:<28}{count.members:>12,}{count.mailable:>12,}{cold:>9.3f}{warm:>9.3f}")
    if explain:
        with connection.cursor() as cursor:
            cursor.execute("SET jit = off")  # as audience_count does for its query
        for name, conditions in AUDIENCES.items():
            print(f"\n== {name}: {conditions}")
            query = counts_per_segment(library, conditions, today)
            print(query.explain(analyze=True, buffers=True))


def timed(function) -> tuple[float, float, object]:
    """The first run's seconds, the median of five more, and the answer."""
    clock = time.perf_counter()
    answer = function()
    cold = time.perf_counter() - clock
    runs = []
    for _ in range(5):
        clock = time.perf_counter()
        function()
        runs.append(time.perf_counter() - clock)
    return cold, statistics.median(runs), answer


if __name__ == "__main__":
    main()
