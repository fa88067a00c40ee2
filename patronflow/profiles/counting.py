"""Counting members' loans in full into their reading profiles: the SQL every refresh shares.

Loans are counted per member in the database, joined to each item's stored kind
(classified_items.py). Members under 16 (or of unknown age) get no profile: nothing beyond the
import is done with their data (privacy/rules.py). Every count writes profiles only for
members 16 or older on the day counted and removes the profiles of younger ones.
"""

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from itertools import islice

from django.db import connection
from django.db.backends.utils import CursorWrapper
from django.utils import timezone

from patronflow.members.models import Item, Library, Loan, Member
from patronflow.privacy.rules import born_on_or_before
from patronflow.profiles.classified_items import classify_unclassified
from patronflow.profiles.models import ClassificationPolicy, ClassifiedItem, ReadingProfile
from patronflow.profiles.queries import window_start
from patronflow.profiles.rules import segment_sql

MEMBERS_PER_STATEMENT = 2000

PROFILE = ReadingProfile._meta.db_table
LOAN = Loan._meta.db_table
MEMBER = Member._meta.db_table
CLASSIFIED = ClassifiedItem._meta.db_table
COUNTS = "profiles_counts"  # temporary: one transaction's counts, per member

# PostgreSQL, for the statements that aggregate a library's loans: one member per hash entry
# fits in memory (the default work_mem spills a large library's aggregate to disk), and JIT
# compiling costs more than it saves on these simple expressions. The profiles are
# recomputed from the loans, so a crash losing the last commit loses nothing
# (synchronous_commit only delays the flush; it never risks consistency).
_PG_SETTINGS = {"work_mem": "512MB", "jit": "off", "synchronous_commit": "off"}
_PG_FEW = {"enable_hashjoin": "off", "enable_mergejoin": "off", "enable_seqscan": "off"}


def _count_sql(scope: str, *, everyone: bool = False) -> str:
    """Each member's counted loans as of %(as_of)s, among loans up to the watermark
    %(through)s: one pass, four aggregates (non-fiction and physical are the remainders).

    `everyone`: all the library's members. SQLite then reads the loans table in its own
    order (NOT INDEXED) instead of through the (library, date) index, which is slower for a
    whole library. Counting a few members, SQLite took that index too and read the
    library's whole window; the unary + leaves it their (member, date) index."""
    sqlite = connection.vendor == "sqlite"
    loans = f"{LOAN} l NOT INDEXED" if everyone and sqlite else f"{LOAN} l"
    library = "+l.library_id" if sqlite and not everyone else "l.library_id"
    return f"""
        SELECT l.member_id,
            COUNT(*) AS counted,
            SUM(CASE WHEN c.is_fiction THEN 1 ELSE 0 END) AS fiction,
            SUM(CASE WHEN c.is_digital THEN 1 ELSE 0 END) AS digital,
            MIN(l.loaned_on) AS oldest
        FROM {loans}
        JOIN {CLASSIFIED} c ON c.item_id = l.item_id AND c.is_fiction IS NOT NULL
        WHERE {library} = %(library)s AND {scope.format(column="l.member_id")}
            AND l.loaned_on >= %(since)s AND l.loaned_on <= %(as_of)s
            AND l.id <= %(through)s
        GROUP BY l.member_id
    """


def _write_counts_sql(scope: str) -> tuple[str, str]:
    """From the COUNTS table to the profiles of the members in `scope`: an UPDATE of the
    profiles whose counts differ (or that were recounted outside a refresh), then an INSERT of
    the missing ones. Unchanged profiles are not written at all: most of a rebuild's. Two
    ticks entering the same new members count the same loans, so when both insert a profile
    the second one simply finds it there."""
    fiction = "COALESCE(t.fiction, 0)"
    nonfiction = "COALESCE(t.counted - t.fiction, 0)"
    digital = "COALESCE(t.digital, 0)"
    physical = "COALESCE(t.counted - t.digital, 0)"
    segment = segment_sql(fiction, nonfiction, digital, physical)
    update = f"""
        UPDATE {PROFILE} SET
            fiction_loans = {fiction}, nonfiction_loans = {nonfiction},
            digital_loans = {digital}, physical_loans = {physical},
            oldest_counted_on = t.oldest, segment = {segment},
            as_of = %(as_of)s, computed_at = %(now)s, outside_refresh = %(outside)s
        FROM {MEMBER} m LEFT JOIN {COUNTS} t ON t.member_id = m.id
        WHERE {PROFILE}.member_id = m.id
            AND m.library_id = %(library)s AND {scope.format(column="m.id")}
            AND m.birth_date <= %(born_by)s
            AND ({PROFILE}.outside_refresh OR %(outside)s
                OR {PROFILE}.fiction_loans <> {fiction}
                OR {PROFILE}.nonfiction_loans <> {nonfiction}
                OR {PROFILE}.digital_loans <> {digital}
                OR {PROFILE}.physical_loans <> {physical}
                OR {PROFILE}.oldest_counted_on IS DISTINCT FROM t.oldest)
    """
    insert = f"""
        INSERT INTO {PROFILE} (member_id, fiction_loans, nonfiction_loans, digital_loans,
            physical_loans, oldest_counted_on, segment, as_of, computed_at, outside_refresh)
        SELECT m.id, {fiction}, {nonfiction}, {digital}, {physical}, t.oldest, {segment},
            %(as_of)s, %(now)s, %(outside)s
        FROM {MEMBER} m LEFT JOIN {COUNTS} t ON t.member_id = m.id
        WHERE m.library_id = %(library)s AND {scope.format(column="m.id")}
            AND m.birth_date <= %(born_by)s
            AND NOT EXISTS (SELECT 1 FROM {PROFILE} p WHERE p.member_id = m.id)
        ORDER BY m.id
        ON CONFLICT (member_id) DO NOTHING
    """
    return update, insert


