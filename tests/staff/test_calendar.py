"""The dry run's calendar: the figures of `patronflow simulate` for the same days, in words,
day by day; mails that wait for a closed send window show as waiting on the weekend and as
sent on Monday; a broadcast's mail on its day; the period is bounded. It is calculated away
from the request: the page shows day k of N (htmx polls a small part of it), then the
calendar, kept so that opening the page again shows it at once; a failure says so."""

import datetime as dt
import re
from html import unescape

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse

from patronflow.journeys.models import Journey
from patronflow.operations import calendar_runs
from patronflow.operations.calendar_runs import progress_key, run_calendar
from patronflow.operations.dry_run import simulate
from patronflow.operations.libraries import change_library
from patronflow.operations.models import CalendarRun
from tests.factories import TODAY, MemberFactory, at
from tests.journeys.helpers import install, only, step
from tests.journeys.test_broadcasts import WEDNESDAY, boekenweek, readers
from tests.operations.test_dry_run import a_library_month

pytestmark = pytest.mark.django_db

THURSDAY = TODAY + dt.timedelta(days=3)  # TODAY is a Monday


def text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def calendar_days(page: str) -> dict[str, dict[str, str]]:
    """Each day of the calendar: what it says under each heading."""
    days = {}
    for day, body in re.findall(
        r'<li class="calendar-day[^"]*" data-day="([^"]+)">(.*?)</li>', page, re.S
    ):
        pairs = re.findall(r"<dt>(.*?)</dt><dd[^>]*>(.*?)</dd>", body, re.S)
        days[day] = {text(label): text(value) for label, value in pairs}
    return days


def calendar_url(journey: Journey, days: int | None = None) -> str:
    url = reverse("staff:journey_calendar", args=[journey.pk])
    return f"{url}?days={days}" if days else url


def calculated(client, journey: Journey, days: int) -> str:
    """Ask for the calendar, run what a worker would, and open the page again."""
    response = client.post(calendar_url(journey), {"days": days})
    assert response.status_code == 302 and response.url == calendar_url(journey, days)
    run_calendar(run_id=CalendarRun.objects.get(journey=journey, days=days, status="running").pk)
    return client.get(response.url).content.decode()


def test_the_calendar_shows_what_simulate_finds_for_the_same_days(staff_client, library):
    a_library_month(library)
    dormant = library.journeys.get(key="dormant")
    last = TODAY + dt.timedelta(days=6)

    with time_machine.travel(at(TODAY, 8), tick=False):
        expected = simulate(dormant, TODAY, last)
        page = calculated(staff_client, dormant, 7)

    shown = calendar_days(page)
    assert list(shown) == [day.day.isoformat() for day in expected]
    labels = {
        "1/default": "Mail 1 · Alle anderen",
        "1/fiction_digital": "Mail 1 · Fictie, digitaal",
    }
    for day in expected:
        figures = shown[day.day.isoformat()]
        for key, count in day.mails.items():
            assert figures[labels[key]] == f"{count} verzonden", (day.day, key)
        sent = sum(int(v.split()[0]) for k, v in figures.items() if k.startswith("Mail "))
        assert sent == sum(day.mails.values())
        assert figures.get("Ingestapt", "0").split()[0] == str(day.entered)
        assert figures.get("Wacht op het verzendvenster of een plafond", "0") == str(day.waiting)
        assert figures.get("Niet te mailen", "0") == str(day.not_mailable)
    total_sent = sum(sum(day.mails.values()) for day in expected)
    assert total_sent > 0
    totals = re.search(r'data-testid="calendar-totals">(.*?)</dl>', page, re.S)[1]
    assert f"Verzonden mails {total_sent} " in text(totals) + " "


def test_mails_due_on_a_weekend_wait_until_monday_when_the_window_is_closed(staff_client, library):
    only(library)
    change_library(library, send_window="mon-fri 09:00-18:00")
    journey = install(library, steps=[step("Welkom", 0), step("Tweede mail", 2)]).journey
    for _ in range(3):
        MemberFactory(library=library)

    with time_machine.travel(at(THURSDAY, 8), tick=False):
        page = calculated(staff_client, journey, 7)

    days = calendar_days(page)
    thursday, saturday, sunday, monday = (
        days[(THURSDAY + dt.timedelta(days=n)).isoformat()] for n in (0, 2, 3, 4)
    )
    assert thursday["Mail 1 · Alle anderen"] == "3 verzonden"
    assert saturday == {"Wacht op het verzendvenster of een plafond": "3"}
    assert sunday == {"Wacht op het verzendvenster of een plafond": "3"}
    assert monday["Mail 2 · Alle anderen"] == "3 verzonden"
    assert "Wacht op het verzendvenster of een plafond" not in monday


