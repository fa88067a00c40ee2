"""The daily refresh by difference: the loans that changed stored counts since the last
refresh, applied to those counts.

The stored counts hold as of the library's reference date P for every loan up to a watermark
W (the largest loan id then counted), so as of a later day T they change only by the loans
that left the window between P and T (subtracted), the loans dated after P that came into it
(added) and the loans new since W (added). It reads those few loans, not each member's
history; the members it cannot carry on that way are recounted in full (counting.py). A
property test holds it equal to a rebuild.
"""

import datetime as dt

from django.db import connection

from patronflow.members.models import Item, Library, Member
from patronflow.profiles.classified_items import ITEMS_PER_BATCH, classify_unclassified
from patronflow.profiles.counting import (
    CLASSIFIED,
    COUNTS,
    LOAN,
    MEMBER,
    PROFILE,
    apply_settings,
    chunks,
    count_params,
    drop_counts,
    recount,
    too_young_sql,
)
from patronflow.profiles.models import ClassificationPolicy
from patronflow.profiles.queries import policy_for, window_start
from patronflow.profiles.refresh_state import by_difference, loans_watermark
from patronflow.profiles.rules import segment_sql

CHANGES = "profiles_changes"  # temporary: the loans a daily refresh adds or subtracts


def _come_of_age_sql() -> str:
    """Members old enough for a profile who have none: come of age since the last refresh,
    or given a birth date by an import."""
    return f"""
        SELECT m.id FROM {MEMBER} m
        WHERE m.library_id = %(library)s AND m.birth_date <= %(born_by)s
            AND NOT EXISTS (SELECT 1 FROM {PROFILE} p WHERE p.member_id = m.id)
    """


def _outside_refresh_sql() -> str:
    """The library's profiles recounted outside a refresh, driven by their partial index (a
    materialized CTE keeps both databases from starting at the library's members instead,
    which costs time in proportion to the library's size)."""
    return f"""
        WITH f AS MATERIALIZED (SELECT member_id FROM {PROFILE} WHERE outside_refresh)
        SELECT f.member_id FROM f
        JOIN {MEMBER} m ON m.id = f.member_id AND m.library_id = %(library)s
    """


def _difference_sql() -> str:
    """The loans that change stored counts between the reference date %(p)s (watermark
    %(w)s, window from %(old_since)s) and %(as_of)s (watermark %(through)s, window from
    %(since)s), each with its sign: three index range scans, no member's history. The new
    loans are found by their ids (the primary key); `+library_id` keeps the planner off the
    (library, date) index, which before the table's first ANALYZE looked cheaper and read
    every loan of the window."""
    return f"""
        SELECT l.member_id, l.item_id, l.loaned_on, -1 AS sign FROM {LOAN} l
        WHERE l.library_id = %(library)s AND l.loaned_on >= %(old_since)s
            AND l.loaned_on < %(since)s AND l.loaned_on <= %(p)s AND l.id <= %(w)s
        UNION ALL
        SELECT l.member_id, l.item_id, l.loaned_on, 1 FROM {LOAN} l
        WHERE l.library_id = %(library)s AND l.loaned_on > %(p)s
            AND l.loaned_on >= %(since)s AND l.loaned_on <= %(as_of)s AND l.id <= %(w)s
        UNION ALL
        SELECT l.member_id, l.item_id, l.loaned_on, 1 FROM {LOAN} l
        WHERE l.id > %(w)s AND l.id <= %(through)s AND +l.library_id = %(library)s
            AND l.loaned_on >= %(since)s AND l.loaned_on <= %(as_of)s
    """


def _difference_params(
    library: Library, policy: ClassificationPolicy, today: dt.date, through: int
) -> dict:
    ops = connection.ops
    previous = policy.profiles_as_of
    return count_params(
        library,
        policy,
        today,
        through,
        p=ops.adapt_datefield_value(previous),
        w=policy.profiles_loans_through,
        old_since=ops.adapt_datefield_value(window_start(previous, policy.window_months)),
    )


