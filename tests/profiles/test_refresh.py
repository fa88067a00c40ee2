"""Profiles keep their counts over the library's window; a delta refresh and a full rebuild
agree; each library classifies by its own policy."""

import datetime as dt

import pytest
from django.db import connection, transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patronflow.members.models import Item, Loan
from patronflow.operations.imports import import_rows
from patronflow.profiles import rules
from patronflow.profiles.models import ClassificationPolicy, ReadingProfile, Segment
from patronflow.profiles.queries import window_start
from patronflow.profiles.refresh import stale_member_ids
from patronflow.profiles.services import (
    rebuild_profiles,
    reclassify_items,
    refresh_after_import,
    refresh_profiles,
)
from tests.factories import TODAY, ItemFactory, LibraryFactory, LoanFactory, MemberFactory
from tests.profiles.snapshots import stored_profiles

pytestmark = pytest.mark.django_db


def _counts(member) -> tuple[int, int, int, int]:
    profile = ReadingProfile.objects.get(member=member)
    return (
        profile.fiction_loans,
        profile.nonfiction_loans,
        profile.digital_loans,
        profile.physical_loans,
    )


def test_a_profile_keeps_its_counts_as_of_the_reference_date():
    reader = MemberFactory()
    for _ in range(3):
        LoanFactory(member=reader, item__material=Item.Material.EBOOK, item__is_fiction=True)
    LoanFactory(member=reader, item__is_fiction=False)
    LoanFactory(member=reader, item__is_fiction=None)  # unclassifiable: not counted
    LoanFactory(member=reader, item__is_fiction=True, loaned_on=TODAY + dt.timedelta(days=1))

    assert refresh_profiles([reader.pk], today=TODAY) == {reader.pk: Segment.FICTION_DIGITAL}
    profile = ReadingProfile.objects.get(member=reader)
    assert _counts(reader) == (3, 1, 3, 1)
    assert profile.as_of == TODAY
    assert profile.oldest_counted_on == TODAY - dt.timedelta(days=30)


def test_each_library_classifies_by_its_own_source_order():
    by_flag, by_genre = LibraryFactory(), LibraryFactory()
    ClassificationPolicy.objects.create(library=by_genre, source_order=["genre", "library"])
    readers = []
    for library in (by_flag, by_genre):
        reader = MemberFactory(library=library)
        for _ in range(3):  # flagged non-fiction, labelled a novel
            LoanFactory(member=reader, item__is_fiction=False, item__genre="Romans")
        readers.append(reader)

    segments = refresh_profiles([reader.pk for reader in readers], today=TODAY)

    assert segments == {
        readers[0].pk: Segment.NONFICTION_PHYSICAL,
        readers[1].pk: Segment.FICTION_PHYSICAL,
    }


def test_the_window_reaches_back_whole_calendar_months():
    assert window_start(dt.date(2026, 6, 1), 36) == dt.date(2023, 6, 1)
    assert window_start(dt.date(2026, 3, 31), 1) == dt.date(2026, 2, 28)
    assert window_start(dt.date(2026, 1, 15), 13) == dt.date(2024, 12, 15)


def test_loans_that_leave_the_window_make_the_profile_stale_and_the_daily_refresh_drops_them():
    library = LibraryFactory()
    ClassificationPolicy.objects.create(library=library, window_months=12)
    ageing = MemberFactory(library=library)
    for days_ago in (364, 365, 100):
        LoanFactory(member=ageing, loaned_on=TODAY - dt.timedelta(days=days_ago))
    steady = MemberFactory(library=library)
    for _ in range(3):
        LoanFactory(member=steady, loaned_on=TODAY - dt.timedelta(days=10))
    rebuild_profiles(library, TODAY)
    assert _counts(ageing) == (3, 0, 0, 3)

    next_day = TODAY + dt.timedelta(days=1)
    assert stale_member_ids(library, next_day) == {ageing.pk}
    assert refresh_after_import(library, [], next_day) == 1

    assert _counts(ageing) == (2, 0, 0, 2)
    assert ReadingProfile.objects.get(member=ageing).segment == Segment.UNKNOWN
    assert ReadingProfile.objects.get(member=steady).as_of == TODAY
    assert ClassificationPolicy.objects.get(library=library).profiles_as_of == next_day


def test_loans_dated_after_the_last_refresh_are_picked_up_without_being_named():
    library = LibraryFactory()
    member = MemberFactory(library=library)
    rebuild_profiles(library, TODAY)
    for _ in range(3):
        LoanFactory(member=member, loaned_on=TODAY + dt.timedelta(days=1))

    refresh_after_import(library, [], TODAY + dt.timedelta(days=1))

    assert _counts(member) == (3, 0, 0, 3)


