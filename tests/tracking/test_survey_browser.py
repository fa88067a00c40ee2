"""The survey in chromium at a phone's width: it fits, passes axe-core, takes the answers
through the desk's QR address and offers the focus group, whose sign-up fits and passes too.
Screenshots in var/artefacts/surveys/ (survey-375.png is copied into docs/screenshots/)."""

import shutil
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from playwright.sync_api import expect

from patronflow.surveys.models import Response, Volunteer
from tests.accessibility import axe_violations
from tests.browsers import chromium
from tests.surveys.helpers import make_survey

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
PHONE = 375
SIDEWAYS = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.fixture
def screens() -> Path:
    folder = Path(django_settings.VAR_DIR) / "artefacts" / "surveys"
    shutil.rmtree(folder / "survey-375.png", ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_a_respondent_answers_on_a_phone_and_joins_the_focus_group(
    chromium_path, live_server, library, screens
):
    survey = make_survey(library)
    url = live_server.url + reverse("tracking:survey", args=[survey.key]) + "?via=desk"

    with chromium(chromium_path) as browser:
        page = browser.new_page(locale="nl-BE")
        page.set_viewport_size({"width": PHONE, "height": 800})
        page.goto(url)
        expect(page.get_by_role("heading", name="Hoe vind je ons?")).to_be_visible()
        assert page.evaluate(SIDEWAYS) <= 0
        assert axe_violations(page) == []
        page.screenshot(path=screens / "survey-375.png", full_page=True)

        page.get_by_role("button", name="Verstuur mijn antwoorden").click()
        expect(page.get_by_text("Dit veld is verplicht.").first).to_be_visible()
        assert axe_violations(page) == []

        page.get_by_label("Strips").check()
        page.get_by_label("Op de trein").check()
        page.get_by_role("group", name="Hoe tevreden ben je").get_by_label("4").check()
        page.get_by_label("Wat kan beter?").fill("Langer open op zaterdag.")
        page.get_by_role("button", name="Verstuur mijn antwoorden").click()
        expect(page.get_by_role("heading", name="Bedankt voor je antwoorden!")).to_be_visible()
        assert page.evaluate(SIDEWAYS) <= 0
        assert axe_violations(page) == []
        page.screenshot(path=screens / "survey-thanks-375.png", full_page=True)

        page.get_by_label("Ja, ik doe graag mee aan de focusgroep").check()
        page.get_by_label("Naam").fill("Sara Peeters")
        page.get_by_label("E-mailadres").fill("sara@example.org")
        page.get_by_role("button", name="Meld me aan").click()
        expect(
            page.get_by_role("heading", name="Je bent aangemeld voor de focusgroep")
        ).to_be_visible()
        assert axe_violations(page) == []

    response = Response.objects.get()
    assert response.channel == "desk"
    assert sorted(response.answers.values_list("value", flat=True)) == [
        "4", "Langer open op zaterdag.", "Op de trein", "Strips",
    ]  # fmt: skip
    assert Volunteer.objects.get().email == "sara@example.org"
