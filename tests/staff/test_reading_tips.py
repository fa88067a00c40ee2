"""The reading tips screen: what each segment is offered, and pinning and excluding titles."""

import pytest
from django.urls import reverse

from patronflow.members.models import Item
from patronflow.profiles.models import TipChoice
from tests.factories import ItemFactory, LoanFactory, MemberFactory

pytestmark = pytest.mark.django_db
URL = reverse("staff:tips")


@pytest.fixture
def catalogue(library):
    library.catalogue_url = "https://gent.bibliotheek.be/zoeken?q={isbn}"
    library.save()
    popular = ItemFactory(
        library=library, title="Het smelt", author="Lize Spit", isbn="9789023499517"
    )
    for _ in range(3):
        LoanFactory(member=MemberFactory(library=library), item=popular)
    ItemFactory(library=library, title="Stille parel", author="B. Schrijver")
    return library


def test_each_segment_shows_its_tips_linked_to_the_catalogue(staff_client, catalogue):
    page = staff_client.get(URL).content.decode()

    assert "Het smelt" in page
    assert "https://gent.bibliotheek.be/zoeken?q=9789023499517" in page


def test_a_marketer_finds_a_title_and_pins_it_for_one_segment(staff_client, catalogue, marketer):
    found = staff_client.get(URL, {"q": "parel"}).content.decode()
    assert "Stille parel" in found

    staff_client.post(URL, {"action": "pin", "title": "Stille parel", "author": "B. Schrijver",
                            "segment": "fiction_physical"})  # fmt: skip

    choice = TipChoice.objects.get()
    assert (choice.action, choice.segment, choice.chosen_by) == (
        "pin",
        "fiction_physical",
        "staff:an",
    )
    page = staff_client.get(URL).content.decode()
    assert page.index("Stille parel") < page.index("Het smelt")


def test_an_excluded_title_leaves_the_segment_and_can_be_allowed_again(staff_client, catalogue):
    staff_client.post(URL, {"action": "exclude", "title": "Het smelt", "author": "Lize Spit",
                            "segment": ""})  # fmt: skip
    page = staff_client.get(URL).content.decode()
    assert "Weer toelaten" in page
    assert "9789023499517" not in page

    choice = TipChoice.objects.get()
    # The catalogue corrects the title meanwhile: the exclusion can still be undone.
    Item.objects.filter(title="Het smelt").update(title="Het Smelt")

    staff_client.post(URL, {"action": "forget", "choice": choice.pk})
    assert not TipChoice.objects.exists()
    response = staff_client.post(URL, {"action": "forget", "choice": choice.pk}, follow=True)
    assert "al ongedaan gemaakt" in response.content.decode()


def test_a_choice_of_another_library_cannot_be_undone(staff_client, catalogue, other_library):
    theirs = TipChoice.objects.create(
        library=other_library, title="Het smelt", author="Lize Spit", action="exclude"
    )

    staff_client.post(URL, {"action": "forget", "choice": theirs.pk})

    assert TipChoice.objects.filter(pk=theirs.pk).exists()


def test_a_title_not_in_the_librarys_own_catalogue_cannot_be_chosen(
    staff_client, catalogue, other_library
):
    ItemFactory(library=other_library, title="Alleen in Brugge", author="X")

    response = staff_client.post(
        URL, {"action": "pin", "title": "Alleen in Brugge", "author": "X", "segment": ""},
        follow=True,
    )  # fmt: skip

    assert not TipChoice.objects.exists()
    assert "staat niet in de catalogus" in response.content.decode()
