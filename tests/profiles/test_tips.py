"""Reading tips: what a segment reads, in its format, with staff's pins and exclusions."""

import datetime as dt

import pytest

from patronflow.members.models import Item
from patronflow.profiles.models import ClassificationPolicy, Segment, TipChoice
from patronflow.profiles.tips import (
    ReadingTip,
    UnknownTitle,
    borrowed_works,
    catalogue_link,
    choose,
    find_titles,
    forget,
    tips_for_segment,
    work_in_catalogue,
)
from tests.factories import TODAY, ItemFactory, LibraryFactory, LoanFactory, MemberFactory

pytestmark = pytest.mark.django_db


def _borrowed(item, times: int = 1, days_ago: int = 20) -> None:
    for _ in range(times):
        LoanFactory(
            member=MemberFactory(library=item.library),
            item=item,
            loaned_on=TODAY - dt.timedelta(days=days_ago),
        )


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

    tips = tips_for_segment(library, Segment.FICTION_DIGITAL, TODAY)

    assert [tip.title for tip in tips] == ["De e-thriller"]
    overall = [tip.title for tip in tips_for_segment(library, Segment.UNKNOWN, TODAY)]
    assert overall == ["Het kookboek", "De e-thriller"]
    assert tips_for_segment(library, Segment.FICTION_PHYSICAL, TODAY) == []


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

    tips = tips_for_segment(library, Segment.FICTION_PHYSICAL, TODAY)

    assert [(tip.title, tip.author) for tip in tips][:2] == [
        ("Het Smelt", "Lize Spit"),
        ("Het Achterhuis", runner_up.author),
    ]


def test_reading_tips_follow_the_librarys_classifier():
    library = LibraryFactory()
    ClassificationPolicy.objects.create(library=library, source_order=["genre"])
    novel = ItemFactory(library=library, title="Het Smelt", is_fiction=False, genre="Romans")
    LoanFactory(member=MemberFactory(library=library), item=novel)

    tips = tips_for_segment(library, Segment.FICTION_PHYSICAL, TODAY)

    assert [tip.title for tip in tips] == ["Het Smelt"]


def test_digital_readers_get_the_e_book_edition_and_its_isbn_physical_readers_the_book():
    library = LibraryFactory()
    book = ItemFactory(library=library, title="Het smelt", author="Lize Spit", isbn="9789023499999")
    ebook = ItemFactory(
        library=library, title="Het smelt", author="Lize Spit", isbn="9789023488888",
        material=Item.Material.EBOOK,
    )  # fmt: skip
    _borrowed(book, 3)
    _borrowed(ebook, 2)

    digital = tips_for_segment(library, Segment.FICTION_DIGITAL, TODAY)
    physical = tips_for_segment(library, Segment.FICTION_PHYSICAL, TODAY)

    assert digital == [ReadingTip("Het smelt", "Lize Spit", "9789023488888")]
    assert physical == [ReadingTip("Het smelt", "Lize Spit", "9789023499999")]


def test_films_music_games_and_magazines_are_never_reading_tips():
    library = LibraryFactory()
    for material in ("film", "music", "game", "magazine"):
        _borrowed(ItemFactory(library=library, material=material, title=material), 5)
    novel = ItemFactory(library=library, title="De avonden")
    _borrowed(novel)

    for segment in (Segment.FICTION_PHYSICAL, Segment.UNKNOWN):
        assert [tip.title for tip in tips_for_segment(library, segment, TODAY)] == ["De avonden"]


def test_loans_older_than_a_year_do_not_make_a_title_popular():
    library = LibraryFactory()
    _borrowed(ItemFactory(library=library, title="Vorig jaar"), 5, days_ago=400)
    _borrowed(ItemFactory(library=library, title="Nu"), 1)

    assert [t.title for t in tips_for_segment(library, Segment.UNKNOWN, TODAY)] == ["Nu"]


def test_pinned_titles_come_first_and_excluded_titles_never_appear():
    library = LibraryFactory()
    popular = ItemFactory(library=library, title="Populair", author="A")
    dull = ItemFactory(library=library, title="Saai", author="B")
    ItemFactory(library=library, title="Stille parel", author="C", isbn="9789000000001")
    _borrowed(popular, 5)
    _borrowed(dull, 4)
    choose(library, "Saai", "B", TipChoice.Action.EXCLUDE)
    choose(library, "Stille parel", "C", TipChoice.Action.PIN, Segment.FICTION_PHYSICAL)

    tips = tips_for_segment(library, Segment.FICTION_PHYSICAL, TODAY)

    assert tips == [ReadingTip("Stille parel", "C", "9789000000001"), ReadingTip("Populair", "A")]
    # A pin for one segment is not shown to another; an exclusion for all segments is.
    assert [t.title for t in tips_for_segment(library, Segment.UNKNOWN, TODAY)] == ["Populair"]


def test_forgetting_a_choice_gives_the_title_its_ordinary_place_again():
    library = LibraryFactory()
    _borrowed(ItemFactory(library=library, title="Saai", author="B"), 2)
    choose(library, "Saai", "B", TipChoice.Action.EXCLUDE)
    assert tips_for_segment(library, Segment.FICTION_PHYSICAL, TODAY) == []

    assert forget(library, "Saai", "B") == 1
    assert forget(library, "Saai", "B") == 0
    assert [t.title for t in tips_for_segment(library, Segment.FICTION_PHYSICAL, TODAY)] == ["Saai"]


