"""Network templates on the staff screens: the network admin offers a journey and says to
whom; a marketer sees only what is offered to their library, adopts it, and takes over or
leaves a newer version having seen what changed."""

import pytest
from django.test import Client
from django.urls import reverse

from patronflow.journeys.definitions import export_definition, install_journey, save_segment
from patronflow.journeys.models import Adoption, NetworkTemplate
from patronflow.operations.network_templates import adopt, offer_journey, set_offer
from patronflow.staff.services import add_staff
from tests.staff.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(library):
    admin = add_staff("netwerk", email="netwerk@example.org", password=PASSWORD, role="admin")
    client = Client()
    client.force_login(admin)
    return client


def test_the_admin_offers_a_journey_and_chooses_the_libraries(admin_client, library, other_library):
    welcome = other_library.journeys.get(key="welcome")  # the admin's first library
    page = admin_client.get(reverse("staff:journey", args=[welcome.pk])).content.decode()
    assert "Aanbieden als netwerksjabloon" in page

    response = admin_client.post(reverse("staff:journey_offer", args=[welcome.pk]))

    template = NetworkTemplate.objects.get()
    assert response.url == reverse("staff:template", args=[template.pk])
    assert template.latest.number == 1
    admin_client.post(
        reverse("staff:template", args=[template.pk]),
        {"to_all": "no", "libraries": [library.pk]},
    )
    assert list(template.libraries.all()) == [library]
    refused = admin_client.post(reverse("staff:template", args=[template.pk]), {"to_all": "no"})
    assert "Vink minstens één bibliotheek aan" in refused.content.decode()


def test_a_marketer_sees_and_adopts_only_what_is_offered_to_the_library(
    staff_client, library, other_library
):
    mine = offer_journey(other_library.journeys.get(key="dormant"), actor=None).template
    elsewhere = offer_journey(other_library.journeys.get(key="welcome"), actor=None).template
    elsewhere.offered_to_all = False
    elsewhere.save()

    listed = staff_client.get(reverse("staff:templates")).content.decode()
    assert reverse("staff:template", args=[mine.pk]) in listed
    assert reverse("staff:template", args=[elsewhere.pk]) not in listed
    assert staff_client.get(reverse("staff:template", args=[elsewhere.pk])).status_code == 404
    assert (
        staff_client.post(reverse("staff:template_adopt", args=[elsewhere.pk])).status_code == 404
    )

    response = staff_client.post(reverse("staff:template_adopt", args=[mine.pk]))

    copy = Adoption.objects.get(journey__library=library).journey
    assert (copy.key, copy.status) == ("dormant-2", "draft")
    assert response.url == reverse("staff:journey", args=[copy.pk])


def test_a_newer_version_is_shown_with_its_changes_then_taken_over(
    staff_client, library, other_library
):
    source = other_library.journeys.get(key="dormant")
    adoption = adopt(offer_journey(source, actor=None).template, library, actor=None)
    copy = adoption.journey
    install_journey(other_library, export_definition(source) | {"holdout_percent": 25})
    offer_journey(source, actor=None)

    page = staff_client.get(reverse("staff:journey", args=[copy.pk])).content.decode()
    assert "Het netwerksjabloon heeft versie 2 (jij hebt 1)" in page
    compare = staff_client.get(reverse("staff:journey_template", args=[copy.pk]))
    assert "Controlegroep: 10% → 25%" in compare.content.decode()

    staff_client.post(reverse("staff:journey_template", args=[copy.pk]), {"choice": "take_over"})

    copy.refresh_from_db()
    assert copy.current_version.holdout_percent == 25
    page = staff_client.get(reverse("staff:journey", args=[copy.pk])).content.decode()
    assert "Het netwerksjabloon heeft versie" not in page


def test_leaving_a_version_hides_the_notice_until_the_next(staff_client, library, other_library):
    source = other_library.journeys.get(key="dormant")
    adoption = adopt(offer_journey(source, actor=None).template, library, actor=None)
    install_journey(other_library, export_definition(source) | {"holdout_percent": 25})
    offer_journey(source, actor=None)

    staff_client.post(
        reverse("staff:journey_template", args=[adoption.journey.pk]), {"choice": "leave"}
    )

    page = staff_client.get(reverse("staff:journey", args=[adoption.journey.pk]))
    assert "Het netwerksjabloon heeft versie" not in page.content.decode()
    adoption.refresh_from_db()
    assert (adoption.version_number, adoption.left_number) == (1, 2)


def test_a_template_entering_by_a_saved_segment_the_library_lacks_is_not_adopted(
    staff_client, library, other_library
):
    save_segment(other_library, "lezers", "Lezers", {"active_within_days": 30})
    source = install_journey(
        other_library,
        export_definition(other_library.journeys.get(key="dormant"))
        | {"key": "lezers", "status": "draft", "entry": {"segment": "lezers"}},
    ).journey
    template = offer_journey(source, actor=None).template

    response = staff_client.post(reverse("staff:template_adopt", args=[template.pk]), follow=True)

    assert "De bibliotheek heeft geen bewaard segment lezers" in response.content.decode()
    assert not Adoption.objects.exists()


def test_the_admin_is_told_where_a_template_is_built_when_another_library_is_chosen(
    admin_client, library, other_library
):
    template = offer_journey(library.journeys.get(key="welcome"), actor=None).template
    set_offer(template, to_all=False, libraries=[other_library], actor=None)

    listed = admin_client.get(reverse("staff:templates")).content.decode()
    page = admin_client.get(reverse("staff:template", args=[template.pk])).content.decode()

    assert "aangeboden aan Bibliotheek Brugge" in listed
    assert "Gebouwd in Welkom voor nieuwe leden van Bibliotheek Gent" in page


def test_a_take_over_waiting_for_approval_says_so_on_the_template_page(
    staff_client, library, other_library
):
    library.four_eyes = True
    library.save()
    source = other_library.journeys.get(key="dormant")
    copy = adopt(offer_journey(source, actor=None).template, library, actor=None).journey
    copy.status = "active"
    copy.save(update_fields=["status"])
    install_journey(other_library, export_definition(source) | {"holdout_percent": 25})
    offer_journey(source, actor=None)

    staff_client.post(reverse("staff:journey_template", args=[copy.pk]), {"choice": "take_over"})

    page = staff_client.get(reverse("staff:journey_template", args=[copy.pk])).content.decode()
    assert "Versie 2 van het sjabloon overnemen wacht op de goedkeuring van je collega." in page
    assert copy.approvals.get().state == "pending"
