"""The cross-library benchmark: the same figures side by side per library, for the network
admin and for each library about itself against the rest. Only aggregates of members, and
no cell under SMALL_CELL members shown or derivable.

Suppression (docs/reports.md): every count under SMALL_CELL is hidden (primary); then, per
column, more cells are hidden (secondary, the smallest shown first) until no hidden small
cell can be worked out from the network total — not by an outsider, and not by a library
that knows its own figure. Where that cannot be reached the total is hidden. A rate is shown
only where both its counts are, since a rate and one of its counts give away the other.

A library that has mailed nothing (a new one, one without members yet) is a structural zero:
its zeros say nothing about any member, so it is left out of the table and the suppression —
as a row of hidden zeros it would make every other library's cell "give it away". Likewise a
library that runs no dormant journey (nobody mailed or held out in it) shows its dormant
columns as the zeros they are, outside those columns' suppression.
"""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace

from django.db import connection
from django.db.models import Count, DateField, F, Q, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from patronflow.journeys.models import Version
from patronflow.mail.models import Message
from patronflow.members.models import Library
from patronflow.reports.metrics import midnight, sent_since, sent_statuses
from patronflow.reports.models import JourneyMoments, MembersMonth, Rollup
from patronflow.reports.outcomes import refresh_moments
from patronflow.reports.suppression import SMALL_CELL
from patronflow.tracking.models import SHOWS_OPENED, Event, Feedback

TOTAL = "total"
COUNTS = (
    "mailed",
    "opened",
    "clicked",
    "unsubscribed",
    "thumbs_up",
    "thumbs_down",
    "dormant_mailed",
    "dormant_mailed_back",
    "dormant_held_out",
    "dormant_held_out_back",
)
RATES = {
    "click_rate": ("clicked", "mailed"),
    "unsubscribe_rate": ("unsubscribed", "mailed"),
    "dormant_mailed_rate": ("dormant_mailed_back", "dormant_mailed"),
    "dormant_held_out_rate": ("dormant_held_out_back", "dormant_held_out"),
}
RETURN_WINDOW = 30
DORMANT = ("dormant_mailed", "dormant_mailed_back", "dormant_held_out", "dormant_held_out_back")


@dataclass(frozen=True)
class Suppressed:
    """A table of counts with hidden cells as None; `totals` over every library."""

    rows: dict[str, dict[str, int | None]]
    totals: dict[str, int | None]
    unmailed: tuple[str, ...] = ()  # libraries left out: they have mailed nothing yet

    def rate(self, library: str, name: str) -> float | None:
        part, whole = RATES[name]
        row = self.totals if library == TOTAL else self.rows[library]
        if row.get(part) is None or not row.get(whole):
            return None
        return row[part] / row[whole]

    def versus_rest(self, code: str) -> "Suppressed":
        """One library against the rest of the network: the rest is shown where the library's
        own cell and the total are, and is not itself a small cell. A library that has mailed
        nothing has no row; the rest is then the total."""
        if code not in self.rows:
            rest = {
                column: total if total is not None and total >= SMALL_CELL else None
                for column, total in self.totals.items()
            }
            return Suppressed({"rest": rest}, self.totals, unmailed=(code,))
        own = self.rows[code]
        rest: dict[str, int | None] = {}
        for column, total in self.totals.items():
            value = None if own[column] is None or total is None else total - own[column]
            rest[column] = value if value is not None and value >= SMALL_CELL else None
        return Suppressed({code: own, "rest": rest}, self.totals)

    def as_rows(self) -> list[dict]:
        return [
            {"library": code, **row, **{name: self.rate(code, name) for name in RATES}}
            for code, row in [*self.rows.items(), (TOTAL, self.totals)]
        ]


def _exposed(values: Mapping[str, int], hidden: set[str], threshold: int) -> bool:
    """Whether someone who sees the shown cells and the total — an outsider, or a library
    that also knows its own cell — can work out a hidden cell under the threshold."""
    for insider in [None, *hidden]:
        unknown = hidden - {insider}
        if not any(values[name] < threshold for name in unknown):
            continue
        if len(unknown) == 1 or sum(values[name] for name in unknown) == 0:
            return True
    return False


def suppress_column(
    values: Mapping[str, int], threshold: int = SMALL_CELL
) -> tuple[set[str], bool]:
    """Which cells of one column to hide, and whether to hide its total."""
    hidden = {name for name, value in values.items() if value < threshold}
    total = sum(values.values())
    if total < threshold:
        return set(values), True
    shown = sorted((value, name) for name, value in values.items() if name not in hidden)
    while hidden and _exposed(values, hidden, threshold):
        if not shown:
            return hidden, True
        hidden.add(shown.pop(0)[1])
    return hidden, False


