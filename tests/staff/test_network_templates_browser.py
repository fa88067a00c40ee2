"""Network templates in chromium, with no terminal: the network admin offers a journey built
in Gent; Brugge and Kortrijk adopt it, Brugge changes its copy (the template does not change);
the admin publishes a new version; both libraries are offered it with what changed; Brugge
takes it over, Kortrijk leaves it."""

import pytest

from patronflow.journeys.definitions import install_journey
from patronflow.journeys.models import Adoption, NetworkTemplate
from patronflow.staff.services import add_staff
from tests.factories import LibraryFactory
from tests.journeys.helpers import step
from tests.staff.conftest import PASSWORD, make_marketer
from tests.staff.phone import fits_and_passes, phone_page

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

HOLDOUT = "Controlegroep (nooit gemaild, om te vergelijken)"


def set_holdout(page, percent: int) -> None:
    page.get_by_label(HOLDOUT).fill(str(percent))
    page.get_by_role("button", name="Controlegroep bewaren").click()
    page.get_by_text("Bewaard").first.wait_for()


def adopt(page, live_server) -> None:
    page.goto(f"{live_server.url}/staff/templates/")
    page.get_by_role("link", name="E-boeken ontdekken").click()
    adopting = page.get_by_role("button", name="In gebruik nemen voor")
    adopting.wait_for()
    fits_and_passes(page)
    adopting.click()
    page.get_by_text("is nu een ontwerp van je bibliotheek").wait_for()


def test_a_template_adopted_by_two_libraries_is_offered_again_and_taken_over_or_left(
    browser, live_server, library
):
    brugge, kortrijk = LibraryFactory(code="brugge"), LibraryFactory(code="kortrijk")
    add_staff("netwerk", email="netwerk@example.org", password=PASSWORD, role="admin")
    make_marketer(brugge, "dirk")
    make_marketer(kortrijk, "katrien")
    source = install_journey(
        library,
        {
            "key": "e-boeken",
            "name": "E-boeken ontdekken",
            "entry": {"reading_segments": ["fiction_digital"]},
            "steps": [step("Ontdek e-boeken", 0), step("Luisterboeken", 14)],
        },
    ).journey

    admin = phone_page(browser, live_server, "netwerk")
    admin.get_by_label("Bibliotheek").select_option(label=library.name)
    admin.get_by_role("button", name="Toon").click()
    admin.goto(f"{live_server.url}/staff/journeys/{source.pk}/")
    admin.get_by_role("button", name="Aanbieden als netwerksjabloon").click()
    admin.get_by_text("Netwerksjabloon E-boeken ontdekken, versie 1.").wait_for()
    fits_and_passes(admin)
    template = NetworkTemplate.objects.get()

    dirk = phone_page(browser, live_server, "dirk")
    adopt(dirk, live_server)
    katrien = phone_page(browser, live_server, "katrien")
    adopt(katrien, live_server)
    set_holdout(dirk, 15)  # Brugge's own change to its copy
    assert template.latest.definition["holdout_percent"] == 0

    admin.goto(f"{live_server.url}/staff/journeys/{source.pk}/")
    set_holdout(admin, 10)
    admin.get_by_role("button", name="Het netwerksjabloon bijwerken").click()
    admin.get_by_text("Netwerksjabloon E-boeken ontdekken, versie 2.").wait_for()

    for page in (dirk, katrien):
        page.reload()
        page.get_by_text("Het netwerksjabloon heeft versie 2 (jij hebt 1)").wait_for()
        page.get_by_role("link", name="bekijk wat er veranderde").click()
        assert page.get_by_text("Controlegroep: 0% → 10%").first.is_visible()
        fits_and_passes(page)
    assert dirk.get_by_text("Controlegroep: 15% → 10%").is_visible()

    dirk.get_by_role("button", name="Overnemen", exact=True).click()
    dirk.get_by_text("Bewaard").first.wait_for()
    katrien.get_by_role("button", name="Niet overnemen").click()
    katrien.get_by_text("Niet overgenomen").wait_for()

    for page in (dirk, katrien):
        assert page.get_by_text("Het netwerksjabloon heeft versie").count() == 0
    copies = {a.journey.library.code: a for a in Adoption.objects.select_related("journey")}
    assert copies["brugge"].journey.current_version.holdout_percent == 10
    assert copies["kortrijk"].journey.current_version.holdout_percent == 0
    assert (copies["brugge"].version_number, copies["kortrijk"].left_number) == (2, 2)
