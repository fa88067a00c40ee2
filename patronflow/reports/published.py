"""What the reports publish: the figures of metrics.py, effect.py and baseline.py with every
count from 1 to 9 withheld, and every figure that would give one away (docs/reports.md: Small
numbers). The agreement with the libraries promises statistics that cannot be traced to a
member, in any report, export or screen.

Every output takes its figures from here — the `report` tables, CSV, JSON and HTML, the staff
report and dashboard, the demo — so that what is withheld in one is withheld in all; the
statistics themselves (the effect's tests, the benchmark's totals) are computed from the true
counts before anything is withheld.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import pairwise

from patronflow.members.models import Library
from patronflow.reports.baseline import MonthFigures
from patronflow.reports.effect import (
    JourneyEffect,
    headline_of,
    no_control_group,
    not_enough_data,
)
from patronflow.reports.metrics import (
    COUNTS,
    DERIVED,
    PARTS,
    RATE_COUNTS,
    RATES,
    CampaignMetrics,
    campaign_metrics,
    combined,
    funnel,
)
from patronflow.reports.suppression import Figure, Sum, Withheld, is_small, withhold
from patronflow.reports.waiting import Wait


@dataclass(frozen=True)
class PublishedRow:
    """A report row as published: the true row's labels and figures, a withheld figure
    replaced by its marker. Read like the row it came from (`row.sent`, `row.click_rate`)."""

    values: dict[str, object]
    aliases: dict[str, str] = field(default_factory=dict)

    def __getattr__(self, name: str):
        if name.startswith("__") or name in {"values", "aliases"}:
            raise AttributeError(name)
        try:
            return self.values[self.aliases.get(name, name)]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def suppressed(self) -> list[str]:
        """The figures withheld."""
        return [name for name, value in self.values.items() if isinstance(value, Withheld)]

    def as_row(self) -> dict:
        """For CSV, where a withheld figure is its marker ("< 10", "·"); JSON: json_ready."""
        return {
            name: value.isoformat() if isinstance(value, dt.date) else value
            for name, value in self.values.items()
        }


def json_ready(row: dict) -> dict:
    """A row for JSON: a withheld figure is null and named in the row's `suppressed` list
    (null alone is a figure not recorded)."""
    values = {name: None if isinstance(value, Withheld) else value for name, value in row.items()}
    values["suppressed"] = [name for name, value in row.items() if isinstance(value, Withheld)]
    return values


def shown(value: Figure, spec: str = "") -> str:
    """A figure as text: – where not recorded, its marker where withheld."""
    if value is None:
        return "–"
    if isinstance(value, Withheld):
        return value.value
    return format(value, spec)


def number(value: Figure) -> int | float | None:
    """A figure for a chart: a withheld one is not drawn."""
    return None if isinstance(value, Withheld) else value


@dataclass(frozen=True)
class PublishedCampaign:
    """The campaign metrics at each level a report shows them, suppressed together."""

    weekly: list[PublishedRow]  # per library, journey, step, variant and week
    variants: list[PublishedRow]  # per library, journey, step and variant: the report table
    steps: list[PublishedRow]  # per step, its variants together: the funnel
    journeys: list[PublishedRow]  # per journey: the dashboard


def published_campaign(
    library: Library | None = None,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> PublishedCampaign:
    return publish_campaign(campaign_metrics(library, by_week=True, since=since, until=until))


def _identity(row: CampaignMetrics) -> tuple:
    return (row.library, row.journey, row.step, row.step_name, row.segment, row.week)


# How much of a week row's identity names it, and its variant's, step's and journey's row.
WEEK, VARIANT, STEP, JOURNEY = 6, 5, 4, 2


def _grouped(rows: list[CampaignMetrics], length: int) -> dict[tuple, list[CampaignMetrics]]:
    groups: dict[tuple, list[CampaignMetrics]] = defaultdict(list)
    for row in rows:
        groups[_identity(row)[:length]].append(row)
    return groups


def publish_campaign(weekly: list[CampaignMetrics]) -> PublishedCampaign:
    """Every level is added up from the weeks, so that each is the sum of the one below: a
    week's cell is part of its variant's, which is part of its step's and its journey's; each
    count is suppressed down that tree. In each row some counts are the sum of others (sent =
    delivered + uncertain; opened = a member's + only machines'): such a total is withheld
    wherever a part is, and where it is, what it says of its parts (under 10, or 10 or more)
    joins the suppression. A rate is shown only where both its counts are.

    No sum links two journeys, so each journey is published on its own; the rows of every
    level keep the order of their first week row."""
    places: dict[tuple, list[int]] = defaultdict(list)
    for place, row in enumerate(weekly):
        places[_identity(row)[:JOURNEY]].append(place)
    levels: list[list[tuple[int, PublishedRow]]] = [[], [], [], []]
    for journey_places in places.values():
        tree = _published_journey(tuple(weekly[place] for place in journey_places))
        for level, rows in zip(levels, tree, strict=True):
            level.extend((journey_places[first], row) for first, row in rows)
    return PublishedCampaign(
        *([row for _, row in sorted(level, key=lambda placed: placed[0])] for level in levels)
    )


@lru_cache(maxsize=16384)
def _published_journey(weekly: tuple[CampaignMetrics, ...]) -> tuple:
    """One journey's rows of each level as published, each with the place of its first week
    row. Kept for the journey's unchanged weeks: a network's report published again solves
    only the journeys whose figures changed."""
    variants = [combined(rows, week=None) for rows in _grouped(list(weekly), VARIANT).values()]
    steps = funnel(variants)
    journeys = [
        combined(rows, step=0, step_name="", segment="all")
        for rows in _grouped(steps, JOURNEY).values()
    ]
    levels = [(list(weekly), WEEK), (variants, VARIANT), (steps, STEP), (journeys, JOURNEY)]
    withheld = _withheld_in_journey(levels)
    firsts: dict[tuple, int] = {}
    for place, row in enumerate(weekly):
        for length in (WEEK, VARIANT, STEP, JOURNEY):
            firsts.setdefault(_identity(row)[:length], place)
    return tuple(
        tuple(
            (firsts[_identity(row)[:length]], _published(row, _identity(row)[:length], withheld))
            for row in rows
        )
        for rows, length in levels
    )


def _withheld_in_journey(levels: list[tuple[list[CampaignMetrics], int]]) -> dict:
    """The cells withheld in one journey's rows: its weeks, variants, steps and itself."""
    values: dict[tuple, int] = {}
    in_rows: list[Sum] = []
    for rows, length in levels:
        for row in rows:
            key = _identity(row)[:length]
            counts = _counts(row)
            values |= {(key, name): value for name, value in counts.items()}
            for total, parts in _parts(counts).items():
                in_rows.append(Sum((key, total), tuple((key, part) for part in parts)))
    down: list[Sum] = []
    for (rows, length), (parents, parent_length) in pairwise(levels):
        children = _grouped(rows, parent_length)
        for parent in parents:
            key = _identity(parent)[:parent_length]
            below = [_identity(child)[:length] for child in children[key]]
            for name in _counts(parent):
                down.append(Sum((key, name), tuple((child, name) for child in below)))
    withheld = withhold(values, down, values.keys())
    linked: list[Sum] = []
    waiting = in_rows
    while newly := [each for each in waiting if withheld.keys() & {each.total, *each.parts}]:
        waiting = [each for each in waiting if not withheld.keys() & {each.total, *each.parts}]
        for each in newly:
            withheld.setdefault(each.total, Withheld.HIDDEN)
        linked += newly
        withheld = withhold(values, down + linked, values.keys(), withheld)
    return withheld