def test_a_day_with_nothing_is_greyed_and_says_so(staff_client, library):
    only(library)
    journey = install(library, steps=[step("Welkom", 0)]).journey

    with time_machine.travel(at(THURSDAY, 8), tick=False):
        page = calculated(staff_client, journey, 7)

    assert page.count('class="calendar-day quiet"') == 7
    assert "Niets" in page


def test_the_page_shows_how_far_the_calculation_is_then_the_calendar(staff_client, library):
    journey = library.journeys.get(key="welcome")

    first = staff_client.get(calendar_url(journey)).content.decode()
    asked = staff_client.post(calendar_url(journey), {"days": 14})
    page = staff_client.get(asked.url).content.decode()
    run = CalendarRun.objects.get(journey=journey)
    cache.set(progress_key(run.pk), 3)
    polled = staff_client.get(asked.url, HTTP_HX_REQUEST="true").content.decode()
    run_calendar(run_id=run.pk)
    finished = staff_client.get(asked.url, HTTP_HX_REQUEST="true").content.decode()

    assert "nog geen kalender berekend" in first and "data-day=" not in first
    assert "0 van 14 klaar" in text(page) and "data-day=" not in page
    assert f'hx-get="{calendar_url(journey, 14)}" hx-trigger="every 1s"' in page
    assert "<html" not in polled and "3 van 14 klaar" in text(polled)
    assert 'hx-trigger="every 1s"' in polled
    assert "<html" not in finished and finished.count("data-day=") == 14
    assert "hx-trigger" not in finished  # the polling stops
    assert "Berekend op" in finished


def test_opening_the_page_again_shows_the_kept_calendar_at_once(staff_client, library):
    journey = library.journeys.get(key="welcome")
    calculated(staff_client, journey, 7)

    again = staff_client.get(calendar_url(journey)).content.decode()

    assert again.count("data-day=") == 7
    assert "Berekend op" in again and "versie 1" in again
    assert CalendarRun.objects.count() == 1  # nothing calculated again
    assert '<option value="7" selected>' in again
    assert staff_client.get(calendar_url(journey, 30)).content.decode().count("data-day=") == 0


def test_asking_twice_while_it_runs_starts_one_calculation(staff_client, library):
    journey = library.journeys.get(key="welcome")

    staff_client.post(calendar_url(journey), {"days": 7})
    fragment = staff_client.post(calendar_url(journey), {"days": 7}, HTTP_HX_REQUEST="true")

    assert CalendarRun.objects.filter(journey=journey).count() == 1
    assert "0 van 7 klaar" in text(fragment.content.decode())


def test_a_failed_calculation_says_so_and_can_be_tried_again(staff_client, library, monkeypatch):
    journey = library.journeys.get(key="welcome")

    def broken(*args, **kwargs):
        raise RuntimeError("de databank antwoordt niet")

    monkeypatch.setattr(calendar_runs, "simulate", broken)
    staff_client.post(calendar_url(journey), {"days": 7})
    run_calendar(run_id=CalendarRun.objects.get().pk)
    page = staff_client.get(calendar_url(journey, 7)).content.decode()

    assert "De berekening is mislukt; de beheerder vindt de details in het logboek." in page
    assert "RuntimeError" not in page and "de databank antwoordt niet" not in page
    assert "Druk op Bereken om het opnieuw te proberen" in page
    assert "hx-trigger" not in page
    monkeypatch.undo()
    assert calculated(staff_client, journey, 7).count("data-day=") == 7


def test_a_calculation_whose_process_stopped_says_so(staff_client, library):
    journey = library.journeys.get(key="welcome")
    staff_client.post(calendar_url(journey), {"days": 7})
    CalendarRun.objects.update(started_at=at(TODAY - dt.timedelta(days=1)))

    page = staff_client.get(calendar_url(journey, 7)).content.decode()

    assert "De berekening is gestopt zonder af te ronden." in page


def test_the_period_is_bounded(staff_client, library):
    journey = library.journeys.get(key="welcome")

    page = staff_client.post(calendar_url(journey), {"days": 365}).content.decode()

    assert "data-day=" not in page
    assert 'id="id_days_problem"' in page
    assert not CalendarRun.objects.exists()


def test_the_journey_page_links_to_its_calendar(staff_client, library):
    journey = library.journeys.get(key="welcome")
    page = staff_client.get(reverse("staff:journey", args=[journey.pk])).content.decode()
    assert f'href="{calendar_url(journey)}"' in page


def test_a_broadcasts_calendar_shows_its_mail_on_its_day_only(staff_client, library):
    only(library)
    broadcast = boekenweek(library)
    readers(library, 4)

    with time_machine.travel(at(TODAY, 8), tick=False):
        page = calculated(staff_client, broadcast, 7)

    days = calendar_days(page)
    wednesday = days[WEDNESDAY.isoformat()]
    assert wednesday["Mail 1 · Alle anderen"] == "4 verzonden"
    assert wednesday["Ingestapt"] == "4"
    assert all(not figures for day, figures in days.items() if day < WEDNESDAY.isoformat())
