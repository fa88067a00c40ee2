"""The dry run's calendar: the figures of `patronflow simulate` for the same days, in words,
day by day; mails that wait for a closed send window show as waiting on the weekend and as
sent on Monday; a broadcast's mail on its day; the period is bounded; htmx gets the calendar
alone."""

import datetime as dt
import re
from html import unescape

import pytest
import time_machine
from django.urls import reverse

from patronflow.journeys.models import Journey
from patronflow.operations.dry_run import simulate
from patronflow.operations.libraries import change_library
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


def test_the_calendar_shows_what_simulate_finds_for_the_same_days(staff_client, library):
    a_library_month(library)
    dormant = library.journeys.get(key="dormant")
    last = TODAY + dt.timedelta(days=6)

    with time_machine.travel(at(TODAY, 8), tick=False):
        expected = simulate(dormant, TODAY, last)
        page = staff_client.get(calendar_url(dormant, 7)).content.decode()

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
        assert figures.get("Ingetreden", "0").split()[0] == str(day.entered)
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
        page = staff_client.get(calendar_url(journey, 7)).content.decode()

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
        page = staff_client.get(calendar_url(journey, 7)).content.decode()

    assert page.count('class="calendar-day quiet"') == 7
    assert "Niets" in page


def test_the_page_asks_for_the_calendar_with_htmx_and_shows_it_is_calculating(
    staff_client, library
):
    journey = library.journeys.get(key="welcome")

    page = staff_client.get(calendar_url(journey)).content.decode()
    fragment = staff_client.get(calendar_url(journey, 14), HTTP_HX_REQUEST="true")

    assert f'hx-get="{calendar_url(journey, 30)}"' in page and 'hx-trigger="load"' in page
    assert "Bezig met berekenen" in page
    assert "data-day=" not in page  # nothing calculated before it is asked for
    body = fragment.content.decode()
    assert "<html" not in body and body.count("data-day=") == 14


def test_the_period_is_bounded(staff_client, library):
    journey = library.journeys.get(key="welcome")

    page = staff_client.get(calendar_url(journey, 365)).content.decode()

    assert "data-day=" not in page
    assert 'id="id_days_problem"' in page


def test_the_journey_page_links_to_its_calendar(staff_client, library):
    journey = library.journeys.get(key="welcome")
    page = staff_client.get(reverse("staff:journey", args=[journey.pk])).content.decode()
    assert f'href="{calendar_url(journey)}"' in page


def test_a_broadcasts_calendar_shows_its_mail_on_its_day_only(staff_client, library):
    only(library)
    broadcast = boekenweek(library)
    readers(library, 4)

    with time_machine.travel(at(TODAY, 8), tick=False):
        page = staff_client.get(calendar_url(broadcast, 7)).content.decode()

    days = calendar_days(page)
    wednesday = days[WEDNESDAY.isoformat()]
    assert wednesday["Mail 1 · Alle anderen"] == "4 verzonden"
    assert wednesday["Ingetreden"] == "4"
    assert all(not figures for day, figures in days.items() if day < WEDNESDAY.isoformat())
