"""The image library in chromium at a phone's width: a marketer reaches it from the library
settings, cannot upload without alt text, uploads a photo with it, sees the
thumbnail (served by patronflow itself), then makes it the logo of the brand kit; every
screen fits 375 px and passes axe-core. Screenshots in var/artefacts/images/."""

import shutil
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from playwright.sync_api import expect

from patronflow.mail.brand import brand_for
from patronflow.mail.models import MailImage
from patronflow.members.models import Library
from tests.mail.test_images import photo_with_gps_taken_sideways
from tests.staff.conftest import make_marketer
from tests.staff.phone import fits_and_passes, phone_page

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_marketer_uploads_a_photo_on_a_phone_and_makes_it_the_logo(
    browser, live_server, library, tmp_path
):
    make_marketer(library, "an")
    photo = tmp_path / "tuin.jpg"
    photo.write_bytes(photo_with_gps_taken_sideways())
    screens = Path(django_settings.VAR_DIR) / "artefacts" / "images"
    shutil.rmtree(screens, ignore_errors=True)
    screens.mkdir(parents=True)
    page = phone_page(browser, live_server, "an")

    page.goto(live_server.url + reverse("staff:settings"))
    page.get_by_role("link", name="Afbeeldingen", exact=False).click()
    page.get_by_label("Afbeelding", exact=True).set_input_files(str(photo))
    page.get_by_role("button", name="Opladen").click()
    alt = page.get_by_label("Alt-tekst")
    assert alt.evaluate("input => input.validity.valueMissing")  # the browser asks for it
    assert not MailImage.objects.exists()
    fits_and_passes(page)

    page.get_by_label("Afbeelding", exact=True).set_input_files(str(photo))
    alt.fill("Lezers in de tuin van de bibliotheek")
    page.get_by_role("button", name="Opladen").click()
    page.get_by_text("De afbeelding staat bij je afbeeldingen.").wait_for()
    thumbnail = page.get_by_role("img", name="Lezers in de tuin van de bibliotheek")
    expect(thumbnail).to_have_js_property("naturalWidth", 160)  # loaded, and upright
    fits_and_passes(page)
    page.screenshot(path=screens / "images-375.png", full_page=True)

    page.get_by_role("link", name="Huisstijl", exact=False).click()
    page.get_by_label("Lezers in de tuin van de bibliotheek").check()
    page.get_by_label("Huiskleur").fill("#b3261e")
    page.get_by_label("Voettekst").fill("Kouter 1, 9000 Gent\nOpen di-za 10-18 uur")
    page.get_by_role("button", name="Bewaren").click()
    page.get_by_text("De huisstijl is bewaard").wait_for()
    worn_logo = page.get_by_test_id("worn-logo")
    expect(worn_logo).to_have_js_property("naturalWidth", 200)
    fits_and_passes(page)
    page.screenshot(path=screens / "brand-375.png", full_page=True)

    image = MailImage.objects.get(library=library)
    brand = brand_for(Library.objects.get(pk=library.pk))
    assert (brand.colour, brand.footer_lines) == (
        "#b3261e",
        ("Kouter 1, 9000 Gent", "Open di-za 10-18 uur"),
    )
    assert brand.logo_url.endswith(f"/t/i/{image.key}.jpg")
