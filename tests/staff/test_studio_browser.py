"""In Chromium, as a marketer with no terminal: add a fourth step to the welcome journey as a
new version and move the members on their way onto it; the journey page then shows the new
step and what the version changed, and the calendar the new mail on its day. On the way, a
mail left without a subject is refused on its field, and the editor passes axe-core and fits
a phone at every step.

Screenshots land in var/artefacts/studio/ (the journey outline among them)."""

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from playwright.sync_api import expect

from patronflow.journeys.models import Enrolment, Journey
from tests.accessibility import axe_violations
from tests.browsers import chromium
from tests.factories import EnrolmentFactory
from tests.staff.conftest import make_marketer
from tests.staff.test_every_page import SIDEWAYS, log_in

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PHONE = 375


@pytest.fixture
def screens() -> Path:
    folder = Path(django_settings.VAR_DIR) / "artefacts" / "studio"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def fits_and_passes_axe(page) -> None:
    assert page.evaluate(SIDEWAYS) == 0
    assert axe_violations(page) == []


def test_a_fourth_mail_as_a_new_version_with_the_members_moved_onto_it(
    chromium_path, live_server, settings, library, screens
):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    make_marketer(library, "an")
    welcome = Journey.objects.get(library=library, key="welcome")
    entered = timezone.localdate() - dt.timedelta(days=8)
    on_the_way = EnrolmentFactory(journey=welcome, next_position=2, entered_on=entered)
    with chromium(chromium_path) as browser:
        page = browser.new_page(locale="nl-BE")
        page.set_viewport_size({"width": PHONE, "height": 800})
        log_in(page, live_server.url, "an")
        page.wait_for_url(f"{live_server.url}/staff/")
        page.goto(f"{live_server.url}/staff/journeys/{welcome.pk}/")

        page.get_by_role("link", name="Deze reeks wijzigen").click()
        page.get_by_role("button", name="Een mail toevoegen").click()
        page.wait_for_url("**#step-3")  # the page opens at the new mail
        fourth = page.locator("#step-3")
        fourth.get_by_label("Naam van de mail").fill("Nog één tip")
        fourth.get_by_label("Wachttijd (dagen)").fill("35")
        page.get_by_role("button", name="Bewaren").first.click()

        subject = fourth.get_by_label("Onderwerp")
        assert subject.get_attribute("aria-invalid") == "true"
        assert "Vul dit in." in fourth.locator(".has-error").first.inner_text()
        fits_and_passes_axe(page)
        page.screenshot(path=screens / "editor-refused.png", full_page=True)

        subject.fill("{{ first_name }}, nog één tip")
        page.get_by_label("gaan nu over naar de nieuwe versie").check()
        page.get_by_role("button", name="Bewaren").first.click()

        # The journey's page (a fragment the editor's last button gave is kept by the redirect).
        page.wait_for_url(re.compile(rf"/staff/journeys/{welcome.pk}/(#.*)?$"))
        outline = page.locator("section.outline")
        assert "Mail 4: Nog één tip" in outline.inner_text()
        assert "overgezet" in page.locator(".message").first.inner_text()
        page.get_by_text("Wat versie 2 veranderde").click()
        assert page.get_by_text("Mail 4 toegevoegd: Nog één tip").is_visible()
        fits_and_passes_axe(page)
        outline.screenshot(path=screens / "journey-outline.png")
        page.screenshot(path=screens / "journey.png", full_page=True)

        # The calendar, calculated away from the request, has the moved member's fourth mail
        # from day 35 after entering.
        page.get_by_role("link", name="Kalender", exact=False).click()
        page.get_by_label("Aantal dagen vooruit").select_option("60")
        page.get_by_role("button", name="Bereken").click()
        page.locator("li.calendar-day").first.wait_for()
        day = page.locator("li.calendar-day", has_text="Mail 4 · Alle anderen")
        expect(day).to_have_count(1)
        sent_on = dt.date.fromisoformat(day.get_attribute("data-day"))
        assert sent_on >= entered + dt.timedelta(days=35)  # later only for the send window
        page.screenshot(path=screens / "calendar.png", full_page=True)

    assert welcome.versions.count() == 2
    assert Enrolment.objects.get(pk=on_the_way.pk).version.number == 2


def test_a_new_journey_key_follows_its_name_until_one_is_typed(
    chromium_path, live_server, settings, library
):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    make_marketer(library, "an")
    with chromium(chromium_path) as browser:
        page = browser.new_page(locale="nl-BE")
        log_in(page, live_server.url, "an")
        page.wait_for_url(f"{live_server.url}/staff/")
        page.goto(f"{live_server.url}/staff/journeys/")
        page.get_by_role("link", name="Nieuwe reeks").click()

        page.get_by_label("Naam", exact=True).fill("Zomer in de bib: lezen & luisteren")

        assert page.get_by_label("Sleutel").get_attribute("placeholder") == (
            "zomer-in-de-bib-lezen-luisteren"
        )
