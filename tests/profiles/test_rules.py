import pytest

from patronflow.members.models import Item
from patronflow.profiles import rules
from patronflow.profiles.models import ReadingProfile, Segment
from patronflow.profiles.services import refresh_profiles
from tests.factories import LibraryFactory, LoanFactory, MemberFactory


@pytest.mark.parametrize(
    ("is_fiction", "nur", "siso", "genre", "expected"),
    [
        (False, "301", "", "roman", False),  # the library's own flag wins
        (None, "305", "", "", True),  # NUR 3xx: fiction
        (None, "440", "", "", False),  # NUR 4xx and up: non-fiction
        (None, "284", "", "", True),  # youth fiction
        (None, "320", "", "roman", False),  # literary non-fiction (essays, biographies)
        (None, "", "947.1", "", False),  # a SISO number: non-fiction
        (None, "", "", "Thriller", True),
        (None, "", "", "kookboek", False),
        (None, "", "", "", None),  # nothing to go on
        (None, "abc", "R", "onbekend", None),
    ],
)
def test_fiction_comes_from_flag_then_nur_then_siso_then_genre(
    is_fiction, nur, siso, genre, expected
):
    assert rules.item_is_fiction(is_fiction, nur, siso, genre) is expected


def test_only_ebooks_and_eaudiobooks_count_as_digital():
    assert rules.item_is_digital(Item.Material.EBOOK)
    assert rules.item_is_digital(Item.Material.EAUDIOBOOK)
    assert not rules.item_is_digital(Item.Material.AUDIOBOOK)
    assert not rules.item_is_digital(Item.Material.BOOK)


def test_fewer_than_three_classified_loans_gives_no_profile():
    assert rules.segment_for(2, 0, 2, 0) == Segment.UNKNOWN
    assert rules.segment_for(2, 1, 0, 3) == Segment.FICTION_PHYSICAL


@pytest.mark.django_db
def test_profile_follows_what_the_member_mainly_borrows():
    library = LibraryFactory()
    reader = MemberFactory(library=library)
    for _ in range(4):
        LoanFactory(member=reader, item__material=Item.Material.EBOOK, item__is_fiction=True)
    LoanFactory(member=reader, item__material=Item.Material.BOOK, item__is_fiction=False)
    LoanFactory(
        member=reader, item__is_fiction=None, item__nur="", item__genre=""
    )  # unclassifiable
    newcomer = MemberFactory(library=library)
    LoanFactory(member=newcomer)

    segments = refresh_profiles([reader.pk, newcomer.pk])

    assert segments == {reader.pk: Segment.FICTION_DIGITAL, newcomer.pk: Segment.UNKNOWN}
    profile = ReadingProfile.objects.get(member=reader)
    assert profile.loans_counted == 5
    assert profile.fiction_share == pytest.approx(0.8)
    assert profile.digital_share == pytest.approx(0.8)
