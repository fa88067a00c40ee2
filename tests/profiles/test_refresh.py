"""Profiles keep their counts over the library's window; a delta refresh and a full rebuild
agree; each library classifies by its own policy."""

import datetime as dt

import pytest
from django.db import connection
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patronflow.members.models import Item, Loan
from patronflow.profiles import rules
from patronflow.profiles.models import ClassificationPolicy, ReadingProfile, Segment
from patronflow.profiles.queries import popular_titles, stale_member_ids, window_start
from patronflow.profiles.services import (
    rebuild_profiles,
    refresh_after_import,
    refresh_profiles,
)
from tests.factories import TODAY, ItemFactory, LibraryFactory, LoanFactory, MemberFactory

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


def test_reading_tips_follow_the_librarys_classifier():
    library = LibraryFactory()
    ClassificationPolicy.objects.create(library=library, source_order=["genre"])
    novel = ItemFactory(library=library, title="Het Smelt", is_fiction=False, genre="Romans")
    LoanFactory(member=MemberFactory(library=library), item=novel)

    tips = popular_titles(library, Segment.FICTION_PHYSICAL, TODAY)

    assert [tip.title for tip in tips] == ["Het Smelt"]


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


@given(
    window_months=st.integers(1, 4),
    before=_loans(40),
    after=_loans(6),
    days_later=st.integers(0, 45),
)
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_a_delta_refresh_after_new_loans_gives_exactly_the_full_rebuilds_profiles(
    window_months, before, after, days_later
):
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

    lend(before, TODAY)
    rebuild_profiles(library, TODAY)
    later = TODAY + dt.timedelta(days=days_later)
    imported = lend(after, later)

    refresh_after_import(library, imported, later)
    delta = _snapshot(library)
    rebuild_profiles(library, later)

    assert delta == _snapshot(library)


def _snapshot(library) -> dict:
    return {
        row["member_id"]: row
        for row in ReadingProfile.objects.filter(member__library=library).values(
            "member_id",
            "segment",
            "fiction_loans",
            "nonfiction_loans",
            "digital_loans",
            "physical_loans",
            "oldest_counted_on",
        )
    }


def test_a_policy_naming_an_unknown_source_is_refused_in_the_admin(admin_client):
    library = LibraryFactory()
    page = admin_client.post(
        reverse("admin:profiles_classificationpolicy_add"),
        {"library": library.pk, "source_order": '["dewey", "nur"]', "window_months": 36},
    )

    assert page.status_code == 200
    assert "unknown classification sources" in page.content.decode()
    assert not ClassificationPolicy.objects.exists()
