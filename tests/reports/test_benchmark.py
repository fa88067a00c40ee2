"""The benchmark shows libraries side by side without a cell under 10 members being shown or
derivable from the totals — by an outsider, or by a library that knows its own figures."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from patronflow.reports.benchmark import (
    SMALL_CELL,
    benchmark_counts,
    benchmark_of,
    cross_library_benchmark,
    suppress,
    suppress_column,
)
from patronflow.tracking.models import Event
from tests.factories import EnrolmentFactory, LibraryFactory, MessageFactory

counts = st.one_of(st.integers(0, 12), st.integers(0, 400))
tables = st.integers(1, 7).flatmap(
    lambda libraries: st.dictionaries(
        st.sampled_from([f"lib{n}" for n in range(libraries)]),
        st.fixed_dictionaries({"mailed": counts, "clicked": counts}),
        min_size=libraries,
        max_size=libraries,
    )
)


def bounds(values: dict[str, int], hidden: set[str], total: int | None, cell: str) -> tuple:
    """What someone who sees the shown cells and the total can know about a hidden cell: its
    least and greatest possible value (a linear programme over non-negative cells)."""
    unknown = sorted(hidden)
    if total is None:
        return 0, float("inf")
    equality = [[1.0] * len(unknown)]
    remaining = [total - sum(v for name, v in values.items() if name not in hidden)]
    target = [1.0 if name == cell else 0.0 for name in unknown]
    low = linprog(target, A_eq=equality, b_eq=remaining, bounds=(0, None))
    high = linprog([-weight for weight in target], A_eq=equality, b_eq=remaining, bounds=(0, None))
    return round(low.fun), round(-high.fun)


@settings(max_examples=80, deadline=None)
@given(tables)
def test_no_small_cell_is_shown_or_can_be_worked_out_from_the_totals(table):
    suppressed = suppress(table)

    for column in ("mailed", "clicked"):
        values = {code: row[column] for code, row in table.items()}
        hidden = {code for code, row in suppressed.rows.items() if row[column] is None}
        total = suppressed.totals[column]
        assert all(values[code] >= SMALL_CELL for code in set(values) - hidden)
        assert total is None or total >= SMALL_CELL
        for insider in [None, *hidden]:
            # A library that knows its own cell takes it out of the unknowns.
            known = {name: v for name, v in values.items() if name != insider}
            unknown = hidden - {insider}
            left = None if total is None else total - (values[insider] if insider else 0)
            for cell in unknown:
                if values[cell] < SMALL_CELL:
                    low, high = bounds(known, unknown, left, cell)
                    assert low < high, f"{cell} derivable by {insider or 'an outsider'}"


@given(tables)
def test_shown_cells_and_totals_are_the_true_counts(table):
    suppressed = suppress(table)
    for code, row in suppressed.rows.items():
        for column, value in row.items():
            assert value is None or value == table[code][column]
    for column, total in suppressed.totals.items():
        assert total is None or total == sum(row[column] for row in table.values())


def test_one_small_library_hides_the_next_smallest_too():
    hidden, hide_total = suppress_column({"gent": 120, "brugge": 4, "aalst": 35, "lier": 60})
    assert hidden == {"brugge", "aalst", "lier"}  # two would let aalst or lier work out brugge
    assert not hide_total


def test_a_network_of_two_hides_the_total_when_one_library_is_small():
    hidden, hide_total = suppress_column({"gent": 120, "brugge": 4})
    assert hidden == {"gent", "brugge"}
    assert hide_total


def test_a_rate_is_hidden_where_either_of_its_counts_is():
    suppressed = suppress(
        {
            "gent": {"clicked": 5, "mailed": 400},
            "brugge": {"clicked": 60, "mailed": 300},
            "aalst": {"clicked": 20, "mailed": 8},
            "lier": {"clicked": 40, "mailed": 200},
        }
    )
    rates = {row["library"]: row["click_rate"] for row in suppressed.as_rows()}
    assert rates["gent"] is None
    assert rates["aalst"] is None
    assert rates["total"] == pytest.approx(125 / 908)


def test_a_library_sees_itself_against_the_rest_of_the_network():
    suppressed = suppress(
        {
            "gent": {"mailed": 400},
            "brugge": {"mailed": 300},
            "aalst": {"mailed": 3},
            "lier": {"mailed": 200},
        }
    )
    mine = suppressed.versus_rest("brugge")
    assert set(mine.rows) == {"brugge", "rest"}
    # brugge is hidden as a complement of aalst's small cell, so the rest is too.
    assert mine.rows["brugge"]["mailed"] is None
    assert mine.rows["rest"]["mailed"] is None
    assert suppressed.versus_rest("gent").rows["rest"]["mailed"] == 503


def test_benchmark_counts_members_who_opened_or_clicked_themselves_not_their_machines(db):
    gent = LibraryFactory(code="gent")
    proxied, scanned, read = (MessageFactory(enrolment__journey__library=gent) for _ in range(3))
    Event.objects.create(message=proxied, kind=Event.Kind.OPEN, machine="mail_proxy")
    Event.objects.create(message=scanned, kind=Event.Kind.CLICK, link_index=0, machine="scanner")
    Event.objects.create(message=read, kind=Event.Kind.OPEN, machine="mail_proxy")
    Event.objects.create(message=read, kind=Event.Kind.CLICK, link_index=0)

    counts = benchmark_counts(dt.date(2026, 6, 1))["gent"]

    assert (counts["mailed"], counts["opened"], counts["clicked"]) == (3, 1, 1)


def test_benchmark_counts_members_per_library_not_mails(db):
    gent, brugge = LibraryFactory(code="gent"), LibraryFactory(code="brugge")
    for _ in range(12):
        enrolment = EnrolmentFactory(journey__library=gent)
        MessageFactory(enrolment=enrolment)
    MessageFactory(enrolment=EnrolmentFactory(journey__library=brugge))

    counts = benchmark_counts(dt.date(2026, 6, 1))
    shown = cross_library_benchmark(dt.date(2026, 6, 1))

    assert counts["gent"]["mailed"] == 12
    assert counts["brugge"]["mailed"] == 1
    assert shown.rows["brugge"]["mailed"] is None
    assert shown.rows["gent"]["mailed"] is None  # else the total would give brugge away
    assert shown.totals["mailed"] is None


@settings(max_examples=80, deadline=None)
@given(tables)
def test_a_library_that_mailed_nothing_hides_no_cell_that_was_shown(table):
    before = benchmark_of(table)
    after = benchmark_of(table | {"leeg": {"mailed": 0, "clicked": 0}})

    assert "leeg" not in after.rows and "leeg" in after.unmailed
    for code, row in before.rows.items():
        assert {column: value for column, value in row.items() if value is not None} == {
            column: value for column, value in after.rows[code].items() if value is not None
        }
    assert after.totals == before.totals


def test_a_library_without_members_leaves_the_others_and_the_total_shown(db):
    gent, brugge = LibraryFactory(code="gent"), LibraryFactory(code="brugge")
    LibraryFactory(code="leeg")  # a new library: no members, nothing mailed
    for library, members, clicked in ((gent, 60, 15), (brugge, 25, 10)):
        for number in range(members):
            message = MessageFactory(enrolment__journey__library=library)
            if number < clicked:
                Event.objects.create(message=message, kind=Event.Kind.CLICK, link_index=0)

    shown = cross_library_benchmark(dt.date(2026, 6, 1))

    assert set(shown.rows) == {"gent", "brugge"} and shown.unmailed == ("leeg",)
    assert (shown.rows["gent"]["mailed"], shown.rows["brugge"]["mailed"]) == (60, 25)
    assert (shown.totals["mailed"], shown.totals["clicked"]) == (85, 25)
    assert shown.rate("gent", "click_rate") == pytest.approx(15 / 60)
    assert shown.versus_rest("leeg").rows["rest"]["mailed"] == 85  # the rest is everyone


dormant_tables = st.integers(1, 6).flatmap(
    lambda libraries: st.dictionaries(
        st.sampled_from([f"lib{n}" for n in range(libraries)]),
        st.fixed_dictionaries(
            {
                "mailed": st.integers(10, 400),
                "dormant_mailed": counts,
                "dormant_mailed_back": counts,
                "dormant_held_out": counts,
                "dormant_held_out_back": counts,
            }
        ),
        min_size=libraries,
        max_size=libraries,
    )
)


@settings(max_examples=80, deadline=None)
@given(dormant_tables)
def test_a_library_without_a_dormant_journey_hides_no_dormant_cell_that_was_shown(table):
    """Its dormant zeros are structural: shown as the zeros they are, and no reason to hide
    another library's cell (before, one such library blanked every dormant column)."""
    no_journey = dict.fromkeys(("dormant_mailed", "dormant_mailed_back"), 0)
    no_journey |= dict.fromkeys(("dormant_held_out", "dormant_held_out_back"), 0)
    before = benchmark_of(table)
    after = benchmark_of(table | {"heidebeek": {"mailed": 200, **no_journey}})

    assert {column: after.rows["heidebeek"][column] for column in no_journey} == no_journey
    for code, row in before.rows.items():
        for column in no_journey:
            if row[column] is not None:
                assert after.rows[code][column] == row[column], (code, column)


def test_the_table_shows_a_rate_of_nobody_as_none_not_as_hidden():
    from rich.console import Console

    from patronflow.reports.tables import benchmark_table

    dormant = {"dormant_mailed": 40, "dormant_mailed_back": 12}
    dormant |= {"dormant_held_out": 20, "dormant_held_out_back": 10}
    none = dict.fromkeys(dormant, 0)
    plain = {"opened": 30, "clicked": 20, "unsubscribed": 10, "thumbs_up": 10, "thumbs_down": 10}
    table = {
        "gent": {"mailed": 300, **plain, **dormant},
        "brugge": {"mailed": 200, **plain, **dormant},
        "heidebeek": {"mailed": 100, **plain, **none},
    }
    console = Console(width=240, record=True)
    console.print(benchmark_table(benchmark_of(table)))
    [heidebeek] = [line for line in console.export_text().splitlines() if "heidebeek" in line]

    cells = [cell.strip() for cell in heidebeek.split("│")[1:-1]]
    assert cells[-2:] == ["–", "–"]  # its dormant rates: nobody to count, nothing hidden
    assert "·" not in cells
