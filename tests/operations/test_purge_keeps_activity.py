"""The purge and erasures remove rows, not history: the baseline and the activity counts read
the same after them, for loans older than the loan history and for ex-members' loans and
visits alike."""

import datetime as dt

from patronflow.members.activity import MonthActivity, monthly_activity
from patronflow.members.models import ActivityDay, ActivityMonth, Loan, Visit
from patronflow.operations.erasure import erase_member
from patronflow.operations.purge import LOAN_HISTORY, VISIT_HISTORY, purge
from patronflow.reports.baseline import baseline
from tests.factories import TODAY, LoanFactory, MemberFactory, VisitFactory

# TODAY is 2026-06-01; the default loan history of 36 months starts on 2023-06-01.
OLD_MONTH = dt.date(2023, 4, 1)
MEASURED = dt.date(2024, 4, 1)  # its baseline month is April 2023, before the history


def test_loans_older_than_the_history_stay_in_the_baseline_after_the_purge(library):
    reader, visitor = MemberFactory(library=library), MemberFactory(library=library)
    LoanFactory(member=reader, loaned_on=dt.date(2023, 4, 3))
    LoanFactory(member=reader, loaned_on=dt.date(2023, 4, 20))
    LoanFactory(member=visitor, loaned_on=dt.date(2023, 4, 20))
    VisitFactory(member=visitor, visited_on=dt.date(2023, 4, 20))
    LoanFactory(member=reader, loaned_on=dt.date(2024, 4, 9))
    LoanFactory(member=reader, loaned_on=dt.date(2024, 5, 2))  # the loan data runs past April
    VisitFactory(member=reader, visited_on=dt.date(2024, 5, 2))
    before = baseline(library, as_of=TODAY, since=MEASURED, until=dt.date(2024, 4, 30))

    summary = purge(TODAY, operator="cron")

    assert summary.rows(library.code)[LOAN_HISTORY] == 3
    assert summary.rows(library.code)[VISIT_HISTORY] == 1
    assert not Loan.objects.filter(loaned_on__lt=dt.date(2023, 6, 1)).exists()
    [april] = baseline(library, as_of=TODAY, since=MEASURED, until=dt.date(2024, 4, 30))
    assert [april] == before
    assert (april.loans, april.baseline_loans, april.baseline_borrowers) == (1, 3, 2)
    assert (april.visits, april.baseline_visits, april.baseline_visitors) == (0, 1, 1)


def test_an_erased_members_loans_and_visits_stay_counted_without_the_member(library):
    leaving, staying = MemberFactory(library=library), MemberFactory(library=library)
    for day in (dt.date(2026, 3, 4), dt.date(2026, 3, 5)):
        LoanFactory(member=leaving, loaned_on=day)
        VisitFactory(member=leaving, visited_on=day)
    LoanFactory(member=staying, loaned_on=dt.date(2026, 3, 5))
    march = dt.date(2026, 3, 1)
    counted = monthly_activity(libraries=[library.pk], first=march, last=march)

    erase_member(leaving, operator="dpo")

    assert not Visit.objects.exists()
    assert monthly_activity(libraries=[library.pk], first=march, last=march) == counted
    assert counted[(library.pk, march)] == MonthActivity(
        loans=3, borrowers=2, visits=2, visitors=1, active=2
    )
    # What stays holds counts only: a day and a month of the library, no member.
    day = ActivityDay.objects.get(library=library, day=dt.date(2026, 3, 5))
    assert (day.loans, day.kept_loans, day.visits, day.kept_visits) == (1, 1, 0, 1)
    month = ActivityMonth.objects.get(library=library, month=march)
    assert (month.borrowers, month.kept_borrowers, month.kept_visitors) == (1, 1, 1)


def test_ex_members_past_their_retention_stay_in_the_baseline_after_the_purge(library):
    gone = MemberFactory(library=library, membership_ends_on=dt.date(2024, 1, 31))
    staying = MemberFactory(library=library)
    LoanFactory(member=gone, loaned_on=dt.date(2023, 10, 10))
    LoanFactory(member=staying, loaned_on=dt.date(2023, 10, 11))
    LoanFactory(member=staying, loaned_on=dt.date(2024, 10, 11))
    LoanFactory(member=staying, loaned_on=dt.date(2024, 11, 5))  # October is complete
    october = dt.date(2024, 10, 1)
    before = baseline(library, as_of=TODAY, since=october, until=dt.date(2024, 10, 31))

    summary = purge(TODAY, operator="cron")

    assert summary.rows(library.code)["members.member"] == 1
    after = baseline(library, as_of=TODAY, since=october, until=dt.date(2024, 10, 31))
    assert after == before
    assert (after[0].baseline_loans, after[0].baseline_borrowers) == (2, 2)


def test_a_purge_that_removes_nothing_changes_no_count(library):
    LoanFactory(member=MemberFactory(library=library), loaned_on=dt.date(2025, 10, 10))
    counts = list(ActivityDay.objects.values_list("day", "loans", "kept_loans"))

    purge(TODAY, operator="cron")
    purge(TODAY, operator="cron")

    assert list(ActivityDay.objects.values_list("day", "loans", "kept_loans")) == counts
