"""The calendar in chromium: asked for with Bereken, calculated by a thread of the server (no
broker) while the page polls, then a week per row at a desktop's width, one day under the
other at a phone's, nothing scrolling sideways, axe-core clean; opened again, it is there at
once. While a worker runs it, the page shows the days done as they grow, then the calendar.
Screenshots in var/artefacts/calendar/."""

import shutil
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from patronflow.operations.calendar_runs import progress_key, run_calendar
from patronflow.operations.models import CalendarRun
from tests.accessibility import axe_violations
from tests.browsers import chromium
from tests.factories import MemberFactory
from tests.journeys.helpers import install, only, step
from tests.staff.conftest import make_marketer
from tests.staff.test_every_page import DESKTOP, PHONE, SIDEWAYS, log_in

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def server(live_server, settings):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    return live_server


def test_the_calendar_is_a_grid_on_a_desktop_and_a_list_on_a_phone(chromium_path, server, library):
    only(library)
    journey = install(library, steps=[step("Welkom", 0), step("Tweede mail", 2)]).journey
    for _ in range(4):
        MemberFactory(library=library)
    make_marketer(library, "an")
    screens = Path(django_settings.VAR_DIR) / "artefacts" / "calendar"
    shutil.rmtree(screens, ignore_errors=True)
    screens.mkdir(parents=True)

    with chromium(chromium_path) as browser:
        page = browser.new_page(locale="nl-BE")
        log_in(page, server.url, "an")
        page.wait_for_url(f"{server.url}/staff/")
        page.goto(server.url + reverse("staff:journey", args=[journey.pk]))
        page.get_by_role("link", name="Kalender", exact=False).click()
        expect(page.get_by_text("nog geen kalender berekend", exact=False)).to_be_visible()
        page.get_by_role("button", name="Bereken").click()
        days = page.locator("li.calendar-day")
        days.first.wait_for()  # the polling brought the calendar (30 days by default)
        assert days.count() == 30
        expect(page.get_by_text("Berekend op", exact=False)).to_be_visible()
        assert page.get_by_text("Mail 1 · Alle anderen").first.is_visible()

        page.set_viewport_size({"width": DESKTOP, "height": 900})
        boxes = [days.nth(n).bounding_box() for n in range(8)]
        assert page.evaluate(SIDEWAYS) <= 0
        assert len({round(box["y"]) for box in boxes}) == 2  # eight days: two week rows
        assert all(box["width"] < DESKTOP / 7 for box in boxes)
        page.screenshot(path=screens / "calendar-1280.png", full_page=True)

        page.set_viewport_size({"width": PHONE, "height": 800})
        boxes = [days.nth(n).bounding_box() for n in range(3)]
        assert boxes[0]["x"] == boxes[1]["x"] == boxes[2]["x"]
        assert boxes[0]["y"] < boxes[1]["y"] < boxes[2]["y"]
        assert page.evaluate(SIDEWAYS) <= 0
        assert axe_violations(page) == []
        page.screenshot(path=screens / "calendar-375.png", full_page=True)

        page.reload()  # kept: shown at once
        assert days.count() == 30
        page.set_viewport_size({"width": DESKTOP, "height": 900})
        page.get_by_label("Aantal dagen vooruit").select_option("7")
        page.get_by_role("button", name="Bereken", exact=True).click()
        expect(days).to_have_count(7)


def test_the_page_shows_the_days_done_then_the_calendar(chromium_path, server, library):
    only(library)
    journey = install(library, steps=[step("Welkom", 0)]).journey
    MemberFactory(library=library)
    make_marketer(library, "an")
    # A run a worker has taken up: the page polls it and the cache says how far it is.
    run = CalendarRun.objects.create(
        journey=journey,
        version=journey.current_version.number,
        first_day=timezone.localdate(),
        days=7,
    )
    cache.set(progress_key(run.pk), 2)
    screens = Path(django_settings.VAR_DIR) / "artefacts" / "calendar"
    screens.mkdir(parents=True, exist_ok=True)

    with chromium(chromium_path) as browser:
        page = browser.new_page(locale="nl-BE", viewport={"width": PHONE, "height": 800})
        log_in(page, server.url, "an")
        page.wait_for_url(f"{server.url}/staff/")
        page.goto(server.url + reverse("staff:journey_calendar", args=[journey.pk]))
        progress = page.locator("#calendar-progress")
        expect(progress).to_contain_text("2 van 7 klaar")
        assert page.evaluate(SIDEWAYS) <= 0
        assert axe_violations(page) == []
        page.screenshot(path=screens / "calendar-progress-375.png", full_page=True)

        cache.set(progress_key(run.pk), 5)
        expect(progress).to_contain_text("5 van 7 klaar")  # htmx asked again
        run_calendar(run_id=run.pk)
        expect(page.locator("li.calendar-day")).to_have_count(7)
        expect(progress).to_have_count(0)
