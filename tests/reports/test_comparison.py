"""Did this library's loans change more than its comparison libraries'? comparison_of on the
kept monthly activity, with figures worked out by hand."""

import datetime as dt
import math
from functools import partial

import pytest
from django.utils import translation
from rich.console import Console

from patronflow.members.models import ActivityDay, ActivityMonth
from patronflow.reports.comparison import (
    NO_COMPARISON_LIBRARIES,
    NO_COMPLETE_MONTH,
    NOT_COUNTED_YET,
    comparison_of,
)
from patronflow.reports.estimators import difference_in_differences
from patronflow.reports.page import against_rows
from patronflow.reports.tables import comparison_table
from tests.factories import EnrolmentFactory, LibraryFactory

pytestmark = pytest.mark.django_db

SINCE = dt.date(2026, 3, 10)  # the measured months: March and April 2026
AS_OF = dt.date(2026, 5, 15)
MONTHS = {
    "before": (dt.date(2025, 3, 1), dt.date(2025, 4, 1)),
    "after": (SINCE.replace(day=1), dt.date(2026, 4, 1)),
}


def active(
    library,
    period: str,
    *,
    loans: int,
    borrowers: int,
    visits: int,
    visitors: int,
    kept_loans: int = 0,
):
    """The same figures in each month of the period, on the month's 5th day."""
    for month in MONTHS[period]:
        ActivityDay.objects.create(
            library=library, day=month.replace(day=5), loans=loans - kept_loans,
            kept_loans=kept_loans, visits=visits,
        )  # fmt: skip
        ActivityMonth.objects.create(
            library=library, month=month, borrowers=borrowers, visitors=visitors,
            active=max(borrowers, visitors),
        )  # fmt: skip


@pytest.fixture
def network(library):
    """Gent against Aalst, Brugge and Dendermonde, and Eeklo, a library too small to count
    for loans and borrowers (5 borrowers a month) that has enough visitors."""
    others = {
        code: LibraryFactory(code=code) for code in ("aalst", "brugge", "dendermonde", "eeklo")
    }
    library.comparison_libraries.set(others.values())
    active(library, "before", loans=100, borrowers=40, visits=150, visitors=60)
    active(library, "after", loans=120, borrowers=50, visits=150, visitors=60)
    # Loans: +10%, 0%, +10%; part of Aalst's kept after a purge, which still counts.
    active(others["aalst"], "before", loans=100, borrowers=30, visits=100, visitors=30)
    active(
        others["aalst"], "after", loans=110, borrowers=30, visits=110, visitors=30, kept_loans=40
    )
    active(others["brugge"], "before", loans=50, borrowers=20, visits=50, visitors=20)
    active(others["brugge"], "after", loans=50, borrowers=20, visits=50, visitors=20)
    active(others["dendermonde"], "before", loans=200, borrowers=80, visits=200, visitors=80)
    active(others["dendermonde"], "after", loans=220, borrowers=80, visits=220, visitors=80)
    active(others["eeklo"], "before", loans=60, borrowers=5, visits=40, visitors=20)
    active(others["eeklo"], "after", loans=90, borrowers=5, visits=40, visitors=20)
    return others


def test_loans_changed_more_than_in_the_comparison_libraries(library, network):
    found = comparison_of(library, as_of=AS_OF, since=SINCE, until=None)

    assert (found.first_month, found.last_month) == (dt.date(2026, 3, 1), dt.date(2026, 4, 1))
    assert (found.baseline_first, found.baseline_last) == (dt.date(2025, 3, 1), dt.date(2025, 4, 1))
    assert found.look == 2
    assert found.compared_with == (
        "Bibliotheek Aalst", "Bibliotheek Brugge", "Bibliotheek Dendermonde", "Bibliotheek Eeklo",
    )  # fmt: skip
    loans = found.measure("loans")
    # Eeklo has 5 borrowers a month: left out, its +50% counts nowhere.
    assert loans.left_out == 1
    estimate = loans.estimate
    assert (estimate.own.before, estimate.own.after) == (200, 240)
    assert [(o.before, o.after) for o in estimate.others] == [(200, 220), (100, 100), (400, 440)]
    assert estimate.own_change == pytest.approx(0.2)
    # The others' changes on the log scale: ln 1.1, 0, ln 1.1 → mean (2/3) ln 1.1.
    assert estimate.others_change == pytest.approx(1.1 ** (2 / 3) - 1)
    assert estimate.difference == pytest.approx(1.2 / 1.1 ** (2 / 3) - 1)  # +12.6%
    assert estimate.low < estimate.difference < estimate.high