def test_choosing_again_replaces_the_earlier_choice_for_that_segment():
    library = LibraryFactory()
    choose(library, "Titel", "X", TipChoice.Action.PIN)
    choose(library, "Titel", "X", TipChoice.Action.EXCLUDE)

    assert list(TipChoice.objects.values_list("action", flat=True)) == ["exclude"]


def test_pins_and_exclusions_of_one_library_do_not_touch_another():
    mine, other = LibraryFactory(), LibraryFactory()
    for library in (mine, other):
        _borrowed(ItemFactory(library=library, title="Gedeeld", author="Z"), 2)
    choose(mine, "Gedeeld", "Z", TipChoice.Action.EXCLUDE)

    assert tips_for_segment(mine, Segment.UNKNOWN, TODAY) == []
    assert [t.title for t in tips_for_segment(other, Segment.UNKNOWN, TODAY)] == ["Gedeeld"]


def test_any_edition_borrowed_counts_as_already_read():
    library = LibraryFactory()
    reader = MemberFactory(library=library)
    LoanFactory(member=reader, item=ItemFactory(library=library, title="Wil", author="J. O."))

    assert borrowed_works([reader.pk], {("Wil", "J. O."), ("Ander", "")}) == {
        (reader.pk, "Wil", "J. O.")
    }


def test_catalogue_links_follow_the_librarys_pattern_and_fall_back_to_title_and_author():
    with_isbn = ReadingTip("Het smelt", "Lize Spit", "9789023499999")
    without = ReadingTip("Tom & Jerry", "Hanna/Barbera")

    pattern = "https://gent.bibliotheek.be/zoeken?q={isbn}"
    assert (
        catalogue_link(pattern, with_isbn) == "https://gent.bibliotheek.be/zoeken?q=9789023499999"
    )
    assert catalogue_link(pattern, without) == (
        "https://gent.bibliotheek.be/zoeken?q=Tom%20%26%20Jerry%20Hanna%2FBarbera"
    )
    assert catalogue_link("https://x.be/t/{title}/{author}", without) == (
        "https://x.be/t/Tom%20%26%20Jerry/Hanna%2FBarbera"
    )
    assert catalogue_link("", with_isbn) == ""
    assert catalogue_link("http://insecure.example/?q={isbn}", with_isbn) == ""


def test_staff_find_titles_to_pin_by_title_author_or_isbn():
    library = LibraryFactory()
    ItemFactory(library=library, title="Het smelt", author="Lize Spit", isbn="9789023499999")
    ItemFactory(library=library, title="Smeltende ijskappen", author="Klimaat", material="film")

    assert find_titles(library, "smelt") == [ReadingTip("Het smelt", "Lize Spit")]
    assert find_titles(library, "978-9023499999") == [ReadingTip("Het smelt", "Lize Spit")]
    assert find_titles(library, "spit") == [ReadingTip("Het smelt", "Lize Spit")]
    assert find_titles(library, "  ") == []


def test_a_title_pinned_for_its_segment_and_for_every_segment_is_one_tip():
    library = LibraryFactory()
    ItemFactory(library=library, title="Parel", author="C")
    choose(library, "Parel", "C", TipChoice.Action.PIN, Segment.FICTION_PHYSICAL)
    choose(library, "Parel", "C", TipChoice.Action.PIN)

    assert tips_for_segment(library, Segment.FICTION_PHYSICAL, TODAY) == [ReadingTip("Parel", "C")]


def test_an_e_book_without_isbn_never_links_a_digital_reader_to_the_printed_book():
    library = LibraryFactory()
    book = ItemFactory(library=library, title="Wil", author="J. O.", isbn="9789000000024")
    ebook = ItemFactory(library=library, title="Wil", author="J. O.", isbn="", material="ebook")
    _borrowed(book, 3)
    _borrowed(ebook, 2)

    [tip] = tips_for_segment(library, Segment.FICTION_DIGITAL, TODAY)

    assert tip.isbn == ""  # the catalogue link searches for title and author instead
    assert tips_for_segment(library, Segment.FICTION_PHYSICAL, TODAY)[0].isbn == "9789000000024"


def test_pins_come_in_the_order_first_chosen_even_when_chosen_again():
    library = LibraryFactory()
    for title in ("Eerste", "Tweede"):
        ItemFactory(library=library, title=title, author="X")
        choose(library, title, "X", TipChoice.Action.PIN)
    choose(library, "Eerste", "X", TipChoice.Action.PIN)

    titles = [tip.title for tip in tips_for_segment(library, Segment.UNKNOWN, TODAY)]
    assert titles == ["Eerste", "Tweede"]


def test_a_choice_is_undone_as_stored_after_the_catalogue_renamed_the_title():
    library = LibraryFactory()
    item = ItemFactory(library=library, title="Het Smelt", author="Spit, Lize")
    choose(library, "Het Smelt", "Spit, Lize", TipChoice.Action.EXCLUDE)
    item.title, item.author = "Het smelt", "Lize Spit"
    item.save()

    assert forget(library, "het smelt") == 1
    assert not TipChoice.objects.exists()


def test_films_cannot_be_pinned():
    library = LibraryFactory()
    ItemFactory(library=library, title="Girl", author="Lukas Dhont", material="film")

    with pytest.raises(UnknownTitle, match="not a book, e-book, audiobook or comic"):
        work_in_catalogue(library, title="Girl")
