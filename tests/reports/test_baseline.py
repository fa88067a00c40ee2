"""The baseline: loans and visits month by month since the launch, against the same months a
year before, read from the library's activity counts."""

import datetime as dt

import pytest

from patronflow.members.models import Loan
from patronflow.reports.baseline import add_months, baseline
from tests.factories import (
    EnrolmentFactory,
    JourneyFactory,
    LoanFactory,
    MemberFactory,
    MessageFactory,
    VisitFactory,
    at,
)


def loans(member, *days: dt.date) -> None:
    for day in days:
        LoanFactory(member=member, loaned_on=day)


def test_each_month_since_launch_stands_against_the_same_month_a_year_earlier(db):
    journey = JourneyFactory()
    EnrolmentFactory(journey=journey, entered_on=dt.date(2026, 4, 20))
    reader, other = MemberFactory(library=journey.library), MemberFactory(library=journey.library)
    loans(reader, dt.date(2025, 4, 3), dt.date(2025, 5, 9), dt.date(2025, 5, 30))
    loans(other, dt.date(2025, 5, 2), dt.date(2025, 6, 29))  # June: after the 15th
    loans(reader, dt.date(2026, 4, 1), dt.date(2026, 5, 5), dt.date(2026, 6, 10))
    loans(other, dt.date(2026, 6, 15))  # imported up to the report day

    months = baseline(journey.library, as_of=dt.date(2026, 6, 15))

    assert [(m.month, m.baseline_month) for m in months] == [
        (dt.date(2026, 4, 1), dt.date(2025, 4, 1)),
        (dt.date(2026, 5, 1), dt.date(2025, 5, 1)),
        (dt.date(2026, 6, 1), dt.date(2025, 6, 1)),
    ]
    assert [(m.loans, m.baseline_loans) for m in months] == [(1, 1), (1, 3), (2, 0)]
    assert months[1].baseline_borrowers == 2
    assert months[1].loans_change == pytest.approx(-2 / 3)
    assert months[2].partial_through == 15  # the current month, counted to the same day


def test_a_chosen_baseline_period_replaces_last_year(db):
    journey = JourneyFactory()
    member = MemberFactory(library=journey.library)
    loans(member, dt.date(2026, 1, 10), dt.date(2026, 1, 11))

    [march] = baseline(
        journey.library,
        as_of=dt.date(2026, 3, 31),
        since=dt.date(2026, 3, 1),
        baseline_from=dt.date(2026, 1, 1),
    )

    assert (march.baseline_month, march.baseline_loans) == (dt.date(2026, 1, 1), 2)


def test_no_baseline_before_a_journey_has_started(db):
    assert baseline(JourneyFactory().library, as_of=dt.date(2026, 6, 1)) == []


def test_months_roll_over_the_year():
    assert add_months(dt.date(2026, 11, 1), 3) == dt.date(2027, 2, 1)
    assert add_months(dt.date(2026, 1, 1), -12) == dt.date(2025, 1, 1)


def test_the_launch_is_the_first_mail_not_an_entry_dated_back(db):
    enrolment = EnrolmentFactory(entered_on=dt.date(2026, 2, 20))  # registered in February
    MessageFactory(enrolment=enrolment, sent_at=at(dt.date(2026, 3, 2)))

    months = baseline(enrolment.journey.library, as_of=dt.date(2026, 3, 31))

    assert [m.month for m in months] == [dt.date(2026, 3, 1)]


def test_a_month_after_the_last_imported_loan_has_no_figures_rather_than_a_collapse(db):
    enrolment = EnrolmentFactory(entered_on=dt.date(2026, 3, 2))
    MessageFactory(enrolment=enrolment, sent_at=at(dt.date(2026, 3, 2)))
    reader = MemberFactory(library=enrolment.journey.library)
    loans(reader, dt.date(2025, 3, 10), dt.date(2025, 4, 5), dt.date(2025, 4, 20))
    loans(reader, dt.date(2025, 5, 10), dt.date(2025, 6, 10))
    loans(reader, dt.date(2026, 3, 10), dt.date(2026, 4, 8))  # the last import: 8 April

    march, april, may, june = baseline(enrolment.journey.library, as_of=dt.date(2026, 6, 20))

    assert (march.loans, march.partial_through, march.no_loans_after) == (1, None, None)
    # April is counted up to the 8th on both sides: the loan of 20 April 2025 is left out.
    assert (april.loans, april.baseline_loans, april.partial_through) == (1, 1, 8)
    for month in (may, june):
        assert (month.loans, month.borrowers, month.loans_change) == (None, None, None)
        assert month.no_loans_after == dt.date(2026, 4, 8)
    assert may.baseline_loans == 1


def test_the_chart_draws_no_line_from_one_librarys_last_month_to_the_next_librarys_first():
    from patronflow.reports.baseline import MonthFigures
    from patronflow.reports.page import baseline_points

    def month(library: str, number: int, loans: int) -> MonthFigures:
        first = dt.date(2026, number, 1)
        return MonthFigures(library, first, loans, 40, add_months(first, -12), loans, 40)

    points = baseline_points(
        [month("gent", 4, 900), month("gent", 5, 910), month("brugge", 4, 120)],
        lambda library, label: f"{library} {label}",
    )

    assert [(point["label"], point["loans"]) for point in points] == [
        ("gent 2026-04", 900),
        ("gent 2026-05", 910),
        ("", None),  # a gap: Chart.js does not join a line across it
        ("brugge 2026-04", 120),
    ]


