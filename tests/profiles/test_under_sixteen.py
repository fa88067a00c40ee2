"""Members under 16 (or of unknown age) get no reading profile: nothing is done with their
data beyond the import. On their 16th birthday the next refresh counts them."""

import datetime as dt

import pytest

from patronflow.profiles.models import ReadingProfile, Segment
from patronflow.profiles.refresh import stale_member_ids
from patronflow.profiles.services import rebuild_profiles, refresh_after_import, refresh_profiles
from tests.factories import TODAY, LibraryFactory, LoanFactory, MemberFactory

pytestmark = pytest.mark.django_db

SIXTEENTH_BIRTHDAY = TODAY + dt.timedelta(days=3)
TURNS_SIXTEEN_SOON = SIXTEENTH_BIRTHDAY.replace(year=SIXTEENTH_BIRTHDAY.year - 16)


def reader(library, birth_date):
    member = MemberFactory(library=library, birth_date=birth_date)
    LoanFactory.create_batch(3, member=member, item__is_fiction=True)
    return member


def has_profile(member) -> bool:
    return ReadingProfile.objects.filter(member=member).exists()


def test_a_rebuild_counts_no_member_under_16_or_of_unknown_age():
    library = LibraryFactory()
    adult = reader(library, dt.date(1990, 1, 1))
    child = reader(library, dt.date(2015, 1, 1))
    unknown = reader(library, None)
    sixteen_today = reader(library, TODAY.replace(year=TODAY.year - 16))

    rebuild_profiles(library, TODAY)

    assert has_profile(adult) and has_profile(sixteen_today)
    assert not has_profile(child) and not has_profile(unknown)


def test_a_profile_made_before_is_removed_while_the_member_is_under_16():
    library = LibraryFactory()
    child = reader(library, dt.date(2015, 1, 1))
    ReadingProfile.objects.create(member=child, segment=Segment.FICTION_PHYSICAL)
    adult = reader(library, dt.date(1990, 1, 1))
    rebuild_profiles(library, TODAY - dt.timedelta(days=1))
    ReadingProfile.objects.create(member=child, segment=Segment.FICTION_PHYSICAL)

    refresh_after_import(library, [], TODAY)  # by difference

    assert not has_profile(child)
    assert has_profile(adult)


def test_a_member_gets_a_profile_at_the_first_refresh_on_or_after_their_16th_birthday():
    library = LibraryFactory()
    teenager = reader(library, TURNS_SIXTEEN_SOON)
    rebuild_profiles(library, TODAY)
    assert not has_profile(teenager)

    refresh_after_import(library, [], SIXTEENTH_BIRTHDAY - dt.timedelta(days=1))
    assert not has_profile(teenager)

    refresh_after_import(library, [], SIXTEENTH_BIRTHDAY)
    profile = ReadingProfile.objects.get(member=teenager)
    assert (profile.fiction_loans, profile.segment) == (3, Segment.FICTION_PHYSICAL)


def test_new_loans_of_a_member_under_16_make_no_profile():
    library = LibraryFactory()
    child = MemberFactory(library=library, birth_date=dt.date(2015, 1, 1))
    rebuild_profiles(library, TODAY)
    LoanFactory(member=child, loaned_on=TODAY)

    refresh_after_import(library, [child.pk], TODAY)

    assert not has_profile(child)


def test_a_journeys_recount_of_a_member_under_16_stores_nothing_and_reads_as_unknown():
    child = reader(LibraryFactory(), dt.date(2015, 1, 1))

    assert refresh_profiles([child.pk], TODAY) == {child.pk: Segment.UNKNOWN}
    assert not has_profile(child)


def test_the_stale_profiles_include_a_member_who_came_of_age_since_the_last_refresh():
    library = LibraryFactory()
    teenager = reader(library, TURNS_SIXTEEN_SOON)
    rebuild_profiles(library, TODAY)

    assert teenager.pk not in stale_member_ids(library, TODAY + dt.timedelta(days=1))
    assert teenager.pk in stale_member_ids(library, SIXTEENTH_BIRTHDAY)
