"""Where a marketer sets the holdout, the journey page says what it can find out: the
smallest effect found in 30, 60 and 90 days, and a warning when that is nothing useful."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from patronflow.journeys.models import Journey
from patronflow.reports.estimators import detectable_effect
from patronflow.staff.holdout_power import DEFAULT_BASE_RATE, HoldoutPower, Horizon, holdout_power
from tests.factories import EnrolmentFactory, LoanFactory, VisitFactory, at

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 1)


def entries(journey, count: int, day: dt.date) -> list:
    return [EnrolmentFactory(journey=journey, entered_on=day) for _ in range(count)]


def test_the_pace_of_entries_and_the_past_share_coming_back_set_the_groups(library):
    welcome = Journey.objects.get(library=library, key="welcome")
    # 300 members entered 45 days ago: over 45 days, 20/3 a day; 60 of them came back within
    # 30 days (45 borrowed, 15 visited), 3 more only after 30 days.
    entered = entries(welcome, 300, TODAY - dt.timedelta(days=45))
    for enrolment in entered[:45]:
        LoanFactory(member=enrolment.member, loaned_on=enrolment.entered_on + dt.timedelta(days=10))
    for enrolment in entered[45:60]:
        VisitFactory(
            member=enrolment.member, visited_on=enrolment.entered_on + dt.timedelta(days=30)
        )
    for enrolment in entered[60:63]:
        LoanFactory(member=enrolment.member, loaned_on=enrolment.entered_on + dt.timedelta(days=31))

    power = holdout_power(welcome, percent=25, today=TODAY)

    assert power.per_day == pytest.approx(300 / 45)
    assert (power.base_rate, power.base_from_past) == (60 / 300, True)
    # 30 days: 200 members enter, 50 held out; 60 days: 400, 100; 90 days: 600, 150.
    assert [(h.days, h.mailed, h.held_out) for h in power.horizons] == [
        (30, 150, 50), (60, 300, 100), (90, 450, 150),
    ]  # fmt: skip
    for horizon in power.horizons:
        assert horizon.effect == detectable_effect(
            mailed=horizon.mailed, held_out=horizon.held_out, base_rate=0.2
        )
    assert power.horizons[0].effect > power.horizons[2].effect  # more members, smaller effects
    assert power.too_small  # not even 10 points would show in 90 days at 25% of 6.7 a day


def test_a_new_journey_counts_its_audience_entering_at_once_with_the_default_share(library):
    welcome = Journey.objects.get(library=library, key="welcome")

    power = holdout_power(welcome, percent=10, today=TODAY)

    assert power.per_day is None
    assert (power.base_rate, power.base_from_past) == (DEFAULT_BASE_RATE, False)
    assert len({(h.mailed, h.held_out) for h in power.horizons}) == 1  # the same group throughout


def test_the_page_warns_when_the_holdout_is_too_small_to_learn_anything(staff_client, library):
    welcome = Journey.objects.get(library=library, key="welcome")
    entries(welcome, 30, TODAY - dt.timedelta(days=60))  # half a member a day
    url = reverse("staff:journey", args=[welcome.pk])

    with time_machine.travel(at(TODAY, 10), tick=False):
        page = staff_client.get(url, {"holdout_percent": 5}).content.decode()
        zero = staff_client.get(url, {"holdout_percent": 0}).content.decode()

    assert "Wat een controlegroep van 5% kan aantonen" in page
    assert "Te klein om iets te leren" in page
    assert "Niemand zit in de controlegroep" in zero


def test_a_holdout_that_can_find_under_10_points_in_90_days_gives_no_warning():
    horizons = (Horizon(30, 900, 900, 0.15), Horizon(60, 1800, 1800, 0.11))
    found = HoldoutPower(50, 20.0, 1800, 0.3, True, (*horizons, Horizon(90, 2700, 2700, 0.09)))
    not_found = HoldoutPower(50, 20.0, 1800, 0.3, True, (*horizons, Horizon(90, 2700, 2700, None)))

    assert not found.too_small
    assert not_found.too_small


def test_the_journey_editor_shows_what_the_holdout_can_find_too(staff_client, library):
    welcome = Journey.objects.get(library=library, key="welcome")

    page = staff_client.get(reverse("staff:studio_edit", args=[welcome.pk])).content.decode()

    power = page.split('data-testid="holdout-power"')[1]
    assert "Niemand zit in de controlegroep" in power  # the fixture holds nobody out
    assert f'hx-get="{reverse("staff:journey", args=[welcome.pk])}"' in page
