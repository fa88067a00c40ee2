"""A library's activity as daily and monthly counts that name no member (ActivityDay,
ActivityMonth): what the reports read instead of the raw loans and visits.

The counts are recounted from the raw rows for the days and months an import touched
(`recount`, one grouped statement per table and range, never a row at a time), or for all of
them (`rebuild`). What the purge and erasure remove is moved into the `kept_*` part first
(`keeping`): counted before the delete, recounted after it, the difference added to `kept_*`
in the same transaction, so the reports keep old loans and ex-members' activity; for members
removed whole, what their own rows add is moved into `kept_*` before the delete
(`keep_members`), which reads their rows only. A recount never touches `kept_*`.

Every writer of a library's counts takes the library's count lock first (`lock_counts`), so
two of them never interleave: otherwise a statement that read the rows before another
writer's delete committed writes their count back on top of the kept part, and the reports
count them twice.
"""

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Max, Min, Q

from patronflow.members.models import ActivityDay, ActivityMonth, Library, Loan, Member, Visit

# The first key of the PostgreSQL advisory locks on a library's activity counts (the second
# is the library's id): a number no other lock of patronflow uses.
COUNTS_LOCK = 26


@dataclass(frozen=True)
class MonthActivity:
    """One library's month: loans and visits, and its distinct borrowers, visitors and active
    members (borrowed or visited), the kept part included."""

    loans: int
    borrowers: int
    visits: int
    visitors: int
    active: int


NO_ACTIVITY = MonthActivity(0, 0, 0, 0, 0)


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def monthly_activity(
    *, libraries: Sequence[int], first: dt.date, last: dt.date
) -> dict[tuple[int, dt.date], MonthActivity]:
    """Per library id and month (its first day), from first's month to last's month, every
    month present (zero where nothing happened): loans and visits summed from the days,
    borrowers, visitors and active members from the months, each with its kept part."""
    start, end = month_of(first), month_of(last)
    totals: dict[tuple[int, dt.date], list[int]] = {}
    month = start
    while month <= end:
        for library in libraries:
            totals[(library, month)] = [0, 0, 0, 0, 0]
        month = next_month(month)
    days = ActivityDay.objects.filter(
        library_id__in=libraries, day__gte=start, day__lt=next_month(end)
    ).values_list("library_id", "day", "loans", "kept_loans", "visits", "kept_visits")
    for library, day, loans, kept_loans, visits, kept_visits in days.iterator():
        figures = totals[(library, month_of(day))]
        figures[0] += loans + kept_loans
        figures[2] += visits + kept_visits
    months = ActivityMonth.objects.filter(
        library_id__in=libraries, month__gte=start, month__lte=end
    ).values_list(
        "library_id",
        "month",
        "borrowers",
        "kept_borrowers",
        "visitors",
        "kept_visitors",
        "active",
        "kept_active",
    )
    for library, month, *counts in months:
        figures = totals[(library, month)]
        figures[1] = counts[0] + counts[1]
        figures[3] = counts[2] + counts[3]
        figures[4] = counts[4] + counts[5]
    return {key: MonthActivity(*figures) for key, figures in totals.items()}


@dataclass(frozen=True)
class CountedFrom:
    """The first month a library's counts hold all of its loans (and borrowers), and all of
    its visits (and visitors); None: every month. A comparison of months before it would
    compare a partly counted period with a whole one."""

    loans: dt.date | None
    visits: dt.date | None


def counted_from(*, libraries: Sequence[int]) -> dict[int, CountedFrom]:
    """Per library id: loans from the first whole month on or after the day its counts start
    holding every loan (Library.loans_counted_from: the earliest loan held when the counts
    came; a purge had cut the days before it); visits from the month of its first counted
    visit (the first visit import's first day: what no import brought was never counted)."""
    loans = dict(Library.objects.filter(pk__in=libraries).values_list("pk", "loans_counted_from"))
    visits = dict(
        ActivityDay.objects.filter(Q(visits__gt=0) | Q(kept_visits__gt=0), library_id__in=libraries)
        .order_by()
        .values("library_id")
        .annotate(first=Min("day"))
        .values_list("library_id", "first")
    )
    result = {}
    for library in libraries:
        day, first_visit = loans.get(library), visits.get(library)
        first_loans = None if day is None else month_of(day)
        if day is not None and day.day != 1:
            first_loans = next_month(first_loans)
        result[library] = CountedFrom(
            loans=first_loans, visits=None if first_visit is None else month_of(first_visit)
        )
    return result


def daily_activity(
    *, library: int, first: dt.date, last: dt.date
) -> dict[dt.date, tuple[int, int]]:
    """Loans and visits per day from first to last (days without any left out), kept part
    included: what a month counted up to a day sums."""
    rows = ActivityDay.objects.filter(library_id=library, day__gte=first, day__lte=last)
    return {
        day: (loans + kept_loans, visits + kept_visits)
        for day, loans, kept_loans, visits, kept_visits in rows.values_list(
            "day", "loans", "kept_loans", "visits", "kept_visits"
        )
    }


