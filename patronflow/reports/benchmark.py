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

from django.db.models import Count, Q
from django.utils import timezone

from patronflow.journeys.models import Journey
from patronflow.mail.models import Message
from patronflow.members.models import Library
from patronflow.reports.metrics import midnight, sent_statuses
from patronflow.reports.outcomes import outcomes_of
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


def _distinct_members(messages, condition: Q | None = None) -> dict[int, int]:
    if condition is not None:
        messages = messages.filter(condition)
    rows = messages.values("library_id").annotate(n=Count("enrolment__member_id", distinct=True))
    return {row["library_id"]: row["n"] for row in rows}


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
    in that period."""
    as_of = as_of or timezone.localdate()
    messages = Message.objects.filter(status__in=sent_statuses())
    if since is not None:
        messages = messages.filter(sent_at__gte=midnight(since))
    if until is not None:
        messages = messages.filter(sent_at__lt=midnight(until + dt.timedelta(days=1)))
    per = {
        "mailed": _distinct_members(messages),
        "opened": _distinct_members(messages, Q(events__kind__in=SHOWS_OPENED, **BY_MEMBER)),
        "clicked": _distinct_members(messages, Q(events__kind=Event.Kind.CLICK, **BY_MEMBER)),
        "unsubscribed": _distinct_members(messages, Q(events__kind=Event.Kind.UNSUBSCRIBE)),
        "thumbs_up": _distinct_members(messages, Q(feedback__vote=Feedback.Vote.UP)),
        "thumbs_down": _distinct_members(messages, Q(feedback__vote=Feedback.Vote.DOWN)),
    }
    table = {}
    for library in Library.objects.order_by("code"):
        row = {name: per[name].get(library.pk, 0) for name in per}
        dormant = {"dormant_mailed": 0, "dormant_mailed_back": 0}
        dormant |= {"dormant_held_out": 0, "dormant_held_out_back": 0}
        journeys = Journey.objects.filter(library=library)
        for journey in journeys:
            version = journey.current_version
            if version is None or "inactive_for_days" not in (version.entry or {}):
                continue
            for outcome in outcomes_of(journey):
                if outcome.start + dt.timedelta(days=RETURN_WINDOW) > as_of:
                    continue
                if since is not None and outcome.start < since:
                    continue
                group = "dormant_held_out" if outcome.held_out else "dormant_mailed"
                back = (
                    outcome.returned_after is not None and outcome.returned_after <= RETURN_WINDOW
                )
                dormant[group] += 1
                dormant[f"{group}_back"] += back
        table[library.code] = row | dormant
    return table


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