def apply_difference(
    library: Library,
    policy: ClassificationPolicy,
    today: dt.date,
    through: int,
    named: set[int],
) -> int:
    """Carry every profile of the library from the policy's reference date and watermark to
    `today` and `through`; returns the number of profiles that changed. The `named` members
    without a new loan, the profiles marked for a recount and the members come of age are
    recounted in full. The caller holds the policy's lock and marks the refresh done."""
    params = _difference_params(library, policy, today, through)
    with connection.cursor() as cursor:
        apply_settings(cursor, few=True)
        cursor.execute(too_young_sql("{column} IS NOT NULL"), params)
        cursor.execute(f"DROP TABLE IF EXISTS {CHANGES}")
        cursor.execute(f"CREATE TEMPORARY TABLE {CHANGES} AS {_difference_sql()}", params)
        # Items of loans new or come into the window may never have been classified (the
        # loans leaving it were counted, so theirs were).
        cursor.execute(
            f"""
            SELECT DISTINCT d.item_id FROM {CHANGES} d
            WHERE d.sign > 0
                AND NOT EXISTS (SELECT 1 FROM {CLASSIFIED} c WHERE c.item_id = d.item_id)
            """
        )
        unclassified = [pk for (pk,) in cursor.fetchall()]
        cursor.execute(f"SELECT DISTINCT member_id FROM {CHANGES} WHERE sign > 0")
        arriving = {pk for (pk,) in cursor.fetchall()}
    for chunk in chunks(unclassified, ITEMS_PER_BATCH):
        classify_unclassified(policy.classifier, Item.objects.filter(pk__in=chunk))

    new_total = "(p.fiction_loans + p.nonfiction_loans + d.counted)"
    fiction = "(p.fiction_loans + d.fiction)"
    nonfiction = "(p.nonfiction_loans + d.counted - d.fiction)"
    digital = "(p.digital_loans + d.digital)"
    physical = "(p.physical_loans + d.counted - d.digital)"
    # Once a member's oldest counted loan has left, the new oldest is looked up by walking
    # the loans' (member, date) index from the window's start to the first counted loan.
    # (A MIN() over the join read each such member's whole window: far too slow for a day's
    # members at full size.)
    oldest_left = f"""(
        SELECT o.loaned_on FROM {LOAN} o
        JOIN {CLASSIFIED} oc ON oc.item_id = o.item_id AND oc.is_fiction IS NOT NULL
        WHERE o.member_id = p.member_id AND o.loaned_on >= %(since)s
            AND o.loaned_on <= %(as_of)s AND o.id <= %(through)s
        ORDER BY o.loaned_on LIMIT 1)"""
    # SQLite's RETURNING knows the table by its name only, PostgreSQL needs it told apart.
    returning = "p.member_id" if connection.vendor == "postgresql" else "member_id"
    with connection.cursor() as cursor:
        drop_counts(cursor)
        cursor.execute(
            f"""
            CREATE TEMPORARY TABLE {COUNTS} AS
            SELECT d.member_id,
                SUM(d.sign) AS counted,
                SUM(CASE WHEN c.is_fiction THEN d.sign ELSE 0 END) AS fiction,
                SUM(CASE WHEN c.is_digital THEN d.sign ELSE 0 END) AS digital,
                MIN(CASE WHEN d.sign > 0 THEN d.loaned_on END) AS first_added,
                MIN(d.sign) AS aged
            FROM {CHANGES} d
            JOIN {CLASSIFIED} c ON c.item_id = d.item_id AND c.is_fiction IS NOT NULL
            GROUP BY d.member_id
            """
        )
        if connection.vendor == "sqlite":
            cursor.execute(f"CREATE UNIQUE INDEX temp.{COUNTS}_member ON {COUNTS} (member_id)")
        # Profiles recounted outside a refresh or marked for a recount (an import changed a
        # loan of theirs in place), and members with changes but no profile yet, are
        # recounted in full below; every other changed profile takes its difference.
        cursor.execute(
            f"""
            UPDATE {PROFILE} AS p SET
                fiction_loans = {fiction}, nonfiction_loans = {nonfiction},
                digital_loans = {digital}, physical_loans = {physical},
                oldest_counted_on = CASE
                    WHEN {new_total} = 0 THEN NULL
                    WHEN d.aged < 0 THEN {oldest_left}
                    WHEN p.oldest_counted_on IS NULL OR d.first_added < p.oldest_counted_on
                        THEN d.first_added
                    ELSE p.oldest_counted_on END,
                segment = {segment_sql(fiction, nonfiction, digital, physical)},
                as_of = %(as_of)s, computed_at = %(now)s
            FROM {COUNTS} d
            WHERE p.member_id = d.member_id AND NOT p.outside_refresh
            RETURNING {returning}
            """,
            params,
        )
        updated = {pk for (pk,) in cursor.fetchall()}
        cursor.execute(f"SELECT member_id FROM {COUNTS}")
        recounted = {pk for (pk,) in cursor.fetchall()} - updated
        cursor.execute(_outside_refresh_sql(), params)
        recounted.update(pk for (pk,) in cursor.fetchall())
        cursor.execute(_come_of_age_sql(), params)
        recounted.update(pk for (pk,) in cursor.fetchall())
        drop_counts(cursor)
        cursor.execute(f"DROP TABLE {CHANGES}")
    recounted |= named - arriving
    return len(updated) + recount(library, policy, recounted, today, through, outside=False)


def stale_member_ids(library: Library, today: dt.date) -> set[int]:
    """Members whose stored profile the daily refresh to `today` changes: a counted loan left
    the window, or one came into it (dated after the reference date, or new since the
    watermark); a profile marked for a recount or recounted outside a refresh; a member come
    of age without one. Every member of the library when that refresh would be a rebuild
    (never refreshed, back in time, or under a changed policy)."""
    policy = policy_for(library)
    if not by_difference(policy, today):
        return set(Member.objects.filter(library=library).values_list("pk", flat=True))
    params = _difference_params(library, policy, today, loans_watermark(wait=False))
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT DISTINCT d.member_id FROM ({_difference_sql()}) d
            JOIN {CLASSIFIED} c ON c.item_id = d.item_id AND c.is_fiction IS NOT NULL
            UNION SELECT * FROM ({_outside_refresh_sql()}) o
            UNION SELECT * FROM ({_come_of_age_sql()}) a
            """,
            params,
        )
        return {pk for (pk,) in cursor.fetchall()}
