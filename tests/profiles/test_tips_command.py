"""`patronflow tips`: staff see the tips of each segment and pin or exclude titles."""

import io

import pytest
from django.core.management import CommandError, call_command

from patronflow.profiles.models import TipChoice
from tests.factories import ItemFactory, LibraryFactory, LoanFactory, MemberFactory

pytestmark = pytest.mark.django_db


def tips(*arguments: str) -> str:
    out = io.StringIO()
    call_command("tips", *arguments, stdout=out)
    return out.getvalue()


@pytest.fixture
def library():
    library = LibraryFactory(code="gent", catalogue_url="https://gent.be/zoeken?q={isbn}")
    item = ItemFactory(library=library, title="Het smelt", author="Lize Spit", isbn="9789023499517")
    LoanFactory(member=MemberFactory(library=library), item=item)
    ItemFactory(library=library, title="Wil", author="Jeroen Olyslaegers")
    return library


def test_show_lists_each_segments_tips_with_their_catalogue_link(library):
    shown = tips("show", "--library", "gent")

    assert "Het smelt" in shown
    assert "https://gent.be/zoeken?q=9789023499517" in shown


def test_pin_by_isbn_then_forget(library):
    assert "pinned for every segment" in tips(
        "pin", "--isbn", "978-9023499517", "--library", "gent"
    )
    [choice] = TipChoice.objects.all()
    assert (choice.title, choice.author, choice.action) == ("Het smelt", "Lize Spit", "pin")
    assert "pinned" in tips("show", "--library", "gent")

    tips("forget", "Het smelt", "--library", "gent")
    assert not TipChoice.objects.exists()


def test_exclude_for_one_segment_by_title(library):
    tips("exclude", "wil", "--segment", "fiction_digital", "--library", "gent")

    [choice] = TipChoice.objects.all()
    assert (choice.title, choice.segment, choice.action) == ("Wil", "fiction_digital", "exclude")


def test_a_title_the_catalogue_does_not_hold_is_refused_with_the_reason(library):
    with pytest.raises(
        CommandError, match="not a book, e-book, audiobook or comic in the catalogue of gent"
    ):
        tips("pin", "Bestaat niet", "--library", "gent")
    ItemFactory(library=library, title="Wil", author="Iemand anders")
    with pytest.raises(CommandError, match="names 2 works, give the author"):
        tips("pin", "Wil", "--library", "gent")
    assert "pinned" in tips("pin", "Wil", "--author", "iemand anders", "--library", "gent")
    with pytest.raises(CommandError, match="neither pinned nor excluded"):
        tips("forget", "Het smelt", "--library", "gent")