def lock_counts(*, libraries: Iterable[int]) -> None:
    """Wait for, then hold until the transaction ends, the lock on these libraries' activity
    counts (in the order of their ids, so two writers never wait on each other). Statements
    after it read what the writer before committed. SQLite writes one transaction at a time
    already: nothing to do there."""
    if connection.vendor != "postgresql":
        return
    if not connection.in_atomic_block:
        raise RuntimeError("lock_counts holds its lock until the transaction ends: call it in one")
    with connection.cursor() as cursor:
        for library in sorted(set(libraries)):
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [COUNTS_LOCK, library])


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _day_statement(*, keep: bool) -> str:
    """Recount the days of one library in [first, last] from the raw rows: every day that has
    a row already or raw activity now. A day's visits are its distinct visiting members (the
    gate and the desk on one day are one visit). Keeping adds what the counts lost to kept_*."""
    days, loans, visits = _table(ActivityDay), _table(Loan), _table(Visit)
    kept = (
        f"kept_loans = {days}.kept_loans + {days}.loans - EXCLUDED.loans, "
        f"kept_visits = {days}.kept_visits + {days}.visits - EXCLUDED.visits, "
        if keep
        else ""
    )
    return (
        f"INSERT INTO {days} (library_id, day, loans, visits, kept_loans, kept_visits) "
        "SELECT %(library)s, day, SUM(loans), SUM(visits), 0, 0 FROM ("
        f" SELECT day, 0 AS loans, 0 AS visits FROM {days}"
        "  WHERE library_id = %(library)s AND day BETWEEN %(first)s AND %(last)s"
        f" UNION ALL SELECT loaned_on, COUNT(*), 0 FROM {loans}"
        "  WHERE library_id = %(library)s AND loaned_on BETWEEN %(first)s AND %(last)s"
        "  GROUP BY loaned_on"
        f" UNION ALL SELECT visited_on, 0, COUNT(DISTINCT member_id) FROM {visits}"
        "  WHERE library_id = %(library)s AND visited_on BETWEEN %(first)s AND %(last)s"
        "  GROUP BY visited_on"
        ") AS counted GROUP BY day "
        f"ON CONFLICT (library_id, day) DO UPDATE SET {kept}"
        "loans = EXCLUDED.loans, visits = EXCLUDED.visits"
    )


def _month_statement(*, keep: bool) -> str:
    """Recount the months of one library starting in [first, last]: distinct borrowers,
    visitors and active members (either). Keeping adds what the counts lost to kept_*."""
    months, loans, visits = _table(ActivityMonth), _table(Loan), _table(Visit)
    month = _month_expression
    kept = (
        ", ".join(
            f"kept_{name} = {months}.kept_{name} + {months}.{name} - EXCLUDED.{name}"
            for name in ("borrowers", "visitors", "active")
        )
        + ", "
        if keep
        else ""
    )
    return (
        f"INSERT INTO {months} (library_id, month, borrowers, visitors, active, "
        "kept_borrowers, kept_visitors, kept_active) "
        "SELECT %(library)s, month, COUNT(DISTINCT CASE WHEN loaned = 1 THEN member_id END), "
        "COUNT(DISTINCT CASE WHEN visited = 1 THEN member_id END), COUNT(DISTINCT member_id), "
        "0, 0, 0 FROM ("
        f" SELECT month, NULL AS member_id, 0 AS loaned, 0 AS visited FROM {months}"
        "  WHERE library_id = %(library)s AND month BETWEEN %(first)s AND %(last)s"
        f" UNION SELECT {month('loaned_on')}, member_id, 1, 0 FROM {loans}"
        "  WHERE library_id = %(library)s AND loaned_on >= %(first)s AND loaned_on < %(end)s"
        f" UNION SELECT {month('visited_on')}, member_id, 0, 1 FROM {visits}"
        "  WHERE library_id = %(library)s AND visited_on >= %(first)s AND visited_on < %(end)s"
        ") AS counted GROUP BY month "
        f"ON CONFLICT (library_id, month) DO UPDATE SET {kept}"
        "borrowers = EXCLUDED.borrowers, visitors = EXCLUDED.visitors, "
        "active = EXCLUDED.active"
    )


