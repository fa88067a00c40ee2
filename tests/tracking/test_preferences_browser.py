"""The preference page in chromium, reached the way a member reaches it: through the footer
link of a mail rendered for them. At 375 and 1280 px it fits, passes axe-core, saves the
choices and shows them again, withdraws the left list's queued mail (and only that one),
stops all mail and takes that back. Screenshots in var/artefacts/preferences/
(preferences-375.png and preferences-1280.png are copied into docs/screenshots/)."""

import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from playwright.sync_api import expect

from patronflow.choices.models import ConsentRecord
from patronflow.journeys.models import Enrolment
from patronflow.mail.models import BrandKit, Message
from patronflow.mail.rendering import render_mail
from tests.accessibility import axe_violations
from tests.browsers import chromium
from tests.tracking.test_preferences import on_two_lists

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
PHONE, DESKTOP = 375, 1280
SIDEWAYS = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.fixture
def screens() -> Path:
    folder = Path(django_settings.VAR_DIR) / "artefacts" / "preferences"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def footer_link(message: Message) -> str:
    """The preference link in the footer of the member's mail, as rendered for them."""
    mail = render_mail(
        message_id=message.pk,
        member=message.enrolment.member,
        library=message.library,
        subject=message.variant.subject,
        preheader="",
        body="<p>Dag {{ first_name }}</p>",
        reading_tips=[],
    )
    [link] = re.findall(r'<a href="([^"]+)"[^>]*>Kies welke mails', mail.html)
    return link


def fits_and_passes(page) -> None:
    assert page.evaluate(SIDEWAYS) <= 0, page.url
    assert axe_violations(page) == [], page.url


def save(page) -> None:
    page.get_by_role("button", name="Bewaar mijn keuzes").click()
    expect(page.get_by_role("status")).to_have_text("Je keuzes zijn bewaard.")


def test_a_member_chooses_their_mails_on_a_phone_and_a_desktop(
    chromium_path, live_server, library, settings, screens
):
    settings.BASE_URL = live_server.url
    BrandKit.objects.create(library=library, colour="#8a2c4f")
    member, first, second, news = on_two_lists(library)
    url = footer_link(first)
    assert url.startswith(f"{live_server.url}/t/p/")

    with chromium(chromium_path) as browser:
        page = browser.new_page(locale="nl-BE")
        page.set_viewport_size({"width": PHONE, "height": 800})
        page.goto(url)
        expect(page.get_by_role("heading", name="Kies welke mails je krijgt")).to_be_visible()
        expect(page.get_by_label("Welkomstmails")).to_be_checked()
        expect(page.get_by_label("Nieuwsbrief")).to_be_checked()
        membership = page.get_by_label("Berichten over je lidmaatschap")
        expect(membership).to_be_checked()
        expect(membership).to_be_disabled()
        expect(page.get_by_label("Geen mails meer van de bibliotheek")).not_to_be_checked()
        fits_and_passes(page)
        page.screenshot(path=screens / "preferences-375.png", full_page=True)

        # Leaving the welcome list: its queued mail is withdrawn, the newsletter's is kept.
        page.get_by_label("Welkomstmails").uncheck()
        save(page)
        fits_and_passes(page)
        page.screenshot(path=screens / "preferences-saved-375.png", full_page=True)
        page.goto(url)  # shown again as saved
        expect(page.get_by_label("Welkomstmails")).not_to_be_checked()
        expect(page.get_by_label("Nieuwsbrief")).to_be_checked()
        second.refresh_from_db()
        news.refresh_from_db()
        assert (second.status, news.status) == (Message.Status.SUPPRESSED, Message.Status.QUEUED)

        # No more mails at all: everything stops, the service list too.
        page.get_by_label("Geen mails meer van de bibliotheek").check()
        save(page)
        expect(page.get_by_text("Je krijgt nu geen mails van Bibliotheek Gent")).to_be_visible()
        expect(page.get_by_label("Berichten over je lidmaatschap")).not_to_be_checked()
        fits_and_passes(page)
        page.screenshot(path=screens / "preferences-stopped-375.png", full_page=True)
        member.refresh_from_db()
        assert member.unsubscribed_at is not None
        assert not Enrolment.objects.filter(member=member, status="active").exists()

        # ... and taken back on the same page.
        page.get_by_label("Geen mails meer van de bibliotheek").uncheck()
        save(page)
        expect(page.get_by_label("Berichten over je lidmaatschap")).to_be_checked()
        expect(page.get_by_label("Welkomstmails")).not_to_be_checked()
        member.refresh_from_db()
        assert member.unsubscribed_at is None
        assert list(ConsentRecord.objects.order_by("pk").values_list("choice", flat=True)) == [
            "left",
            "stopped_all",
            "resumed_all",
        ]

        wide = browser.new_page(locale="nl-BE")
        wide.set_viewport_size({"width": DESKTOP, "height": 900})
        wide.goto(url)
        expect(wide.get_by_role("heading", name="Kies welke mails je krijgt")).to_be_visible()
        fits_and_passes(wide)
        wide.screenshot(path=screens / "preferences-1280.png", full_page=True)

        forged = url[: url.rindex(":") + 1] + "A" * 43
        response = wide.goto(forged)
        assert response.status == 404
        expect(wide.get_by_role("heading", name="Deze link werkt niet (meer)")).to_be_visible()
    assert ConsentRecord.objects.count() == 3


def test_the_page_reads_without_a_script_and_in_english_for_an_english_mail(
    chromium_path, live_server, library, settings
):
    settings.BASE_URL = live_server.url
    _, first, _, _ = on_two_lists(library)
    first.step.version.language = "en"
    first.step.version.save()

    with chromium(chromium_path) as browser:
        context = browser.new_context(locale="nl-BE", java_script_enabled=False)
        page = context.new_page()
        page.set_viewport_size({"width": PHONE, "height": 800})
        page.goto(footer_link(first))
        page.get_by_label("Newsletter").uncheck()
        page.get_by_role("button", name="Save my choices").click()
        expect(page.get_by_role("status")).to_have_text("Your choices have been saved.")
        expect(page.get_by_label("Newsletter")).not_to_be_checked()
        expect(page.locator("html")).to_have_attribute("lang", "en")
    assert ConsentRecord.objects.get().list_name == "Nieuwsbrief"
