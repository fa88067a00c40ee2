"""The Integrations screen in chromium at a phone's width: a marketer makes an API token and
adds a webhook, each secret shown once, every page without sideways scrolling and with no
axe-core violation. Screenshots in var/artefacts/integrations/ (integrations-375.png is
copied by hand into docs/screenshots/)."""

import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from playwright.sync_api import expect

from patronflow.api.tokens import token_for
from patronflow.webhooks.models import Subscription
from tests.accessibility import axe_violations
from tests.browsers import chromium
from tests.staff.conftest import make_marketer
from tests.staff.test_every_page import PHONE, SIDEWAYS, log_in

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

RECEIVER = "https://bibliotheeksysteem.gent.example/patronflow/meldingen"


@pytest.fixture
def server(live_server, settings):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    return live_server


def fits(page) -> None:
    assert page.evaluate(SIDEWAYS) <= 0
    assert axe_violations(page) == []


def test_a_marketer_makes_a_token_and_adds_a_webhook_on_a_phone(chromium_path, server, library):
    make_marketer(library, "an")
    screens = Path(django_settings.VAR_DIR) / "artefacts" / "integrations"
    shutil.rmtree(screens, ignore_errors=True)
    screens.mkdir(parents=True)

    with chromium(chromium_path) as browser:
        page = browser.new_page(locale="nl-BE")
        page.set_viewport_size({"width": PHONE, "height": 800})
        log_in(page, server.url, "an")
        page.wait_for_url(f"{server.url}/staff/")
        page.get_by_text("Menu").click()
        page.get_by_role("link", name="Koppelingen").click()
        expect(page.get_by_role("heading", name="Koppelingen", level=1)).to_be_visible()
        fits(page)

        page.get_by_role("link", name="Maak een token").click()
        page.get_by_label("Naam", exact=True).fill("Website activiteiten")
        page.get_by_label("Gebeurtenissen sturen", exact=False).check()
        page.get_by_role("button", name="Maak het token").click()
        expect(
            page.get_by_text("Kopieer het token nu: het wordt niet meer getoond.")
        ).to_be_visible()
        shown = page.get_by_label("Het token")
        expect(shown).to_have_value(re.compile(r"^pf_"))
        token_value = shown.input_value()
        fits(page)
        page.screenshot(path=screens / "token-shown-once.png", full_page=True)
        assert token_for(token_value).scopes == ["events"]
        page.get_by_role("link", name="Ik heb het gekopieerd").click()

        page.get_by_role("link", name="Voeg een webhook toe").click()
        page.get_by_label("Adres (URL)").fill("http://bibliotheeksysteem.gent.example/x")
        page.get_by_label("Een lid verlaat een lijst").check()
        page.get_by_role("button", name="Voeg de webhook toe").click()
        expect(page.get_by_text("gebruik https://", exact=False)).to_be_visible()  # on the field
        fits(page)
        page.get_by_label("Adres (URL)").fill(RECEIVER)
        page.get_by_label("Een lid wil geen mails meer").check()
        page.get_by_label("Beschrijving (niet verplicht)").fill("Bibliotheeksysteem, ICT-dienst")
        page.get_by_role("button", name="Voeg de webhook toe").click()
        expect(
            page.get_by_text("Kopieer het geheim nu: het wordt niet meer getoond.")
        ).to_be_visible()
        secret = page.get_by_label("Het geheim").input_value()
        assert secret == Subscription.objects.get(library=library).secret
        fits(page)
        page.get_by_role("link", name="Ik heb het gekopieerd").click()
        expect(page.get_by_role("heading", name=RECEIVER, level=1)).to_be_visible()

        page.locator(".crumbs").get_by_role("link", name="Koppelingen").click()
        expect(page.get_by_test_id("tokens")).to_contain_text("Website activiteiten")
        expect(page.get_by_test_id("webhooks")).to_contain_text(RECEIVER)
        fits(page)
        page.screenshot(path=screens / "integrations-375.png", full_page=True)