def _month_expression(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"CAST(DATE_TRUNC('month', {column}) AS date)"
    return f"DATE({column}, 'start of month')"


def _run(library: int, first: dt.date, last: dt.date, *, keep: bool) -> None:
    start, end = month_of(first), next_month(month_of(last))
    with connection.cursor() as cursor:
        cursor.execute(
            _day_statement(keep=keep), {"library": library, "first": first, "last": last}
        )
        cursor.execute(
            _month_statement(keep=keep),
            {"library": library, "first": start, "last": month_of(last), "end": end},
        )


def recount(*, library: int, first: dt.date, last: dt.date) -> None:
    """Recount the library's days from first to last, and the whole months they fall in, from
    the raw loans and visits (kept_* stays as it is)."""
    with transaction.atomic():
        lock_counts(libraries=[library])
        _run(library, first, last, keep=False)


def activity_span(library: int) -> tuple[dt.date, dt.date] | None:
    """The first and last day with a raw loan or visit, or a count (None: nothing at all)."""
    days = [
        value
        for model, field in ((Loan, "loaned_on"), (Visit, "visited_on"), (ActivityDay, "day"))
        for value in model.objects.filter(library_id=library)
        .aggregate(first=Min(field), last=Max(field))
        .values()
        if value is not None
    ]
    return (min(days), max(days)) if days else None


def rebuild(*, libraries: Sequence[int] | None = None) -> int:
    """Recount every library's days and months (or these libraries') from the raw rows;
    returns how many libraries had any. What kept_* holds stays."""
    ids = libraries if libraries is not None else Library.objects.values_list("pk", flat=True)
    counted = 0
    for library in ids:
        span = activity_span(library)
        if span is not None:
            recount(library=library, first=span[0], last=span[1])
            counted += 1
    return counted


def _members_filter() -> str:
    if connection.vendor == "postgresql":
        return "member_id = ANY(%(members)s)"
    return "member_id IN (SELECT value FROM json_each(%(members)s))"


def _less(table: str, name: str) -> str:
    """The count less what is moved into kept_*, never below zero (a count not yet recounted
    after rows written by other means may hold less)."""
    return (
        f"{name} = CASE WHEN {table}.{name} > EXCLUDED.kept_{name} "
        f"THEN {table}.{name} - EXCLUDED.kept_{name} ELSE 0 END, "
        f"kept_{name} = {table}.kept_{name} + EXCLUDED.kept_{name}"
    )


def keep_members(*, members: Sequence[int]) -> None:
    """Before these members' rows are deleted (in the delete's transaction, which should hold
    their libraries' `lock_counts` already, taken before their rows): what their loans
    and visits add to the counts moves into kept_*. Their rows are theirs alone, so that is
    their own loans and visiting days per day and, per month, each of them once as a borrower,
    visitor or active member: counted from their rows only, however large the library."""
    if not members:
        return
    days, months, loans, visits = (
        _table(ActivityDay),
        _table(ActivityMonth),
        _table(Loan),
        _table(Visit),
    )
    theirs = _members_filter()
    month = _month_expression
    day_statement = (
        f"INSERT INTO {days} (library_id, day, loans, visits, kept_loans, kept_visits) "
        "SELECT library_id, day, 0, 0, SUM(loans), SUM(visits) FROM ("
        f" SELECT library_id, loaned_on AS day, COUNT(*) AS loans, 0 AS visits FROM {loans}"
        f"  WHERE {theirs} GROUP BY library_id, loaned_on"
        f" UNION ALL SELECT library_id, visited_on, 0, COUNT(DISTINCT member_id) FROM {visits}"
        f"  WHERE {theirs} GROUP BY library_id, visited_on"
        ") AS removed GROUP BY library_id, day "
        f"ON CONFLICT (library_id, day) DO UPDATE SET {_less(days, 'loans')}, "
        f"{_less(days, 'visits')}"
    )
    month_statement = (
        f"INSERT INTO {months} (library_id, month, borrowers, visitors, active, "
        "kept_borrowers, kept_visitors, kept_active) "
        "SELECT library_id, month, 0, 0, 0, "
        "COUNT(DISTINCT CASE WHEN loaned = 1 THEN member_id END), "
        "COUNT(DISTINCT CASE WHEN visited = 1 THEN member_id END), COUNT(DISTINCT member_id) "
        "FROM ("
        f" SELECT library_id, {month('loaned_on')} AS month, member_id, 1 AS loaned, "
        f"0 AS visited FROM {loans} WHERE {theirs}"
        f" UNION SELECT library_id, {month('visited_on')}, member_id, 0, 1 FROM {visits}"
        f"  WHERE {theirs}"
        ") AS removed GROUP BY library_id, month "
        f"ON CONFLICT (library_id, month) DO UPDATE SET {_less(months, 'borrowers')}, "
        f"{_less(months, 'visitors')}, {_less(months, 'active')}"
    )
    lock_counts(
        libraries=Member.objects.filter(pk__in=members).values_list("library_id", flat=True)
    )
    ids = list(members) if connection.vendor == "postgresql" else json.dumps(list(members))
    with connection.cursor() as cursor:
        cursor.execute(day_statement, {"members": ids})
        cursor.execute(month_statement, {"members": ids})


@contextmanager
def keeping(*, library: int, first: dt.date, last: dt.date) -> Iterator[None]:
    """Around a delete of loans, visits or members: the library's days from first to last (and
    their months) are recounted before it, and after it what their counts lost moves into
    kept_*, in one transaction with the delete."""
    with transaction.atomic():
        lock_counts(libraries=[library])
        _run(library, first, last, keep=False)
        yield
        _run(library, first, last, keep=True)
