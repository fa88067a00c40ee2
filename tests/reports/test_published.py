"""No report shows a count from 1 to 9, nor a figure from which one can be worked out: the
terminal table, CSV, JSON and the HTML file of a small library; a large library's figures are
all shown as they are; and over generated tallies, no withheld count can be derived from the
published totals and parts (docs/reports.md: Small numbers)."""

import csv
import datetime as dt
import io
import json
import math
import re
from collections import Counter
from html.parser import HTMLParser

import pytest
from django.core.management import call_command
from hypothesis import given, settings
from scipy.optimize import linprog

from patronflow.mail.bounces import BounceSummary
from patronflow.mail.bounces import Report as BounceReport
from patronflow.mail.models import Message
from patronflow.operations.bounces import record_report
from patronflow.reports.baseline import MonthFigures
from patronflow.reports.effect import Comparison, JourneyEffect
from patronflow.reports.metrics import RATE_COUNTS, RATES, campaign_metrics
from patronflow.reports.published import (
    json_ready,
    publish_campaign,
    published_effects,
    published_months,
)
from patronflow.reports.suppression import SMALL_CELL, Withheld
from patronflow.tracking.models import Event, Feedback
from tests.factories import at
from tests.reports.helpers import AFTER_THE_WINDOWS, MONDAY, mails, shape, small_campaign, tallies

# A count from 1 to 9 as text: a lone digit, or the first digit of a rate such as "2.7%".
SMALL = re.compile(r"(?<![\d.])[1-9](?!\d)")
LABELS = {"library", "journey", "step", "step_name", "segment", "week", "tracks_opens"}
LABELS |= {"measure", "kind", "verdict", "enough_data", "claimed", "month", "baseline_month"}
LABELS |= {"partial_through", "variant", "baseline month", "suppressed", "window"}


def report(*arguments: str, capsys) -> str:
    call_command("report", "--as-of", AFTER_THE_WINDOWS.isoformat(), *arguments)
    return capsys.readouterr().out


def figure_cells(output: str) -> list[str]:
    """The cells of the terminal tables that hold figures, not names, steps or months."""
    cells, labels = [], set()
    for line in output.splitlines():
        if line.startswith("┃"):
            header = [cell.strip() for cell in line.strip("┃").split("┃")]
            labels = {index for index, name in enumerate(header) if name in LABELS}
        elif line.startswith("│"):
            row = [cell.strip() for cell in line.strip("│").split("│")]
            cells += [cell for index, cell in enumerate(row) if index not in labels]
    return cells


def small_in(rows: list[dict]) -> list[tuple[str, object]]:
    """(name, value) of each figure from 1 to 9 in rows of CSV or JSON."""
    found = []
    for row in rows:
        for name, value in row.items():
            if name in LABELS or value in (None, ""):
                continue
            if isinstance(value, str) and value.isdigit():
                value = int(value)
            if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 10:
                found.append((name, value))
    return found


@pytest.fixture
def small(library):
    small_campaign(library)
    return library


def test_the_terminal_report_shows_no_count_under_10_nor_a_rate_of_one(small, capsys):
    output = report("--library", "gent", capsys=capsys)

    cells = figure_cells(output)
    assert cells and [cell for cell in cells if SMALL.search(cell)] == []
    assert "< 10" in cells  # the unsubscribe, the 👎 (as "0/< 10") and the held-out group
    assert "0/< 10" in cells
    assert "(2.7%)" not in output
    assert "(· enrolments, < 10 held out)" in output  # 40 enrolments would give 3 away
    assert "Not enough data yet (37 mailed, < 10" in output


@pytest.mark.parametrize("table", ["metrics", "weekly", "effect", "baseline"])
def test_no_csv_table_has_a_count_under_10_nor_a_rate_of_one(small, capsys, table):
    rows = list(
        csv.DictReader(io.StringIO(report("--format", "csv", "--table", table, capsys=capsys)))
    )

    assert rows and small_in(rows) == []
    if table in {"metrics", "weekly"}:
        [row] = rows
        assert (row["sent"], row["delivered"], row["unsubscribed"]) == ("37", "37", "< 10")
        assert (row["thumbs_up"], row["thumbs_down"]) == ("0", "< 10")
        assert (row["unsubscribe_rate"], row["net_score"]) == ("·", "·")  # 1/37 and -1
        assert row["click_rate"] == "0.0"
    if table == "effect":
        dormant = [row for row in rows if row["journey"] == "dormant"]
        assert {row["held_out_n"] for row in dormant} == {"< 10"}
        assert {row["lift"] for row in dormant} == {"·"}


