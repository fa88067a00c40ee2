"""Lists and sign-up in chromium at a phone's width: a marketer adds a list on the Lists
screen and moves it up, its page shows the form to copy, a standard list's page says why it
cannot be removed; a visitor signs up on the hosted form and confirms from the mail that
reaches a real SMTP server. Every page fits 375 px and passes axe-core. Screenshots in
var/artefacts/lists/."""

import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from playwright.sync_api import expect

from patronflow.choices.models import Contact, MailingList
from tests.accessibility import axe_violations
from tests.browsers import chromium
from tests.staff.conftest import make_marketer
from tests.staff.test_every_page import PHONE, SIDEWAYS, log_in

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def server(live_server, settings):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    settings.BASE_URL = live_server.url
    return live_server


@pytest.fixture
def screens() -> Path:
    folder = Path(django_settings.VAR_DIR) / "artefacts" / "lists"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def check(page, screens: Path, name: str) -> None:
    assert page.evaluate(SIDEWAYS) <= 0, name
    assert axe_violations(page) == [], name
    page.screenshot(path=screens / f"{name}.png", full_page=True)


def test_a_marketer_adds_a_list_and_a_visitor_signs_up_for_it(
    chromium_path, server, library, smtp_server, screens
):
    make_marketer(library, "an")
    with chromium(chromium_path) as browser:
        page = browser.new_page(locale="nl-BE")
        page.set_viewport_size({"width": PHONE, "height": 800})
        log_in(page, server.url, "an")
        page.wait_for_url(f"{server.url}/staff/")
        page.goto(server.url + reverse("staff:lists"))
        expect(page.get_by_role("heading", name="Lijsten", level=1)).to_be_visible()
        page.get_by_label("Naam (Nederlands)").fill("Activiteiten")
        page.get_by_label("Naam (Engels)").fill("Activities")
        page.get_by_label("Alleen wie zich inschrijft", exact=False).check()
        page.get_by_role("button", name="Lijst toevoegen").click()
        expect(page.get_by_text("De lijst Activiteiten is toegevoegd.")).to_be_visible()
        expect(page.get_by_label("Formulier in het Nederlands")).to_be_visible()
        check(page, screens, "list")

        page.locator(".crumbs a").click()
        page.get_by_role("button", name="Omhoog (Activiteiten)").click()
        expect(page.get_by_role("button", name="Omlaag (Activiteiten)")).to_be_visible()
        check(page, screens, "lists")
        newsletter = MailingList.objects.get(library=library, key="newsletter")
        page.goto(server.url + reverse("staff:list", args=[newsletter.pk]))
        expect(page.get_by_test_id("list-kept")).to_contain_text("standaardlijsten")
        check(page, screens, "list-kept")
        page.goto(server.url + reverse("staff:lists"))
        expect(page.get_by_role("heading", name="Lijsten", level=1)).to_be_visible()
        made = MailingList.objects.get(library=library, key="activiteiten")
        order = list(
            MailingList.objects.filter(library=library)
            .order_by("position")
            .values_list("key", flat=True)
        )
        assert order.index("activiteiten") == len(order) - 2

        visitor = browser.new_page(locale="nl-BE")
        visitor.set_viewport_size({"width": PHONE, "height": 800})
        visitor.goto(server.url + reverse("tracking:signup", args=["gent", made.key]))
        expect(visitor.get_by_role("heading", name="Inschrijven: Activiteiten")).to_be_visible()
        check(visitor, screens, "signup")
        visitor.get_by_label("Je e-mailadres").fill("lotte@example.org")
        visitor.get_by_role("button", name="Schrijf me in").click()
        expect(visitor.get_by_role("heading", name="Kijk in je mailbox")).to_be_visible()
        check(visitor, screens, "signup-sent")

        (mail,) = smtp_server.messages
        link = re.search(r"http\S+/t/j/confirm/\S+", mail.get_body(("plain",)).get_content())
        visitor.goto(link.group(0))
        check(visitor, screens, "signup-confirm")
        visitor.get_by_role("button", name="Ja, ik wil deze mails ontvangen").click()
        expect(visitor.get_by_role("heading", name="Je bent ingeschreven")).to_be_visible()
        check(visitor, screens, "signup-confirmed")

    assert Contact.objects.get(email="lotte@example.org").confirmed_at is not None
