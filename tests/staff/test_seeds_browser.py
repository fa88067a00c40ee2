"""The seed list in chromium: a marketer puts two colleagues on it, unticks one in the mail
editor and sends a test, which reaches only the other through a real SMTP server, rendered
for the member chosen; both screens fit a phone and pass axe-core. Screenshots in
var/artefacts/seeds/."""

import shutil
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from tests.accessibility import axe_violations
from tests.browsers import chromium
from tests.factories import MemberFactory
from tests.staff.conftest import make_marketer
from tests.staff.test_every_page import PHONE, SIDEWAYS, log_in

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def server(live_server, settings):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    return live_server


def test_a_test_reaches_the_ticked_colleagues_only(chromium_path, server, library, smtp_server):
    MemberFactory(library=library, first_name="Fatima", external_id="A1")
    make_marketer(library, "an")
    journey = library.journeys.get(key="welcome")
    screens = Path(django_settings.VAR_DIR) / "artefacts" / "seeds"
    shutil.rmtree(screens, ignore_errors=True)
    screens.mkdir(parents=True)

    with chromium(chromium_path) as browser:
        page = browser.new_page(locale="nl-BE")
        page.set_viewport_size({"width": PHONE, "height": 800})
        log_in(page, server.url, "an")
        page.wait_for_url(f"{server.url}/staff/")
        page.goto(server.url + reverse("staff:settings"))
        page.get_by_role("link", name="Testlijst", exact=False).click()
        for address, whose in (("jan@gent.be", "Jan, onthaal"), ("els@gent.be", "Els")):
            page.get_by_label("E-mailadres").fill(address)
            page.get_by_label("Van wie (niet verplicht)").fill(whose)
            page.get_by_role("button", name="Toevoegen").click()
            page.get_by_text(f"{address} staat op de testlijst.").wait_for()
        assert page.evaluate(SIDEWAYS) <= 0
        assert axe_violations(page) == []
        page.screenshot(path=screens / "seeds.png", full_page=True)

        page.goto(server.url + reverse("staff:mail", args=[journey.pk, 1, "default"]))
        page.get_by_label("els@gent.be (Els)").uncheck()
        page.get_by_role("button", name="Stuur een test naar de testlijst").click()
        page.get_by_text("Er is een test verzonden naar jan@gent.be.").wait_for()
        assert page.evaluate(SIDEWAYS) <= 0
        assert axe_violations(page) == []
        page.screenshot(path=screens / "mail-editor.png", full_page=True)

    (mail,) = smtp_server.messages
    assert mail["To"].addresses[0].addr_spec == "jan@gent.be"
    assert str(mail["Subject"]).startswith("[TEST] ")
    assert "Fatima" in mail.get_body(("plain",)).get_content()
