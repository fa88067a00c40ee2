"""Journeys that start on an event: what a definition may say about it, and that it survives
export and install unchanged."""

import pytest
from django.utils import translation

from patronflow.journeys.definitions import (
    InvalidJourney,
    dump_definition,
    export_definition,
    install_journey,
    normalise,
    parse_definition,
)
from patronflow.journeys.diffs import definition_changes
from patronflow.privacy.models import AuditEntry
from tests.journeys.helpers import definition, step


def event_definition(**fields) -> dict:
    info = step("Praktische info", 0, subject="{{ event.name }}")
    reminder = {
        **step("Herinnering", 1, subject="Morgen: {{ event.name }}"),
        "wait_from": "before_event",
        "event_property": "starts_at",
    }
    fields = {"on_event": "activity.registered", **fields}
    return definition(key="activity-info", steps=[info, reminder], **fields)


def refusal(changed: dict) -> InvalidJourney:
    with pytest.raises(InvalidJourney) as refused:
        normalise(changed)
    return refused.value


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_an_event_journey_exports_and_installs_back_unchanged(library, fmt):
    journey = install_journey(library, event_definition()).journey

    exported = export_definition(journey)
    again = install_journey(library, parse_definition(dump_definition(exported, fmt)))

    assert exported["on_event"] == "activity.registered"
    assert exported["steps"][1]["wait_from"] == "before_event"
    assert exported["steps"][1]["event_property"] == "starts_at"
    assert "event_property" not in exported["steps"][0]
    assert again.outcome == "unchanged"
    version = journey.current_version
    assert version.on_event == "activity.registered"
    assert version.steps.get(position=2).event_property == "starts_at"


def test_an_ordinary_journey_exports_without_event_fields(library):
    exported = export_definition(library.journeys.get(key="welcome"))

    assert "on_event" not in exported
    assert all("event_property" not in step for step in exported["steps"])


@pytest.mark.parametrize("on_event", ["Activity.Registered", "activity registered", 3, "a..b"])
def test_an_event_type_is_lowercase_words_joined_by_dots(on_event):
    problem = refusal(event_definition(on_event=on_event))

    assert problem.field == ("on_event",)
    assert "activity.registered" in problem.reason


def test_a_broadcast_cannot_start_on_an_event():
    broadcast = definition(
        key="boekenweek",
        kind="broadcast",
        send_at="2026-06-03T10:00:00+02:00",
        on_event="activity.registered",
    )

    problem = refusal(broadcast)

    assert problem.field == ("on_event",)
    assert "broadcast" in problem.reason


def test_a_wait_before_the_event_needs_a_journey_that_starts_on_one():
    without_event = event_definition()
    del without_event["on_event"]

    problem = refusal(without_event)

    assert problem.field == ("steps", 1, "wait_from")
    assert "event" in problem.reason


@pytest.mark.parametrize("name", [None, "", "Starts-At", "1st", "starts at"])
def test_a_wait_before_the_event_names_the_property_holding_the_moment(name):
    changed = event_definition()
    changed["steps"][1]["event_property"] = name

    problem = refusal(changed)

    assert problem.field == ("steps", 1, "event_property")
    assert "starts_at" in problem.reason


def test_a_property_on_a_wait_from_entry_is_refused_rather_than_ignored():
    changed = event_definition()
    changed["steps"][0]["event_property"] = "starts_at"

    problem = refusal(changed)

    assert problem.field == ("steps", 0, "event_property")


def test_an_after_event_wait_is_kept():
    changed = event_definition()
    changed["steps"][1]["wait_from"] = "after_event"

    assert normalise(changed)["steps"][1]["wait_from"] == "after_event"


def test_the_change_list_names_the_event_and_the_moment(library):
    before = normalise(event_definition())
    after = normalise(event_definition(on_event="activity.booked"))
    after["steps"][1] |= {"wait_from": "after_event", "event_property": "ends_at", "wait_days": 2}

    with translation.override("en"):
        texts = [change.text for change in definition_changes(before, after)]

    assert any("activity.registered" in t and "activity.booked" in t for t in texts)
    assert any("1 days before the event's starts_at" in t and "ends_at" in t for t in texts)


def test_the_audit_log_records_a_change_of_event_and_moment(library):
    install_journey(library, event_definition())
    changed = event_definition(on_event="activity.booked")
    changed["steps"][1]["event_property"] = "ends_at"

    install_journey(library, changed)

    entry = AuditEntry.objects.filter(subject="journey activity-info").latest("pk")
    assert entry.changes["on_event"] == ["activity.registered", "activity.booked"]
    assert entry.changes["mail 2: event_property"] == ["starts_at", "ends_at"]