def test_a_period_with_an_end_stops_the_baseline_at_its_last_day(db):
    journey = JourneyFactory()
    member = MemberFactory(library=journey.library)
    loans(member, dt.date(2025, 4, 5), dt.date(2025, 4, 20))
    loans(
        member, dt.date(2026, 3, 3), dt.date(2026, 4, 2), dt.date(2026, 4, 18), dt.date(2026, 5, 6)
    )

    months = baseline(
        journey.library,
        as_of=dt.date(2026, 6, 15),
        since=dt.date(2026, 3, 1),
        until=dt.date(2026, 4, 10),
    )

    assert [m.month for m in months] == [dt.date(2026, 3, 1), dt.date(2026, 4, 1)]
    april = months[1]
    assert (april.loans, april.baseline_loans, april.partial_through) == (1, 1, 10)


def test_visits_and_visitors_stand_beside_loans_and_borrowers(db):
    journey = JourneyFactory()
    reader, visitor = MemberFactory(library=journey.library), MemberFactory(library=journey.library)
    VisitFactory(member=reader, visited_on=dt.date(2025, 5, 2))
    VisitFactory(member=reader, visited_on=dt.date(2025, 5, 2), channel="desk")
    VisitFactory(member=visitor, visited_on=dt.date(2025, 5, 20))
    VisitFactory(member=visitor, visited_on=dt.date(2026, 5, 3))
    loans(reader, dt.date(2026, 5, 3), dt.date(2026, 6, 2))  # May is complete

    [may] = baseline(
        journey.library, as_of=dt.date(2026, 6, 15), since=dt.date(2026, 5, 1),
        until=dt.date(2026, 5, 31),
    )  # fmt: skip

    # The reader at the gate and the desk on 2 May 2025 is one visit: 2 visits a year before.
    assert (may.visits, may.visitors, may.baseline_visits, may.baseline_visitors) == (1, 1, 2, 2)
    assert may.visits_change == pytest.approx(1 / 2 - 1)
    assert (may.loans, may.borrowers, may.baseline_loans, may.baseline_borrowers) == (1, 1, 0, 0)


def test_a_partial_month_counts_visits_to_the_same_day_and_shows_no_distinct_members(db):
    journey = JourneyFactory()
    member = MemberFactory(library=journey.library)
    VisitFactory(member=member, visited_on=dt.date(2025, 6, 3))
    VisitFactory(member=member, visited_on=dt.date(2025, 6, 25))  # after the 10th: left out
    loans(member, dt.date(2025, 6, 4), dt.date(2026, 6, 10))
    VisitFactory(member=member, visited_on=dt.date(2026, 6, 9))

    [june] = baseline(journey.library, as_of=dt.date(2026, 6, 20), since=dt.date(2026, 6, 1))

    assert june.partial_through == 10
    assert (june.loans, june.baseline_loans, june.visits, june.baseline_visits) == (1, 1, 1, 1)
    # Distinct members are counted per whole month: none shown where the month is cut short.
    assert (june.borrowers, june.baseline_borrowers, june.visitors, june.baseline_visitors) == (
        None, None, None, None,
    )  # fmt: skip


def test_a_library_that_imports_no_visits_shows_none_rather_than_zero(db):
    journey = JourneyFactory()
    loans(MemberFactory(library=journey.library), dt.date(2025, 3, 3), dt.date(2026, 4, 2))

    [march] = baseline(
        journey.library, as_of=dt.date(2026, 6, 1), since=dt.date(2026, 3, 1),
        until=dt.date(2026, 3, 31),
    )  # fmt: skip

    assert (march.baseline_loans, march.visits, march.baseline_visits) == (1, None, None)


def test_the_baseline_reads_the_counts_not_the_loans(db):
    journey = JourneyFactory()
    member = MemberFactory(library=journey.library)
    for month in range(1, 13):
        loans(member, dt.date(2025, month, 5), dt.date(2026, 1, month))
    Loan.objects.all().delete()  # the counts stay as the import left them

    months = baseline(journey.library, as_of=dt.date(2026, 12, 31), since=dt.date(2026, 1, 1))

    assert [m.baseline_loans for m in months] == [1] * 12
    assert months[0].loans == 12


def test_a_baseline_month_before_the_counts_are_complete_is_not_counted_yet(db):
    journey = JourneyFactory()
    library = journey.library
    reader = MemberFactory(library=library)
    VisitFactory(member=reader, visited_on=dt.date(2025, 6, 10))  # the first visit imported
    VisitFactory(member=reader, visited_on=dt.date(2026, 5, 3))
    loans(reader, dt.date(2025, 5, 20), dt.date(2026, 5, 3), dt.date(2026, 6, 2))
    library.loans_counted_from = dt.date(2025, 5, 2)  # a purge had cut 1 May 2025
    library.save()

    [may] = baseline(
        library, as_of=dt.date(2026, 6, 15), since=dt.date(2026, 5, 1), until=dt.date(2026, 5, 31)
    )

    assert (may.loans, may.visits) == (1, 1)
    assert (may.baseline_loans, may.baseline_borrowers, may.loans_change) == (None, None, None)
    assert (may.baseline_visits, may.baseline_visitors, may.visits_change) == (None, None, None)
    assert not may.baseline_loans_counted and not may.baseline_visits_counted
    library.loans_counted_from = dt.date(2025, 5, 1)
    library.save()
    [whole] = baseline(
        library, as_of=dt.date(2026, 6, 15), since=dt.date(2026, 5, 1), until=dt.date(2026, 5, 31)
    )
    assert (whole.baseline_loans, whole.loans_change, whole.baseline_loans_counted) == (1, 0, True)