def _counts(row: CampaignMetrics) -> dict[str, int]:
    """Every recorded count of a row, derived ones included."""
    counts = {name: getattr(row, name) for name in (*COUNTS, *DERIVED)}
    return {name: value for name, value in counts.items() if value is not None}


def _parts(counts: dict[str, int]) -> dict[str, list[str]]:
    """The counts that are the sum of others in this row, and their recorded parts."""
    found = {name: [part for part in PARTS[name] if part in counts] for name in PARTS}
    return {name: parts for name, parts in found.items() if name in counts and parts}


def _published(row: CampaignMetrics, key: tuple, withheld: dict) -> PublishedRow:
    values = {name: getattr(row, name) for name in row.as_row()}
    values |= {name: withheld.get((key, name), value) for name, value in _counts(row).items()}
    aliases = {
        "member_opened": "opened" if row.human_opened is None else "human_opened",
        "member_clicked": "clicked" if row.human_clicked is None else "human_clicked",
    }
    for name in RATES:
        made_of = [values[aliases.get(count, count)] for count in RATE_COUNTS[name]]
        if values[name] is not None and any(isinstance(count, Withheld) for count in made_of):
            values[name] = Withheld.HIDDEN
    return PublishedRow(values, aliases)


def combined_click_rate(rows: list[PublishedRow]) -> Figure:
    """The click rate of rows taken together (a journey's week, for the chart): shown only
    where every row's counts are, since the rate of a sum gives a withheld part away."""
    clicked, delivered = (
        [getattr(row, name) for row in rows] for name in RATE_COUNTS["click_rate"]
    )
    if any(isinstance(value, Withheld) for value in [*clicked, *delivered]):
        return Withheld.HIDDEN
    return sum(clicked) / sum(delivered) if sum(delivered) else None


@dataclass(frozen=True)
class PublishedEffect:
    library: str
    journey: str
    journey_name: str
    has_control_group: bool
    enrolments: Figure
    held_out: Figure
    comparisons: list[PublishedRow]
    kind: str = "journey"
    wait: Wait | None = None

    @property
    def headline(self) -> PublishedRow | None:
        return headline_of(self.comparisons)


