"""The survey screens in chromium: a marketer writes a survey with a question, opens it and
reads the results of one that was answered, at a phone's width (fits, passes axe-core) and at
a desktop's (screenshot survey-results-1280.png in var/artefacts/surveys/, copied into
docs/screenshots/)."""

from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from playwright.sync_api import expect

from patronflow.surveys.models import Survey
from tests.accessibility import axe_violations
from tests.browsers import chromium
from tests.staff.conftest import make_marketer
from tests.staff.survey_data import answered_survey
from tests.staff.test_every_page import DESKTOP, PHONE, SIDEWAYS, log_in

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def server(live_server, settings):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    return live_server


def test_a_marketer_writes_opens_and_reads_a_survey(chromium_path, server, library):
    make_marketer(library, "an")
    answered = answered_survey(library, times=24)
    screens = Path(django_settings.VAR_DIR) / "artefacts" / "surveys"
    screens.mkdir(parents=True, exist_ok=True)

    with chromium(chromium_path) as browser:
        page = browser.new_page(locale="nl-BE")
        page.set_viewport_size({"width": PHONE, "height": 800})
        log_in(page, server.url, "an")
        page.wait_for_url(f"{server.url}/staff/")
        page.get_by_text("Menu", exact=True).click()
        page.locator("nav").get_by_role("link", name="Vragenlijsten").click()
        page.get_by_label("Titel").fill("Leesclub")
        page.get_by_role("button", name="Bewaar als concept").click()
        expect(page.get_by_text("De vragenlijst is bewaard als concept")).to_be_visible()
        page.get_by_label("Vraag", exact=True).fill("Kom je naar de leesclub?")
        page.get_by_label("Soort antwoord").select_option("single")
        page.get_by_label("Keuzes, één per regel").fill("Ja\nNee\nMisschien")
        page.get_by_role("button", name="Voeg de vraag toe").click()
        expect(page.get_by_text("De vraag is toegevoegd.")).to_be_visible()
        page.get_by_role("button", name="Open de vragenlijst").click()
        expect(page.get_by_text("De vragenlijst is open")).to_be_visible()
        assert page.evaluate(SIDEWAYS) <= 0
        assert axe_violations(page) == []
        assert Survey.objects.get(title="Leesclub").status == "open"

        page.goto(server.url + reverse("staff:survey_results", args=[answered.pk]))
        expect(page.get_by_test_id("open-answers")).to_be_visible()
        assert page.evaluate(SIDEWAYS) <= 0
        assert axe_violations(page) == []
        page.set_viewport_size({"width": DESKTOP, "height": 800})
        expect(page.get_by_test_id("responses")).to_have_text("24")
        page.screenshot(path=screens / "survey-results-1280.png", full_page=True)
