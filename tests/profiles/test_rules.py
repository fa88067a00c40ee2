import datetime as dt

import pytest

from patronflow.members.models import Item
from patronflow.profiles import rules
from patronflow.profiles.models import ReadingProfile, Segment
from patronflow.profiles.queries import popular_titles
from patronflow.profiles.services import refresh_profiles
from tests.factories import TODAY, ItemFactory, LibraryFactory, LoanFactory, MemberFactory


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


@pytest.mark.django_db
def test_reading_tips_are_the_most_borrowed_recent_titles_of_the_segments_kind():
    library = LibraryFactory()
    thriller_ebook = ItemFactory(
        library=library, material=Item.Material.EBOOK, title="De e-thriller"
    )
    cookbook = ItemFactory(library=library, is_fiction=False, title="Het kookboek")
    for _ in range(3):
        member = MemberFactory(library=library)
        LoanFactory(member=member, item=thriller_ebook, loaned_on=TODAY - dt.timedelta(days=20))
        LoanFactory(member=member, item=cookbook, loaned_on=TODAY - dt.timedelta(days=20))
    LoanFactory(member=member, item=cookbook, loaned_on=TODAY - dt.timedelta(days=20))

    tips = popular_titles(library, Segment.FICTION_DIGITAL, TODAY)

    assert [tip.title for tip in tips] == ["De e-thriller"]
    overall = [tip.title for tip in popular_titles(library, Segment.UNKNOWN, TODAY)]
    assert overall == ["Het kookboek", "De e-thriller"]
    assert popular_titles(library, Segment.FICTION_PHYSICAL, TODAY) == []


@pytest.mark.django_db
def test_editions_of_one_title_count_together_and_are_suggested_once():
    library = LibraryFactory()
    for external_id in ("copy-1", "copy-2"):  # two copies of one book, catalogued apart
        item = ItemFactory(library=library, external_id=external_id, title="Het Smelt",
                           author="Lize Spit")  # fmt: skip
        for _ in range(2):
            LoanFactory(member=MemberFactory(library=library), item=item, library=library)
    runner_up = ItemFactory(library=library, title="Het Achterhuis")
    for _ in range(3):
        LoanFactory(member=MemberFactory(library=library), item=runner_up, library=library)

    tips = popular_titles(library, Segment.FICTION_PHYSICAL, TODAY)

    assert [(tip.title, tip.author) for tip in tips][:2] == [
        ("Het Smelt", "Lize Spit"),
        ("Het Achterhuis", runner_up.author),
    ]