def test_each_measure_leaves_out_the_libraries_too_small_for_it(library, network):
    found = comparison_of(library, as_of=AS_OF, since=SINCE, until=None)

    borrowers, visits = found.measure("borrowers"), found.measure("visits")
    assert borrowers.left_out == 1
    assert borrowers.estimate.own_change == pytest.approx(0.25)  # 80 → 100 member-months
    assert borrowers.estimate.others_change == pytest.approx(0.0)
    # Eeklo's 20 visitors a month are enough for visits: four libraries, Eeklo's 0% among them.
    assert visits.left_out == 0
    assert len(visits.estimate.others) == 4
    assert visits.estimate.own_change == pytest.approx(0.0)
    assert visits.estimate.others_change == pytest.approx(math.exp(2 * math.log(1.1) / 4) - 1)


def test_a_library_with_too_few_borrowers_of_its_own_has_its_figures_withheld(library, network):
    ActivityMonth.objects.filter(library=library, month__year=2025).update(borrowers=9)

    found = comparison_of(library, as_of=AS_OF, since=SINCE, until=None)

    assert found.measure("loans").own_withheld and found.measure("loans").estimate is None
    assert found.measure("borrowers").estimate is None
    assert found.measure("visits").estimate is not None  # 60 visitors a month


def test_only_complete_months_are_measured(library, network):
    on_the_first = comparison_of(library, as_of=dt.date(2026, 5, 1), since=SINCE, until=None)
    until = comparison_of(library, as_of=AS_OF, since=SINCE, until=dt.date(2026, 4, 29))

    assert on_the_first.last_month == dt.date(2026, 4, 1) and on_the_first.look == 2
    assert until.last_month == dt.date(2026, 3, 1) and until.look == 1
    assert until.measure("loans").estimate.own_change == pytest.approx(0.2)
    early = comparison_of(library, as_of=dt.date(2026, 3, 31), since=SINCE, until=None)
    assert early.reason == NO_COMPLETE_MONTH and early.measures == ()


def test_without_comparison_libraries_there_is_a_reason_and_no_figures(library):
    found = comparison_of(library, as_of=AS_OF, since=SINCE, until=None)

    assert found.reason == NO_COMPARISON_LIBRARIES
    assert found.measures == ()


def test_before_the_launch_there_is_nothing_to_compare(library):
    assert comparison_of(library, as_of=AS_OF, since=None, until=None) is None


def test_a_measure_counted_only_from_after_the_baseline_began_is_not_compared(library, network):
    # Gent's visits imported from April 2025: March 2025 holds none, half a baseline period.
    ActivityDay.objects.filter(library=library, day=dt.date(2025, 3, 5)).update(visits=0)
    # Aalst's counts hold every loan only from 5 March 2025 (a purge cut the days before).
    network["aalst"].loans_counted_from = dt.date(2025, 3, 5)
    network["aalst"].save()

    found = comparison_of(library, as_of=AS_OF, since=SINCE, until=None)

    visits = found.measure("visits")
    assert (visits.estimate, visits.withheld_because) == (None, NOT_COUNTED_YET)
    assert visits.counted_from == dt.date(2025, 4, 1)
    loans = found.measure("loans")
    assert (loans.not_counted, loans.left_out) == (1, 1)  # Aalst; Eeklo for its 5 borrowers
    # Brugge 0% and Dendermonde +10% on the log scale: mean ln(1.1)/2.
    assert [(o.before, o.after) for o in loans.estimate.others] == [(100, 100), (400, 440)]
    assert loans.estimate.others_change == pytest.approx(1.1**0.5 - 1)
    assert found.measure("borrowers").not_counted == 1
    [loans_row] = [row for row in against_rows(found) if row.key == "loans"]
    assert (loans_row.left_out, loans_row.not_counted) == (1, 1)  # the page says each


