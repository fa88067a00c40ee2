"""Loans older than the library's loan history go, leaving only what the reading profiles, the
dormant audience and the reports within the history need: nothing they compute changes."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from patronflow.journeys.audiences import audience
from patronflow.members.models import Item, Loan, Member
from patronflow.operations.imports import import_rows
from patronflow.operations.purge import LOAN_HISTORY, purge
from patronflow.privacy.gate import SKIPPED_OLD
from patronflow.privacy.models import RetentionPolicy
from patronflow.profiles.admin import RetentionPolicyForm
from patronflow.profiles.models import ClassificationPolicy
from patronflow.profiles.queries import window_start
from patronflow.profiles.services import rebuild_profiles, refresh_after_import
from patronflow.reports.baseline import baseline
from tests.factories import TODAY, ItemFactory, LoanFactory, MemberFactory
from tests.profiles.snapshots import stored_profiles

HISTORY_START = dt.date(2023, 6, 1)  # 36 months before TODAY (2026-06-01)


def months_ago(months: int, days: int = 0) -> dt.date:
    return window_start(TODAY, months) - dt.timedelta(days=days)


def profiles_after(library, compute) -> dict[int, tuple]:
    """The profiles `compute` would leave, without keeping them."""
    with transaction.atomic():
        compute()
        result = stored_profiles(library)
        transaction.set_rollback(True)
    return result


def readers_over_four_years(library, count: int = 6) -> list[Member]:
    """Members whose loans are spread over the last 50 months, of every kind."""
    readers = []
    for n in range(count):
        reader = MemberFactory(library=library)
        for month in range(0, 50, 1 + n % 3):
            LoanFactory(
                member=reader,
                loaned_on=months_ago(month, days=n),
                item__is_fiction=month % 2 == 0,
                item__material=Item.Material.EBOOK if month % 5 == 0 else Item.Material.BOOK,
            )
        readers.append(reader)
    return readers


def test_loans_just_inside_the_loan_history_stay_and_those_just_outside_go(library):
    assert window_start(TODAY, 36) == HISTORY_START
    reader = MemberFactory(library=library)
    inside = LoanFactory(member=reader, loaned_on=HISTORY_START)
    outside = LoanFactory(member=reader, loaned_on=HISTORY_START - dt.timedelta(days=1))

    summary = purge(TODAY, operator="cron")

    assert list(Loan.objects.filter(member=reader)) == [inside]
    assert summary.rows(library.code)[LOAN_HISTORY] == 1
    reader.refresh_from_db()
    assert reader.loans_removed_through == outside.loaned_on


def test_the_dry_run_counts_the_old_loans_and_removes_none(library):
    reader = MemberFactory(library=library)
    LoanFactory.create_batch(3, member=reader, loaned_on=HISTORY_START - dt.timedelta(days=1))

    summary = purge(TODAY, operator="cron", dry_run=True)

    assert summary.rows(library.code)[LOAN_HISTORY] == 3
    assert Loan.objects.filter(member=reader).count() == 3


def test_a_library_can_keep_a_longer_loan_history(library):
    RetentionPolicy.objects.create(library=library, loan_history_months=48)
    old = LoanFactory(member=MemberFactory(library=library), loaned_on=months_ago(47))

    purge(TODAY, operator="cron")

    assert Loan.objects.filter(pk=old.pk).exists()


@pytest.mark.parametrize("window, history", [(36, 36), (24, 24), (12, 30)])
def test_profiles_are_the_same_after_the_purge_and_after_the_next_refresh_and_rebuild(
    library, window, history
):
    ClassificationPolicy.objects.create(library=library, window_months=window)
    RetentionPolicy.objects.create(library=library, loan_history_months=history)
    readers_over_four_years(library)
    counted_on = TODAY - dt.timedelta(days=45)  # the profiles' reference date, before the purge
    rebuild_profiles(library, counted_on)
    later = TODAY + dt.timedelta(days=40)
    stored = stored_profiles(library)
    refreshed = profiles_after(library, lambda: refresh_after_import(library, [], later))
    rebuilt = profiles_after(library, lambda: rebuild_profiles(library, later))
    loans = Loan.objects.filter(library=library).count()

    purge(TODAY, operator="cron")

    assert Loan.objects.filter(library=library).count() < loans
    assert stored_profiles(library) == stored
    assert profiles_after(library, lambda: refresh_after_import(library, [], later)) == refreshed
    assert profiles_after(library, lambda: rebuild_profiles(library, later)) == rebuilt


def test_loans_a_later_refresh_still_subtracts_are_kept(library):
    """Profiles counted as of an earlier day still count loans the window has since left:
    the next refresh subtracts them, so they must still be there."""
    reader = MemberFactory(library=library)
    counted_on = TODAY - dt.timedelta(days=60)
    leaving = LoanFactory(member=reader, loaned_on=window_start(counted_on, 36))
    rebuild_profiles(library, counted_on)

    purge(TODAY, operator="cron")

    assert Loan.objects.filter(pk=leaving.pk).exists()


def test_a_loan_history_shorter_than_the_profile_window_is_refused(library):
    shorter = RetentionPolicyForm(
        data={"library": library.pk, "ex_member_days": 730, "audit_days": 1827}
        | {"loan_history_months": 24}
    )
    assert shorter.errors["loan_history_months"] == [
        "The loan history must cover the reading profile's window of 36 months: "
        "24 months is shorter."
    ]
    RetentionPolicy.objects.create(library=library, loan_history_months=36)
    with pytest.raises(ValidationError, match="keeps 36 months of loan history"):
        ClassificationPolicy(library=library, window_months=48).full_clean()


def test_a_policy_saved_without_validation_still_never_removes_a_counted_loan(library):
    RetentionPolicy.objects.create(library=library, loan_history_months=6)
    counted = LoanFactory(member=MemberFactory(library=library), loaned_on=months_ago(30))

    purge(TODAY, operator="cron")

    assert Loan.objects.filter(pk=counted.pk).exists()


@pytest.mark.parametrize(
    "conditions",
    [
        {"inactive_for_days": 365},
        {"inactive_for_days": 1200},  # further back than the loan history
        {"active_within_days": 1200},
    ],
)
def test_the_dormant_audience_is_the_same_after_old_loans_are_removed(library, conditions):
    for months in (12, 37, 39, 41, 60):
        LoanFactory(
            member=MemberFactory(library=library, last_activity_on=None),
            loaned_on=months_ago(months),
        )
    MemberFactory(library=library, last_activity_on=None)  # never borrowed
    before = set(audience(library, conditions, TODAY).values_list("pk", flat=True))

    purge(TODAY, operator="cron")

    assert set(audience(library, conditions, TODAY).values_list("pk", flat=True)) == before


def test_an_import_skips_loans_older_than_the_loan_history_and_keeps_their_day(library):
    reader = MemberFactory(library=library, external_id="M1")
    ItemFactory(library=library, external_id="I1")
    rows = [
        {"loan_id": "L1", "member_id": "M1", "item_id": "I1", "loaned_on": "2023-06-01"},
        {"loan_id": "L2", "member_id": "M1", "item_id": "I1", "loaned_on": "2023-05-31"},
        {"loan_id": "L3", "member_id": "M1", "item_id": "I1", "loaned_on": "2021-01-04"},
    ]

    summary = import_rows(library, "loans", rows, source="loans.csv", today=TODAY)

    assert (summary.rows, summary.inserted, summary.rejected) == (3, 1, 0)
    assert summary.skipped_because == {SKIPPED_OLD: 2}
    assert list(Loan.objects.values_list("external_id", flat=True)) == ["L1"]
    reader.refresh_from_db()
    assert reader.loans_removed_through == dt.date(2023, 5, 31)


def test_the_baseline_within_the_loan_history_is_the_same_after_the_purge(library):
    for months in range(0, 48, 2):
        LoanFactory.create_batch(
            2, member=MemberFactory(library=library), loaned_on=months_ago(months, days=3)
        )
    since = months_ago(12)  # measured: the last year; baseline: the year before
    before = baseline(library, as_of=TODAY, since=since)

    purge(TODAY, operator="cron")

    assert baseline(library, as_of=TODAY, since=since) == before
    assert any(row.baseline_loans for row in before)