def test_json_has_no_count_under_10_and_says_what_it_withheld(small, capsys):
    data = json.loads(report("--format", "json", capsys=capsys))

    for table in ("metrics", "weekly", "funnel", "effect", "baseline", "benchmark"):
        assert small_in(data[table]) == [], table
    [row] = data["metrics"]
    assert (row["unsubscribed"], row["unsubscribe_rate"], row["net_score"]) == (None, None, None)
    assert set(row["suppressed"]) == {"unsubscribed", "thumbs_down"} | {
        "unsubscribe_rate",
        "net_score",
    }
    assert row["bounced"] == 0 and "bounced" not in row["suppressed"]
    dormant = [comparison for comparison in data["effect"] if comparison["journey"] == "dormant"]
    assert all(comparison["p_value"] is None for comparison in data["effect"])
    assert dormant and all("held_out_n" in comparison["suppressed"] for comparison in dormant)
    assert data["baseline"][0]["loans"] is None and "loans" in data["baseline"][0]["suppressed"]


class Cells(HTMLParser):
    """The text of every table cell that holds a figure, and the charts' data."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[str] = []
        self.chart = ""
        self._cell: list[str] | None = None
        self._in_chart = False

    def handle_starttag(self, tag, attrs):
        classes = dict(attrs).get("class") or ""
        if tag == "td" and not {"text", "verdict"} & set(classes.split()):
            self._cell = []
        self._in_chart = tag == "script" and dict(attrs).get("id") == "chart-data"

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self.cells.append("".join(self._cell).strip())
            self._cell = None
        self._in_chart = False

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        if self._in_chart:
            self.chart += data


def test_the_html_report_shows_no_count_under_10_in_its_tables_or_charts(small, tmp_path, capsys):
    path = tmp_path / "report.html"
    report("--html", str(path), capsys=capsys)
    page = Cells()
    page.feed(path.read_text(encoding="utf-8"))

    figures = [cell for cell in page.cells if not re.match(r"\d{4}-\d{2}|[a-z]|\d+\. ", cell)]
    assert figures and [cell for cell in figures if SMALL.search(cell)] == []
    assert "< 10" in figures
    charts = json.loads(page.chart)
    drawn = [row["loans"] for row in charts["baseline"]]
    assert drawn and not [value for value in drawn if value is not None and 0 < value < 10]


def test_a_library_with_large_numbers_shows_every_figure_as_before(library, capsys):
    library.track_opens = True
    library.save()
    step = library.journeys.get(key="dormant").current_version.steps.get(position=1)
    sent = mails(step.variants.get(segment="fiction_digital"), 60)
    for number, message in enumerate(sent):
        if number < 20:
            Event.objects.create(message=message, kind=Event.Kind.OPEN)
        if number < 12:
            Event.objects.create(message=message, kind=Event.Kind.CLICK, link_index=0)
        if number >= 50:
            Event.objects.create(message=message, kind=Event.Kind.UNSUBSCRIBE)
        if 20 <= number < 42:
            vote = Feedback.Vote.UP if number < 32 else Feedback.Vote.DOWN
            Feedback.objects.create(message=message, vote=vote)
    [truth] = campaign_metrics()

    data = json.loads(report("--format", "json", capsys=capsys))
    table = report(capsys=capsys)

    for published in (data["metrics"][0], data["weekly"][0], data["funnel"][0]):
        assert published["suppressed"] == []
        expected = truth.as_row() | {"segment": published["segment"], "week": published["week"]}
        assert {name: published[name] for name in expected} == expected
    assert (truth.thumbs_up, truth.thumbs_down, truth.unsubscribed) == (12, 10, 10)
    assert "10 (16.7%)" in table and "12/10" in table


# The counts a reader can relate: each group adds up down the rows, and within a row the first
# of a group is the sum of the others.
GROUPS = [
    ("sent", "delivered", "bounced", "uncertain"),
    ("complaints",),
    ("clicked", "human_clicked", "machine_clicked"),
    ("unsubscribed",),
    ("thumbs_down",),
]


def reader_bounds(value) -> tuple[float, float | None]:
    if value is Withheld.SMALL:
        return (1, SMALL_CELL - 1)
    if value is Withheld.HIDDEN:
        return (SMALL_CELL, None)
    return (value, value)


def derivable(rows: dict[tuple, object], names: tuple[str, ...], cell: tuple) -> tuple[int, int]:
    """The least and greatest whole value a reader can give `cell` from the published rows
    (keyed by identity), knowing every sum between them: a linear programme."""
    cells = [(key, name) for key in rows for name in names]
    index = {each: number for number, each in enumerate(cells)}
    equalities = []
    for key in rows:
        children = [child for child in rows if len(child) > len(key) and child[: len(key)] == key]
        nearest = [child for child in children if len(child) == min(map(len, children))]
        for name in names if nearest else ():
            equalities.append({index[key, name]: 1} | {index[child, name]: -1 for child in nearest})
        if len(names) > 1:
            equalities.append(
                {index[key, names[0]]: 1} | {index[key, part]: -1 for part in names[1:]}
            )
    matrix = [[equality.get(column, 0) for column in range(len(cells))] for equality in equalities]
    bounds = [reader_bounds(getattr(rows[key], name)) for key, name in cells]
    target = [1 if each == cell else 0 for each in cells]
    low = linprog(target, A_eq=matrix, b_eq=[0] * len(matrix), bounds=bounds)
    high = linprog(
        [-weight for weight in target], A_eq=matrix, b_eq=[0] * len(matrix), bounds=bounds
    )
    return math.ceil(low.fun - 1e-6), math.floor(-high.fun + 1e-6)


def identity(row, length: int) -> tuple:
    return (row.step, row.segment, row.week)[:length]


@settings(max_examples=100, deadline=None)
@given(shape)
def test_no_published_count_is_under_10_nor_can_a_withheld_one_be_worked_out(steps):
    weekly = tallies(steps)
    published = publish_campaign(weekly)
    levels = [(published.weekly, 3), (published.variants, 2), (published.steps, 1)]
    levels.append((published.journeys, 0))
    rows = {identity(row, length): row for level, length in levels for row in level}

    for row in rows.values():
        for name in {name for group in GROUPS for name in group}:
            value = getattr(row, name)
            assert not (isinstance(value, int) and 0 < value < SMALL_CELL), (name, value)
        for name in RATES:
            made_of = [getattr(row, count) for count in RATE_COUNTS[name]]
            if isinstance(getattr(row, name), float):
                assert not any(isinstance(count, Withheld) for count in made_of), name
    for key in rows:
        below = [week for week in weekly if identity(week, len(key)) == key]
        for names in GROUPS:
            for name in names:
                true = sum(getattr(week, name) for week in below)
                if 0 < true < SMALL_CELL:
                    low, high = derivable(rows, names, (key, name))
                    assert low < high, f"{name} of {key or 'the journey'} can be worked out"


def test_bounces_and_complaints_under_10_are_withheld_like_every_count(small, capsys):
    sent = Message.objects.order_by("pk")
    summary = BounceSummary(Counter())
    for message, kind in zip(sent, ("hard", "hard", "complaint"), strict=False):
        record_report(BounceReport(kind, message.pk, "5.1.1"), at(MONDAY), summary)

    data = json.loads(report("--format", "json", capsys=capsys))
    [row] = data["metrics"]
    [exported] = csv.DictReader(io.StringIO(report("--format", "csv", capsys=capsys)))
    table = report(capsys=capsys)

    assert (row["bounced"], row["complaints"], row["delivered"]) == (None, None, 35)
    assert {"bounced", "complaints", "sent"} <= set(row["suppressed"])  # 37 − 35 gives 2 away
    assert (exported["bounced"], exported["complaints"], exported["sent"]) == ("< 10", "< 10", "·")
    assert [cell for cell in figure_cells(table) if SMALL.search(cell)] == []


def comparison_of_groups(mailed_n: int, held_out_n: int, mailed_back: int, held_back: int):
    """Members back within 30 days: a rate, with made-up figures for the adjusted estimate."""
    return Comparison(
        measure="borrowed or visited within 30 days", kind="rate",
        mailed_n=mailed_n, held_out_n=held_out_n,
        mailed=mailed_back / mailed_n, held_out=held_back / held_out_n,
        lift=0.1, low=0.02, high=0.18, p_value=0.01, enough_data=True,
        mailed_count=mailed_back, held_out_count=held_back, outcome="returned", window=30,
        adjusted_lift=0.09, adjusted_low=0.03, adjusted_high=0.15, narrower=0.25,
    )  # fmt: skip


def test_the_adjusted_estimate_is_published_beside_the_plain_one_and_withheld_with_it():
    large = JourneyEffect("gent", "welcome", 400, 100, [comparison_of_groups(300, 100, 90, 20)])
    small = JourneyEffect("gent", "dormant", 330, 30, [comparison_of_groups(300, 30, 90, 4)])

    [shown], [withheld] = (effect.comparisons for effect in published_effects([large, small]))

    assert (shown.adjusted_lift, shown.adjusted_low, shown.adjusted_high) == (0.09, 0.03, 0.15)
    assert shown.narrower == 0.25
    # 4 held-out members came back: the share, and everything made of it, is withheld.
    assert withheld.held_out is Withheld.HIDDEN
    for name in ("adjusted_lift", "adjusted_low", "adjusted_high", "narrower"):
        assert getattr(withheld, name) is Withheld.HIDDEN
    assert not withheld.claimed


def test_the_baseline_publishes_visits_beside_loans_and_withholds_a_small_one():
    month = MonthFigures(
        library="gent", month=dt.date(2026, 5, 1), loans=120, borrowers=40,
        baseline_month=dt.date(2025, 5, 1), baseline_loans=100, baseline_borrowers=35,
        visits=60, visitors=7, baseline_visits=8, baseline_visitors=6,
    )  # fmt: skip

    [row] = published_months([month])

    assert (row.loans, row.loans_change) == (120, pytest.approx(0.2))
    assert row.visits == 60
    assert row.visitors is row.baseline_visits is row.baseline_visitors is Withheld.SMALL
    assert row.visits_change is Withheld.HIDDEN  # 60 against 8: it would give the 8 away
    assert json_ready(row.as_row())["visits"] == 60
