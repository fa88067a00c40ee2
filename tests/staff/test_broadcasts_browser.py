"""Scheduling and cancelling a broadcast in chromium: the journey page loads who it reaches
under the Content-Security-Policy, and the scheduling and cancelling pages fit a phone and
pass axe-core."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from patronflow.journeys.definitions import install_journey, save_segment
from patronflow.journeys.models import Journey
from tests.factories import MemberFactory
from tests.journeys.helpers import step
from tests.staff.conftest import make_marketer
from tests.staff.phone import fits_and_passes, phone_page

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_marketer_schedules_a_broadcast_after_seeing_its_reach_then_cancels_it(
    browser, live_server, library
):
    make_marketer(library, "an")
    save_segment(library, "lezers", "Lezers", {"active_within_days": 30})
    for _ in range(4):
        MemberFactory(library=library, last_activity_on=timezone.localdate())
    moment = library.send_window.next_opening(timezone.now() + dt.timedelta(days=3))
    journey = install_journey(
        library,
        {
            "key": "boekenweek",
            "name": "Boekenweek",
            "kind": "broadcast",
            "send_at": moment.isoformat(),
            "entry": {"segment": "lezers"},
            "steps": [step("Boekenweek", 0)],
        },
    ).journey
    page = phone_page(browser, live_server, "an")

    page.goto(f"{live_server.url}/staff/journeys/{journey.pk}/")
    expect(page.get_by_test_id("reach-mailed")).to_have_text("4")  # htmx, under the CSP
    fits_and_passes(page)

    page.get_by_role("link", name="Inplannen…").click()
    expect(page.get_by_role("heading", name="Boekenweek inplannen?")).to_be_visible()
    expect(page.get_by_test_id("reach-mailed")).to_have_text("4")
    fits_and_passes(page)
    page.get_by_role("button", name="Inplannen", exact=True).click()
    page.get_by_text("Boekenweek is ingepland.").wait_for()
    journey.refresh_from_db()
    assert journey.status == Journey.Status.ACTIVE

    page.get_by_role("link", name="Deze verzending annuleren…").click()
    expect(page.get_by_role("heading", name="Boekenweek annuleren?")).to_be_visible()
    fits_and_passes(page)
    page.get_by_role("button", name="Verzending annuleren").click()
    page.get_by_text("Boekenweek is niet langer ingepland").wait_for()
    journey.refresh_from_db()
    assert journey.status == Journey.Status.DRAFT


def test_a_refused_activation_says_why_with_links_and_fits_a_phone(browser, live_server, library):
    make_marketer(library, "an")
    library.privacy_url = ""
    library.save()
    journey = install_journey(
        library,
        {
            "key": "iedereen",
            "name": "Iedereen",
            "entry": {"min_age": 200},
            "steps": [step("Hallo")],
        },
    ).journey
    page = phone_page(browser, live_server, "an")

    page.goto(f"{live_server.url}/staff/journeys/{journey.pk}/")
    page.get_by_role("button", name="Activeren").click()

    refusals = page.get_by_test_id("refusals")
    assert "privacyverklaring" in refusals.inner_text()
    assert "Niemand wordt bereikt" in refusals.inner_text()
    assert refusals.get_by_role("link", name="Vul het in bij de instellingen").first.is_visible()
    fits_and_passes(page)