def too_young_sql(scope: str) -> str:
    """Remove the profiles of the members in `scope` not proven 16 or older on the day."""
    return f"""
        DELETE FROM {PROFILE} WHERE member_id IN (
            SELECT m.id FROM {MEMBER} m
            WHERE m.library_id = %(library)s AND {scope.format(column="m.id")}
                AND (m.birth_date IS NULL OR m.birth_date > %(born_by)s))
    """


def apply_settings(cursor: CursorWrapper, *, few: bool = False) -> None:
    """Per-transaction planner and commit settings (PostgreSQL). `few`: the statements touch
    a few profiles among many, each found through its primary key; the planner, which
    cannot know how few before it sees the temporary table, otherwise reads every profile
    of the table into a hash."""
    if connection.vendor == "postgresql":
        few_or_not = _PG_FEW if few else dict.fromkeys(_PG_FEW, "on")
        settings = {**_PG_SETTINGS, **few_or_not}
        cursor.execute(
            "SELECT " + ", ".join("set_config(%s, %s, true)" for _ in settings),
            [part for pair in settings.items() for part in pair],
        )


def drop_counts(cursor: CursorWrapper) -> None:
    cursor.execute(f"DROP TABLE IF EXISTS {COUNTS}")


def count_params(
    library: Library, policy: ClassificationPolicy, today: dt.date, through: int, **extra
) -> dict:
    """The parameters of the counting statements as of `today`, up to the watermark
    `through`; `extra` adds or overrides some."""
    ops = connection.ops
    return {
        "library": library.pk,
        "since": ops.adapt_datefield_value(window_start(today, policy.window_months)),
        "as_of": ops.adapt_datefield_value(today),
        "born_by": ops.adapt_datefield_value(born_on_or_before(today)),
        "now": ops.adapt_datetimefield_value(timezone.now()),
        "through": through,
        "outside": False,
        **extra,
    }


def count_into_profiles(scope: str, params: dict, *, everyone: bool = False) -> int:
    """Count the loans of the members in `scope` (a condition on `{column}`) into COUNTS and
    write their profiles; returns the number of profiles written."""
    update, insert = _write_counts_sql(scope)
    with connection.cursor() as cursor:
        apply_settings(cursor)
        drop_counts(cursor)
        cursor.execute(
            f"CREATE TEMPORARY TABLE {COUNTS} AS {_count_sql(scope, everyone=everyone)}", params
        )
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {COUNTS}")
        else:
            cursor.execute(f"CREATE UNIQUE INDEX temp.{COUNTS}_member ON {COUNTS} (member_id)")
        cursor.execute(too_young_sql(scope), params)
        cursor.execute(update, params)
        written = cursor.rowcount
        cursor.execute(insert, params)
        written += cursor.rowcount
        drop_counts(cursor)
    return written


def _member_scope(member_ids: list[int]) -> tuple[str, dict]:
    """A condition on `{column}` for these members, as one parameter (an array on
    PostgreSQL, JSON on SQLite) rather than thousands of placeholders."""
    if connection.vendor == "postgresql":
        return "{column} = ANY(%(members)s)", {"members": member_ids}
    return "{column} IN (SELECT value FROM json_each(%(members)s))", {
        "members": json.dumps(member_ids)
    }


def chunks(ids: Iterable[int], size: int) -> Iterator[list[int]]:
    rows = iter(ids)
    while chunk := list(islice(rows, size)):
        yield chunk


def recount(
    library: Library,
    policy: ClassificationPolicy,
    member_ids: Iterable[int],
    today: dt.date,
    through: int | None,
    *,
    outside: bool,
) -> int:
    """Count these members' loans in full as of `today` (those up to the watermark
    `through`, or all) and write their profiles; returns the number written."""
    members = sorted(set(member_ids))
    if not members:
        return 0
    since = window_start(today, policy.window_months)
    classifier = policy.classifier
    done = 0
    for chunk in chunks(members, MEMBERS_PER_STATEMENT * 10):
        # A subquery, not a join: driven by the loans' (member, date) index, not by the items.
        borrowed = Loan.objects.filter(
            member_id__in=chunk, loaned_on__gte=since, loaned_on__lte=today
        ).values("item_id")
        classify_unclassified(classifier, Item.objects.filter(pk__in=borrowed))
        scope, extra = _member_scope(chunk)
        limit = through if through is not None else 2**63 - 1
        params = count_params(library, policy, today, limit, outside=outside, **extra)
        done += count_into_profiles(scope, params)
    return done