def test_a_full_rebuild_writes_every_member_and_reports_progress():
    library = LibraryFactory()
    members = [MemberFactory(library=library) for _ in range(3)]
    LoanFactory(member=members[0])
    reported = []

    assert rebuild_profiles(library, TODAY, lambda done, total: reported.append((done, total))) == 3

    assert ReadingProfile.objects.filter(member__library=library).count() == 3
    assert reported[-1] == (3, 3)


@given(counts=st.tuples(*[st.integers(0, 6)] * 4))
@settings(max_examples=60, deadline=None)
def test_the_sql_segment_rule_is_the_python_one(counts):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {rules.segment_sql(*(str(count) for count in counts))}")
        assert cursor.fetchone()[0] == rules.segment_for(*counts)


ITEM_KINDS = [
    {"is_fiction": True, "material": Item.Material.BOOK},
    {"is_fiction": True, "material": Item.Material.EBOOK},
    {"is_fiction": False, "material": Item.Material.BOOK},
    {"is_fiction": None, "nur": "680", "material": Item.Material.EAUDIOBOOK},
    {"is_fiction": None, "genre": "Luisterboeken", "material": Item.Material.AUDIOBOOK},
]
MEMBERS = 8


def _loans(max_size: int):
    """(member, item, days from the day of the import) of each loan."""
    loan = st.tuples(
        st.integers(0, MEMBERS - 1), st.integers(0, len(ITEM_KINDS) - 1), st.integers(-150, 40)
    )
    return st.lists(loan, max_size=max_size)


def _changes(max_size: int):
    """(which existing loan, member, item, days from the day of the import) of each loan an
    import changes in place."""
    change = st.tuples(
        st.integers(0, 100),
        st.integers(0, MEMBERS - 1),
        st.integers(0, len(ITEM_KINDS) - 1),
        st.integers(-150, 40),
    )
    return st.lists(change, max_size=max_size)


def _stocked_library(window_months: int):
    """A library with a window, MEMBERS members and one item of each of ITEM_KINDS, and
    `lend(history, around)`: saves (member, item, days from `around`) loans, returns the
    borrowers' keys."""
    library = LibraryFactory()
    ClassificationPolicy.objects.create(library=library, window_months=window_months)
    members = [MemberFactory(library=library) for _ in range(MEMBERS)]
    items = [ItemFactory(library=library, **kind) for kind in ITEM_KINDS]
    counter = iter(range(10**6))

    def lend(history, around: dt.date) -> set[int]:
        Loan.objects.bulk_create(
            Loan(
                library=library,
                external_id=f"L{next(counter)}",
                member=members[member],
                item=items[item],
                loaned_on=around + dt.timedelta(days=offset),
            )
            for member, item, offset in history
        )
        return {members[member].pk for member, _, _ in history}

    return library, members, items, lend


def _change(library, members, items, changes, day: dt.date) -> None:
    """Import `changes` (see _changes) as a loans file would: same loan ids, new values."""
    loans = Loan.objects.filter(library=library).order_by("pk")
    ids = list(loans.values_list("external_id", flat=True))
    rows = [
        {
            "loan_id": ids[loan % len(ids)],
            "member_id": members[member].external_id,
            "item_id": items[item].external_id,
            "loaned_on": (day + dt.timedelta(days=offset)).isoformat(),
        }
        for loan, member, item, offset in changes
        if ids
    ]
    import_rows(library, "loans", rows, "changes", today=day)


@given(
    window_months=st.integers(1, 4),
    before=_loans(40),
    after=_loans(6),
    changed=_changes(3),
    days_later=st.integers(0, 45),
)
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_a_delta_refresh_after_new_and_changed_loans_gives_exactly_the_full_rebuilds_profiles(
    window_months, before, after, changed, days_later
):
    library, members, items, lend = _stocked_library(window_months)

    lend(before, TODAY)
    rebuild_profiles(library, TODAY)
    later = TODAY + dt.timedelta(days=days_later)
    imported = lend(after, later)
    _change(library, members, items, changed, later)

    refresh_after_import(library, imported, later)
    delta = stored_profiles(library)
    rebuild_profiles(library, later)

    assert delta == stored_profiles(library)


def test_a_policy_naming_an_unknown_source_is_refused_in_the_admin(admin_client):
    library = LibraryFactory()
    page = admin_client.post(
        reverse("admin:profiles_classificationpolicy_add"),
        {"library": library.pk, "source_order": '["dewey", "nur"]', "window_months": 36},
    )

    assert page.status_code == 200
    assert "unknown classification sources" in page.content.decode()
    assert not ClassificationPolicy.objects.exists()


