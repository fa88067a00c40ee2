"""The list (topic) a journey or broadcast goes out on, chosen in the studio and shown on
the journey's page."""

import pytest
from django.urls import reverse
from django.utils import timezone

from patronflow.choices.models import MailingList
from patronflow.choices.services import record_list_choice, standard_lists
from patronflow.journeys.models import Journey
from tests.factories import LibraryFactory, MemberFactory
from tests.staff.studio_forms import Editor, editor_url

pytestmark = pytest.mark.django_db


def welcome(library) -> Journey:
    return Journey.objects.get(library=library, key="welcome")


def test_the_editor_offers_the_librarys_own_lists_with_the_journeys_chosen(staff_client, library):
    MailingList.objects.create(library=library, key="jeugd", name="Jeugdnieuws", position=9)
    MailingList.objects.create(library=LibraryFactory(), key="elders", name="Andere bib")

    editor = Editor(staff_client, editor_url("studio_edit", welcome(library).pk))

    assert editor.fields["mailing_list"] == ["welcome"]
    assert "<label" in editor.page and ">Lijst<" in editor.page
    assert "Leden die zich voor die lijst uitschreven, krijgen er geen" in editor.page
    for name in ("Welkomstmails", "Nieuwsbrief", "Berichten over je lidmaatschap", "Jeugdnieuws"):
        assert f">{name}</option>" in editor.page
    assert "Andere bib" not in editor.page


def test_a_journey_saved_on_another_list_goes_out_on_it_and_its_page_says_so(staff_client, library):
    journey = welcome(library)
    editor = Editor(staff_client, editor_url("studio_edit", journey.pk))
    editor.set(mailing_list="newsletter")

    editor.press("review")
    assert "Lijst: welcome → newsletter" in editor.page
    assert "Welkomstmails → Nieuwsbrief" in editor.page
    editor.press("save")

    journey.refresh_from_db()
    assert journey.mailing_list.key == "newsletter"
    assert journey.current_version.number == 1
    page = staff_client.get(reverse("staff:journey", args=[journey.pk])).content.decode()
    assert "De mails vertrekken op de lijst Nieuwsbrief." in page
    assert "Uitschrijven voor alle mails of voor de lijst Nieuwsbrief, een beëindigd" in page


def test_a_service_lists_journey_page_says_whom_it_reaches(staff_client, library):
    dormant = Journey.objects.get(library=library, key="dormant")

    page = staff_client.get(reverse("staff:journey", args=[dormant.pk])).content.decode()

    assert "De mails vertrekken op de lijst Berichten over je lidmaatschap." in page
    assert "bereikt iedereen die nog mails van de bibliotheek wil" in page
    assert "Uitschrijven voor alle mails of voor de lijst" not in page


def test_a_list_that_is_not_the_librarys_is_refused_on_the_field(staff_client, library):
    MailingList.objects.create(library=LibraryFactory(), key="elders", name="Andere bib")
    journey = welcome(library)
    editor = Editor(staff_client, editor_url("studio_edit", journey.pk))

    editor.set(mailing_list="elders").press("save")

    journey.refresh_from_db()
    assert journey.mailing_list.key == "welcome"
    assert 'aria-invalid="true"' in editor.page or "errorlist" in editor.page
    assert "Selecteer een geldige keuze" in editor.page


def test_the_studios_count_of_who_may_be_mailed_leaves_out_who_left_the_chosen_list(
    staff_client, library
):
    new = {"registered_on": timezone.localdate()}  # in the welcome journey's audience
    MemberFactory(library=library, **new)
    left = MemberFactory(library=library, **new)
    record_list_choice(
        left, standard_lists(library)["newsletter"], receives=False, source="link", text_version="t"
    )
    editor = Editor(staff_client, editor_url("studio_edit", welcome(library).pk))
    editor.set(mailing_list="newsletter")
    editor.press("review")

    builder = editor.context_editor.builder
    assert (builder.count.members, builder.count.mailable) == (2, 1)