def suppress(
    table: Mapping[str, Mapping[str, int]],
    threshold: int = SMALL_CELL,
    structural: Mapping[str, set[str]] | None = None,
) -> Suppressed:
    """Suppress every column of a table of counts: {library: {column: count}}. `structural`:
    per column, the libraries whose zero there is structural (shown, and outside the
    column's suppression)."""
    rows: dict[str, dict[str, int | None]] = {code: dict(row) for code, row in table.items()}
    columns = list(next(iter(table.values()), {}))
    totals: dict[str, int | None] = {}
    for column in columns:
        left_out = (structural or {}).get(column, set())
        values = {code: row[column] for code, row in table.items() if code not in left_out}
        hidden, hide_total = suppress_column(values, threshold)
        for code in hidden:
            rows[code][column] = None
        totals[column] = None if hide_total else sum(values.values())
    return Suppressed(rows, totals)


BY_MEMBER = {"events__machine": ""}  # not an image proxy's or a link scanner's
# The mails each member column counts members of (all: mailed).
MEMBER_MEASURES = {
    "mailed": Q(),
    "opened": Q(events__kind__in=SHOWS_OPENED, **BY_MEMBER),
    "clicked": Q(events__kind=Event.Kind.CLICK, **BY_MEMBER),
    "unsubscribed": Q(events__kind=Event.Kind.UNSUBSCRIBE),
    "thumbs_up": Q(feedback__vote=Feedback.Vote.UP),
    "thumbs_down": Q(feedback__vote=Feedback.Vote.DOWN),
}


# The month a mail without a sending moment counts in (reports/rollup.py): after every other,
# and in a period only over every day, as the raw count has it.
UNDATED = dt.date(9999, 12, 1)