STEP = st.fixed_dictionaries(
    {
        "days": st.integers(0, 20) | st.just(100),  # 100: past the whole window
        # (member, item, days from that day's date): new loans, some dated back in the window
        "loans": _loans(4),
        # members a journey recounts as of that day, outside the library's refresh
        "journey": st.lists(st.integers(0, MEMBERS - 1), max_size=2),
        # loans an import changes in place (another member, item or date)
        "changed": _changes(2),
        # an item whose fiction flag the catalogue corrects before the refresh
        "corrected": st.none() | st.integers(0, len(ITEM_KINDS) - 1),
    }
)


@given(window_months=st.integers(1, 3), before=_loans(30), steps=st.lists(STEP, max_size=5))
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_day_after_day_the_refresh_by_difference_stays_equal_to_a_rebuild(
    window_months, before, steps
):
    """Loans leave the window and come in between refreshes (subtracted and added, never
    recounted), imports change loans in place, journeys recount members in between, items
    are reclassified: after every daily refresh the profiles are exactly those a full
    rebuild of that day writes."""
    library, members, items, lend = _stocked_library(window_months)

    lend(before, TODAY)
    rebuild_profiles(library, TODAY)
    day = TODAY
    for step in steps:
        day += dt.timedelta(days=step["days"])
        if step["corrected"] is not None:
            item = items[step["corrected"]]
            item.is_fiction = not item.is_fiction if item.is_fiction is not None else True
            item.save()
            reclassify_items(library, day)
        imported = lend(step["loans"], day)
        _change(library, members, items, step["changed"], day)
        # A journey counts the new loans before the refresh does: they must not count twice.
        refresh_profiles([members[n].pk for n in step["journey"]], day)

        refresh_after_import(library, imported, day)

        delta = stored_profiles(library)
        with transaction.atomic():
            rebuild_profiles(library, day)
            assert delta == stored_profiles(library)
            transaction.set_rollback(True)


def test_the_daily_refresh_subtracts_the_loans_that_left_the_window():
    library = LibraryFactory()
    ClassificationPolicy.objects.create(library=library, window_months=1)
    reader = MemberFactory(library=library)
    unknown = ItemFactory(library=library, is_fiction=None)
    for days_ago, item in [(31, None), (30, None), (29, unknown), (20, None), (10, None)]:
        LoanFactory(
            member=reader,
            loaned_on=TODAY - dt.timedelta(days=days_ago),
            **({"item": item} if item else {}),
        )
    rebuild_profiles(library, TODAY)  # window from 1 May: the loan of 1 May counts
    assert _counts(reader) == (4, 0, 0, 4)

    next_day = TODAY + dt.timedelta(days=1)
    assert refresh_after_import(library, [], next_day) == 1

    profile = ReadingProfile.objects.get(member=reader)
    assert _counts(reader) == (3, 0, 0, 3)
    # The next counted loan is 20 days old: the unclassified one in between does not count.
    assert profile.oldest_counted_on == TODAY - dt.timedelta(days=30)
    assert profile.as_of == next_day
    assert refresh_after_import(library, [], next_day + dt.timedelta(days=1)) == 1
    assert ReadingProfile.objects.get(member=reader).oldest_counted_on == TODAY - dt.timedelta(
        days=20
    )


def test_a_journeys_recount_is_redone_by_the_next_refresh():
    library = LibraryFactory()
    reader = MemberFactory(library=library)
    rebuild_profiles(library, TODAY)
    later = TODAY + dt.timedelta(days=5)
    LoanFactory(member=reader, loaned_on=later)

    refresh_profiles([reader.pk], later)  # counts as of a later day than the library's
    assert ReadingProfile.objects.get(member=reader).outside_refresh
    refresh_after_import(library, [reader.pk], TODAY + dt.timedelta(days=1))

    profile = ReadingProfile.objects.get(member=reader)
    assert not profile.outside_refresh
    assert _counts(reader) == (0, 0, 0, 0)  # as of the library's day, the loan is ahead


def test_a_changed_window_makes_the_next_refresh_a_rebuild():
    library = LibraryFactory()
    policy = ClassificationPolicy.objects.create(library=library, window_months=12)
    reader = MemberFactory(library=library)
    LoanFactory(member=reader, loaned_on=TODAY - dt.timedelta(days=100))
    rebuild_profiles(library, TODAY)
    policy.window_months = 2
    policy.save()

    refresh_after_import(library, [], TODAY)

    assert _counts(reader) == (0, 0, 0, 0)
    assert ClassificationPolicy.objects.get(library=library).profiles_window_months == 2
