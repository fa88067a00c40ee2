"""A reminder may wait on any property name the API accepts in an event (`startsAt` too):
the journeys and the API check one rule."""

import datetime as dt
import re

import pytest

from patronflow.api.schemas import PROPERTY_NAME
from patronflow.journeys.definitions import MAX_WAIT_DAYS, InvalidJourney, normalise
from patronflow.journeys.models import Enrolment, Version
from patronflow.operations.tick import tick
from tests.factories import TODAY, MemberFactory, at
from tests.journeys.event_helpers import registration
from tests.journeys.helpers import definition, install, only, step

FRIDAY = dt.date(2026, 6, 5)


def waiting_on(name: str, wait_days: int = 1) -> dict:
    reminder = {
        **step("Herinnering", wait_days, subject="Morgen: {{ event.name }}"),
        "wait_from": "before_event",
        "event_property": name,
    }
    return definition(
        key="activity-info",
        steps=[step("Praktische info"), reminder],
        on_event="activity.registered",
    )


@pytest.mark.parametrize("name", ["startsAt", "StartsAt", "_begin", "begin_2"])
def test_a_reminder_may_wait_on_any_property_name_the_api_accepts(name):
    assert re.fullmatch(PROPERTY_NAME, name)

    assert normalise(waiting_on(name))["steps"][1]["event_property"] == name


@pytest.mark.parametrize("name", ["Starts-At", "1st", "starts at", "startsAt\n"])
def test_a_name_the_api_refuses_is_refused_as_the_moment_too(name):
    assert not re.fullmatch(PROPERTY_NAME, name)

    with pytest.raises(InvalidJourney) as refused:
        normalise(waiting_on(name))

    assert refused.value.field == ("steps", 1, "event_property")


def test_the_reminder_is_dated_by_a_property_named_in_camel_case(library, smtp_server):
    only(library, "activity-info")
    journey = install(library, **waiting_on("startsAt")).journey
    Version.objects.filter(journey=journey).update(created_at=at(TODAY - dt.timedelta(days=1)))
    member = MemberFactory(library=library)
    registration(member, starts_at=None, startsAt="2026-06-06T14:00:00+02:00")

    tick(at(TODAY, 10))

    assert Enrolment.objects.get(member=member).next_due_on == FRIDAY


def test_a_wait_of_more_than_ten_years_is_refused_as_a_typo():
    assert normalise(waiting_on("starts_at", MAX_WAIT_DAYS))["steps"][1]["wait_days"] == 3_650

    with pytest.raises(InvalidJourney) as refused:
        normalise(waiting_on("starts_at", MAX_WAIT_DAYS + 1))

    assert refused.value.field == ("steps", 1, "wait_days")
