"""The results page in a browser, as a marketer reads it: for a library whose dormant mail
clearly brought members back, one where it might have, one where it did not, and a new one —
each card says so in words and numbers, at a phone's width and a desktop's, and axe-core finds
nothing to fault."""

import datetime as dt

import pytest
from django.utils import timezone

from patronflow.journeys.definitions import install_standard_journeys
from tests.factories import LibraryFactory
from tests.reports.helpers import effect_campaign
from tests.staff.conftest import make_marketer
from tests.staff.phone import fits_and_passes, phone_page

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# The library, its effect (None: nobody mailed yet) and what its dormant card says.
LIBRARIES = [
    ("helder", "clear", "verdict-good", "Ja: gemailde leden deden meer."),
    ("vaag", "unclear", "verdict-unclear", "Geen effect aangetoond."),
    ("geen", "absent", "verdict-unclear", "Geen effect aangetoond."),
    ("nieuw", None, "verdict-none", "Nog niet genoeg gegevens."),
]


@pytest.mark.parametrize(("code", "effect", "css", "answer"), LIBRARIES)
def test_the_results_page_says_whether_the_dormant_mail_worked(
    browser, live_server, code, effect, css, answer
):
    library = LibraryFactory(code=code, name=f"Bibliotheek {code}")
    install_standard_journeys(library)
    if effect:
        effect_campaign(library, effect, entered=timezone.localdate() - dt.timedelta(days=120))
    make_marketer(library, f"an-{code}")
    page = phone_page(browser, live_server, f"an-{code}")

    page.goto(f"{live_server.url}/staff/reports/")

    card = page.locator("li.card", has=page.get_by_role("heading", name="We missen je"))
    assert css in card.get_attribute("class")
    assert card.locator(".answer").inner_text().startswith(answer)
    if effect:
        assert card.locator("dd.figure").count() == 3
    fits_and_passes(page)
    page.screenshot(path=f"var/screenshots/results-{code}-375.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    fits_and_passes(page)
    page.screenshot(path=f"var/screenshots/results-{code}-1280.png", full_page=True)

    page.get_by_role("combobox", name="Periode").select_option("month")
    page.get_by_role("button", name="Toon", exact=True).click()
    page.wait_for_url("**period=month**")
    fits_and_passes(page)


def test_the_print_view_for_the_board_prints_the_cards_without_the_menu(browser, live_server):
    library = LibraryFactory(code="helder", name="Bibliotheek Helder")
    install_standard_journeys(library)
    effect_campaign(library, "clear", entered=timezone.localdate() - dt.timedelta(days=120))
    make_marketer(library, "an-helder")
    page = phone_page(browser, live_server, "an-helder")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/staff/reports/")

    page.get_by_role("link", name="Afdrukken / bewaren als pdf").first.click()
    page.wait_for_url("**/staff/reports/print/**")
    fits_and_passes(page)
    page.emulate_media(media="print")

    assert page.get_by_role("heading", name="Resultaten van Bibliotheek Helder").is_visible()
    assert not page.locator("header.top").is_visible()
    assert not page.get_by_role("button", name="Afdrukken / bewaren als pdf").is_visible()
    assert page.get_by_test_id("effect").first.is_visible()  # every measure, unfolded
    page.screenshot(path="var/screenshots/results-print.png", full_page=True)
