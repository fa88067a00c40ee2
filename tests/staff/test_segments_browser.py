"""The audience builder in chromium: a marketer builds "reads e-books" from rows, sees the
count follow what she ticks and types, and saves it; at a phone's width and a desktop's,
nothing scrolls sideways and axe-core finds nothing. Screenshots in
var/artefacts/audience-builder/."""

import datetime as dt
import shutil
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from patronflow.journeys.models import SavedSegment
from patronflow.profiles.models import ReadingProfile
from tests.accessibility import axe_violations
from tests.browsers import chromium
from tests.factories import MemberFactory
from tests.staff.conftest import make_marketer
from tests.staff.test_every_page import DESKTOP, PHONE, SIDEWAYS, log_in

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def server(live_server, settings):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    return live_server


def readers(library, segment: str, count: int, days_since_activity: int) -> None:
    seen = timezone.localdate() - dt.timedelta(days=days_since_activity)
    for _ in range(count):
        member = MemberFactory(library=library, last_activity_on=seen)
        ReadingProfile.objects.create(member=member, segment=segment)


def fits(page, name: str, screens: Path) -> None:
    for width in (PHONE, DESKTOP):
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate(SIDEWAYS) <= 0, (name, width)
        page.screenshot(path=screens / f"{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": PHONE, "height": 900})
    assert axe_violations(page) == [], name


def test_a_marketer_builds_reads_e_books_and_watches_the_count(chromium_path, server, library):
    readers(library, "fiction_digital", 3, days_since_activity=10)
    readers(library, "nonfiction_digital", 2, days_since_activity=1000)
    readers(library, "fiction_physical", 4, days_since_activity=400)
    readers(library, "nonfiction_physical", 1, days_since_activity=1000)
    make_marketer(library, "an")
    screens = Path(django_settings.VAR_DIR) / "artefacts" / "audience-builder"
    shutil.rmtree(screens, ignore_errors=True)
    screens.mkdir(parents=True)

    with chromium(chromium_path) as browser:
        page = browser.new_page(locale="nl-BE")
        log_in(page, server.url, "an")
        page.wait_for_url(f"{server.url}/staff/")
        page.goto(server.url + reverse("staff:segments"))
        page.get_by_role("link", name="Nieuw segment").click()
        matching = page.locator("#audience-count dd").first
        expect(matching).to_have_text("10")  # no conditions yet: everyone

        page.get_by_label("Naam").fill("Leest e-boeken")
        page.get_by_label("Sleutel").fill("leest-e-boeken")
        page.get_by_label("Welke voorwaarden moeten gelden").select_option("any")
        page.get_by_role("button", name="Voorwaarde toevoegen").click()
        # Choosing the condition shows its field (the page comes back with the row).
        page.get_by_label("Voorwaarde", exact=True).select_option("reading_segments")
        page.get_by_label("Fictie, digitaal", exact=True).check()
        expect(matching).to_have_text("3")
        page.get_by_label("Non-fictie, digitaal", exact=True).check()
        expect(matching).to_have_text("5")

        page.get_by_role("button", name="Voorwaarde toevoegen").last.click()
        page.get_by_label("Voorwaarde", exact=True).last.select_option("active_within_days")
        days = page.get_by_label("Aantal dagen")
        days.press_sequentially("30")
        expect(matching).to_have_text("5")
        days.press_sequentially("0")  # 300 days: the fiction readers of 10 days ago
        expect(matching).to_have_text("5")
        days.fill("730")
        expect(matching).to_have_text("9")  # and the paper readers of 400 days ago
        paper = page.get_by_role("rowheader", name="Fictie, op papier", exact=True)
        expect(page.locator("#audience-count tr", has=paper).locator("td").first).to_have_text("4")
        fits(page, "builder", screens)

        page.get_by_role("button", name="Segment bewaren").click()
        page.wait_for_url(server.url + reverse("staff:segments"))
        assert page.get_by_role("link", name="Leest e-boeken").is_visible()
        fits(page, "segments", screens)

    saved = SavedSegment.objects.get(library=library, key="leest-e-boeken")
    assert saved.conditions == {
        "any": [
            {"reading_segments": ["fiction_digital", "nonfiction_digital"]},
            {"active_within_days": 730},
        ]
    }


def test_a_row_left_half_done_says_so_on_its_field(chromium_path, server, library):
    make_marketer(library, "an")
    with chromium(chromium_path) as browser:
        page = browser.new_page(locale="nl-BE")
        log_in(page, server.url, "an")
        page.wait_for_url(f"{server.url}/staff/")
        page.goto(server.url + reverse("staff:segment_new"))
        page.get_by_label("Naam").fill("Senioren")
        page.get_by_label("Sleutel").fill("senioren")
        page.get_by_role("button", name="Voorwaarde toevoegen").click()
        page.get_by_label("Voorwaarde", exact=True).select_option("min_age")
        expect(page.get_by_label("Leeftijd in jaren")).to_be_focused()

        page.get_by_role("button", name="Segment bewaren").click()

        age = page.get_by_label("Leeftijd in jaren")
        expect(age).to_have_attribute("aria-invalid", "true")
        expect(age).to_have_accessible_description("Geef een geheel getal van 0 of meer.")
        page.set_viewport_size({"width": PHONE, "height": 900})
        assert page.evaluate(SIDEWAYS) <= 0
        assert axe_violations(page) == []
    assert not SavedSegment.objects.exists()