def benchmark_counts(
    as_of: dt.date | None = None,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> dict[str, dict[str, int]]:
    """Per library: members mailed and who opened, clicked, unsubscribed or voted; and for
    the dormant journeys, mailed and held-out members with a complete 30-day window and how
    many of them came back. Members, not mails: a cell is about people — and opens and
    clicks are the members' own, as in the campaign metrics: an image proxy or a link
    scanner is not a reader, and one library's members use more of them than another's.
    With `since` and `until`: the mails sent, and the dormant members whose clock started,
    in that period.

    Read from the aggregates (reports/rollup.py): the members by month for a period of whole
    months (since the launch or the first of a month, until today or the end of a month: every
    period the results page offers but a custom one that cuts a month), else counted from the
    mails themselves."""
    if Rollup.reads_recompute():
        refresh_members_months(None)
        refresh_moments(None)
    as_of = as_of or timezone.localdate()
    if _whole_months(since, until):
        per = _members_by_month(since, until)
    else:
        per = members_from_mails(since=since, until=until)
    dormant = _dormant(as_of, since)
    empty = dict.fromkeys(DORMANT, 0)
    return {
        library.code: {name: per[name].get(library.pk, 0) for name in MEMBER_MEASURES}
        | dormant.get(library.pk, empty)
        for library in Library.objects.order_by("code")
    }


def _whole_months(since: dt.date | None, until: dt.date | None) -> bool:
    if since is not None and since.day != 1:
        return False
    return until is None or until >= timezone.localdate() or (until + dt.timedelta(days=1)).day == 1


def _members_by_month(since: dt.date | None, until: dt.date | None) -> dict[str, dict[int, int]]:
    """Members per library and measure from month `since` to `until`'s month: each counted
    in their first month of the range, the one whose previous month lies before it."""
    rows = MembersMonth.objects.all()
    if since is not None:
        rows = rows.filter(month__gte=since).filter(Q(previous=None) | Q(previous__lt=since))
    else:
        rows = rows.filter(previous=None)
    if until is not None or since is not None:
        rows = rows.filter(month__lt=UNDATED)
    if until is not None:
        rows = rows.filter(month__lte=until)
    per: dict[str, dict[int, int]] = {name: {} for name in MEMBER_MEASURES}
    for row in rows.values("measure", "library_id").annotate(n=Sum("members")).order_by():
        per[row["measure"]][row["library_id"]] = row["n"]
    return per


def members_from_mails(
    *, since: dt.date | None = None, until: dt.date | None = None
) -> dict[str, dict[int, int]]:
    """Per measure and library id, the members with such a mail sent from `since` to `until`,
    counted from the mails themselves: for a period the monthly rows cannot answer, and the
    reference they must equal (tests/reports/test_rollup.py)."""
    messages = Message.objects.filter(status__in=sent_statuses())
    if since is not None:
        messages = messages.filter(sent_at__gte=midnight(since))
    if until is not None:
        messages = messages.filter(sent_at__lt=midnight(until + dt.timedelta(days=1)))
    per = {}
    for name, condition in MEMBER_MEASURES.items():
        rows = (
            messages.filter(condition)
            .values("library_id")
            .annotate(n=Count("enrolment__member_id", distinct=True))
            .order_by()
        )
        per[name] = {row["library_id"]: row["n"] for row in rows}
    return per


def _dormant(as_of: dt.date, since: dt.date | None) -> dict[int, dict[str, int]]:
    """Per library, its dormant journeys' members with a complete RETURN_WINDOW (whose clock
    started from `since`) and how many came back, from the journeys' daily aggregates."""
    dormant: dict[int, dict[str, int]] = {}
    entries = {}  # per journey, its current (latest) version's entry
    for journey_id, entry in Version.objects.order_by("journey_id", "number").values_list(
        "journey_id", "entry"
    ):
        entries[journey_id] = entry or {}
    journeys = [journey for journey, entry in entries.items() if "inactive_for_days" in entry]
    rows = JourneyMoments.objects.filter(
        journey_id__in=journeys,
        outcome="returned",
        window_days=RETURN_WINDOW,
        start__lte=as_of - dt.timedelta(days=RETURN_WINDOW),
    )
    if since is not None:
        rows = rows.filter(start__gte=since)
    sums = rows.values("journey__library_id", "held_out").annotate(n=Sum("n"), back=Sum("y"))
    for row in sums.order_by():
        group = "dormant_held_out" if row["held_out"] else "dormant_mailed"
        counts = dormant.setdefault(row["journey__library_id"], dict.fromkeys(DORMANT, 0))
        counts[group] += row["n"]
        counts[f"{group}_back"] += row["back"]
    return dormant


def benchmark_of(table: Mapping[str, Mapping[str, int]]) -> Suppressed:
    """The benchmark as published: libraries that mailed nothing left out, the rest
    suppressed."""
    mailed = {code: row for code, row in table.items() if row["mailed"]}
    unmailed = tuple(code for code in table if code not in mailed)
    if not mailed:  # nothing to show, but every column is there, hidden
        return Suppressed({}, dict.fromkeys(next(iter(table.values()), {})), unmailed)
    without_dormant = {
        code
        for code, row in mailed.items()
        if not row.get("dormant_mailed") and not row.get("dormant_held_out")
    }
    structural = {column: without_dormant for column in DORMANT}
    return replace(suppress(mailed, structural=structural), unmailed=unmailed)


def cross_library_benchmark(
    as_of: dt.date | None = None,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> Suppressed:
    return benchmark_of(benchmark_counts(as_of, since=since, until=until))


def refresh_members_months(since: dt.date | None) -> None:
    """Recompute the MembersMonth rows from `since`'s month (None: every month): per library,
    measure and month, the members with such a mail by the month of their previous one (a
    window function over each member's months, in the database: no member leaves it)."""
    first = since.replace(day=1) if since is not None else None
    zone = timezone.get_current_timezone()
    stale = MembersMonth.objects.all()
    if first is not None:
        stale = stale.filter(month__gte=first)
    stale.delete()
    rows = []
    for measure, condition in MEMBER_MEASURES.items():
        months = (
            Message.objects.filter(status__in=sent_statuses())
            .filter(condition)
            .annotate(
                lib=F("library_id"),
                who=F("enrolment__member_id"),
                month=Coalesce(
                    TruncMonth("sent_at", tzinfo=zone, output_field=DateField()),
                    Value(UNDATED),
                    output_field=DateField(),
                ),
            )
        )
        if first is not None:
            lately = sent_since(first).filter(condition).values("enrolment__member_id")
            months = months.filter(enrolment__member_id__in=lately)
        inner, params = months.values("lib", "who", "month").distinct().query.sql_with_params()
        sql = (
            "SELECT lib, month, previous, COUNT(*) FROM ("
            " SELECT lib, month, LAG(month) OVER (PARTITION BY who ORDER BY month) AS previous"
            f" FROM ({inner}) AS member_months) AS counted"
        )
        if first is not None:
            sql += " WHERE month >= %s"
            params = (*params, first)
        sql += " GROUP BY lib, month, previous"
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            found = cursor.fetchall()
        rows += [
            MembersMonth(
                library_id=library,
                measure=measure,
                month=_date(month),
                previous=_date(previous),
                members=members,
            )
            for library, month, previous, members in found
        ]
    MembersMonth.objects.bulk_create(rows, batch_size=2000)


def _date(value) -> dt.date | None:
    """A date as the database driver hands it back from raw SQL (SQLite: text)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])