COMPARISON_FIGURES = ("mailed", "held_out", "lift", "low", "high", "p_value")
# The difference adjusted by the members' activity before entering: made of the same groups
# and counts, withheld with them.
ADJUSTED_FIGURES = ("adjusted_lift", "adjusted_low", "adjusted_high", "narrower")


def published_effects(effects: list[JourneyEffect]) -> list[PublishedEffect]:
    """Mailed against held out, as published. A group under 10 is withheld, and so are the
    enrolments where they would give a small group away; every share, mean, lift, interval
    and p-value made of a withheld count is withheld too, and the verdict is "not enough data
    yet". A group size shown in two places (the whole group, and those whose window has
    passed) is one cell: withheld in both or in neither."""
    values: dict[tuple, int] = {}
    sums: list[Sum] = []
    published: set[tuple] = set()

    def cell(*key, value: int) -> tuple:
        values[key] = value
        return key

    for effect in effects:
        scope = (effect.library, effect.journey)
        enrolments = cell("group", *scope, "enrolments", effect.enrolments, value=effect.enrolments)
        held_out = cell("group", *scope, "held_out", effect.held_out, value=effect.held_out)
        mailed_size = effect.enrolments - effect.held_out
        mailed = cell("group", *scope, "mailed", mailed_size, value=mailed_size)
        sums.append(Sum(enrolments, (mailed, held_out), spare_total=True))
        published |= {enrolments, held_out}
        for c in effect.comparisons:
            published |= {
                cell("group", *scope, "mailed", c.mailed_n, value=c.mailed_n),
                cell("group", *scope, "held_out", c.held_out_n, value=c.held_out_n),
                cell("count", *scope, c.measure, "mailed", value=c.mailed_count),
                cell("count", *scope, c.measure, "held_out", value=c.held_out_count),
            }
    withheld = withhold(values, sums, published)

    def figure(*key) -> Figure:
        return withheld.get(key, values[key])

    result = []
    for effect in effects:
        scope = (effect.library, effect.journey)
        comparisons = []
        for c in effect.comparisons:
            made_of = [
                figure("group", *scope, "mailed", c.mailed_n),
                figure("group", *scope, "held_out", c.held_out_n),
                figure("count", *scope, c.measure, "mailed"),
                figure("count", *scope, c.measure, "held_out"),
            ]
            row = {"measure": c.measure, "outcome": c.outcome, "window": c.window}
            row |= {"kind": c.kind, "mailed_n": made_of[0], "held_out_n": made_of[1]}
            row |= {name: getattr(c, name) for name in (*COMPARISON_FIGURES, *ADJUSTED_FIGURES)}
            row |= {"enough_data": c.enough_data, "claimed": c.claimed, "verdict": c.verdict}
            if any(isinstance(value, Withheld) for value in made_of):
                for name in (*COMPARISON_FIGURES, *ADJUSTED_FIGURES):
                    row[name] = None if row[name] is None else Withheld.HIDDEN
                row |= {"enough_data": False, "claimed": False}
                row["verdict"] = not_enough_data(made_of[0], made_of[1])
            if not effect.has_control_group:
                row["verdict"] = no_control_group()
            comparisons.append(PublishedRow(row))
        result.append(
            PublishedEffect(
                library=effect.library,
                journey=effect.journey,
                journey_name=effect.journey_name,
                has_control_group=effect.has_control_group,
                enrolments=figure("group", *scope, "enrolments", effect.enrolments),
                held_out=figure("group", *scope, "held_out", effect.held_out),
                comparisons=comparisons,
                kind=effect.kind,
                wait=effect.wait,
            )
        )
    return result


MONTH_COUNTS = ("loans", "borrowers", "baseline_loans", "baseline_borrowers")
MONTH_COUNTS += ("visits", "visitors", "baseline_visits", "baseline_visitors")
# Each change and the two counts it is worked out from.
MONTH_CHANGES = {
    "loans_change": ("loans", "baseline_loans"),
    "visits_change": ("visits", "baseline_visits"),
}


def published_months(months: list[MonthFigures]) -> list[PublishedRow]:
    """The baseline as published: a month's loans, borrowers, visits or visitors under 10 are
    withheld, and so is a change against the baseline month made of one. No total of them is
    shown. A month without imported loans (or visits) stays without those figures (None),
    never a zero."""
    rows = []
    for month in months:
        names = [*month.as_row(), *MONTH_COUNTS, *MONTH_CHANGES]
        values = {name: getattr(month, name) for name in dict.fromkeys(names)}
        for name in MONTH_COUNTS:
            if values[name] is not None and is_small(values[name]):
                values[name] = Withheld.SMALL
        for change, counts in MONTH_CHANGES.items():
            made_of = [values[count] for count in counts]
            if values[change] is not None and any(isinstance(v, Withheld) for v in made_of):
                values[change] = Withheld.HIDDEN
        rows.append(PublishedRow(values))
    return rows