def test_a_purge_before_the_counts_began_withholds_a_baseline_reaching_back_past_it(
    library, network
):
    library.loans_counted_from = dt.date(2025, 3, 1)  # the first of a month: March is whole
    library.save()

    found = comparison_of(library, as_of=AS_OF, since=SINCE, until=None)

    assert found.measure("loans").estimate.own_change == pytest.approx(0.2)
    library.loans_counted_from = dt.date(2025, 3, 2)
    library.save()
    later = comparison_of(library, as_of=AS_OF, since=SINCE, until=None)
    assert later.measure("loans").withheld_because == NOT_COUNTED_YET
    assert later.measure("borrowers").estimate is None
    assert later.measure("visits").estimate is not None


def test_choosing_a_later_first_month_does_not_start_the_readings_afresh(library, network):
    journey = library.journeys.first()
    EnrolmentFactory(journey=journey, entered_on=dt.date(2026, 1, 20))  # the launch

    from_launch = comparison_of(library, as_of=AS_OF, since=None, until=None)
    from_march = comparison_of(library, as_of=AS_OF, since=SINCE, until=None)
    april_only = comparison_of(library, as_of=AS_OF, since=dt.date(2026, 4, 1), until=None)

    # January to April is four complete months since the launch, whichever month is asked.
    assert (from_launch.look, from_march.look, april_only.look) == (4, 4, 4)
    assert from_march.first_month == dt.date(2026, 3, 1)
    # The interval is the fourth reading's (α = 0.05 · 6/(π² · 16)), wider than the second's
    # that a window starting in March would otherwise have spent.
    loans = from_march.measure("loans").estimate
    again = partial(difference_in_differences, measure="loans", own=loans.own, others=loans.others)
    assert loans == again(look=4)
    assert loans.high - loans.low > again(look=2).high - again(look=2).low


def test_the_page_says_from_which_month_a_withheld_measure_is_counted(library, network):
    ActivityDay.objects.filter(library=library, day=dt.date(2025, 3, 5)).update(visits=0)

    def visits_row():
        rows = against_rows(comparison_of(library, as_of=AS_OF, since=SINCE, until=None))
        return next(row for row in rows if row.key == "visits")

    with translation.override("en"):
        visits = visits_row()
    assert visits.verdict == "withheld"
    assert visits.answer == (
        "Withheld: this library's visits are counted completely only from 2025-04, after the "
        "baseline period begins; a period counted in part is not compared."
    )
    with translation.override("nl"):
        assert "bezoeken van deze bibliotheek zijn pas volledig geteld vanaf 2025-04" in (
            visits_row().answer
        )


def test_the_terminal_says_why_a_measure_is_withheld_and_who_is_left_out(library, network):
    ActivityDay.objects.filter(library=library, day=dt.date(2025, 3, 5)).update(visits=0)
    network["aalst"].loans_counted_from = dt.date(2025, 3, 5)
    network["aalst"].save()
    found = comparison_of(library, as_of=AS_OF, since=SINCE, until=None)

    console = Console(width=300, record=True)
    console.print(comparison_table(found))

    text = console.export_text()
    assert "withheld: counted completely only from 2025-04" in text
    assert "Left out: 1 (under 10 members). Left out too: 1 (counted only from later)." in text
