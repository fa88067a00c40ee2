"""Builders for the tests of journeys that start on an event: the journey, and an event as
the API stores it."""

import datetime as dt

from patronflow.journeys.models import Journey, Version
from patronflow.members.models import Member, MemberEvent
from tests.factories import TODAY, at
from tests.journeys.helpers import install, only, step

INFO_SUBJECT = "Praktisch: {{ event.name }} op {{ event.starts_at }}"


def install_activity_journey(library, *, made_at: dt.datetime | None = None, **fields) -> Journey:
    """An active journey on activity.registered: practical information right away, a
    reminder the day before `starts_at`; the only active journey of the library. Made on the
    morning of the day before TODAY unless `made_at` says otherwise."""
    only(library, "activity-info")
    info = step("Praktische info", 0, subject=INFO_SUBJECT)
    info["variants"][0]["body"] = (
        "<p>Dag {{ first_name }}, je bent ingeschreven voor {{ event.name }}.</p>"
        "<p>Wanneer: {{ event.starts_at }}. Waar: {{ event.place }}.</p>"
        '<p><a href="{{ event.link }}">Meer over de activiteit</a></p>'
    )
    reminder = {
        **step("Herinnering", fields.pop("reminder_days", 1), subject="Morgen: {{ event.name }}"),
        "wait_from": fields.pop("reminder_from", "before_event"),
        "event_property": "starts_at",
    }
    journey = install(
        library,
        "activity-info",
        steps=[info, reminder],
        on_event="activity.registered",
        **fields,
    ).journey
    made_at = made_at or at(TODAY - dt.timedelta(days=1), 8)
    Version.objects.filter(journey=journey).update(created_at=made_at)
    return journey


def registration(
    member: Member,
    starts_at: str | None = "2026-06-06T14:00:00+02:00",
    *,
    received_at: dt.datetime | None = None,
    occurred_at: dt.datetime | None = None,
    event_type: str = "activity.registered",
    **properties,
) -> MemberEvent:
    """An activity registration as the API stores it, arrived at 09:00 on TODAY unless told."""
    received_at = received_at or at(TODAY, 9)
    values = {
        "name": "Voorleesuurtje",
        "place": "Filiaal Ledeberg",
        "link": "https://gent.bibliotheek.be/activiteiten/voorleesuurtje",
        **({"starts_at": starts_at} if starts_at is not None else {}),
        **properties,
    }
    return MemberEvent.objects.create(
        library=member.library,
        member=member,
        type=event_type,
        occurred_at=occurred_at or received_at - dt.timedelta(minutes=5),
        received_at=received_at,
        properties=values,
    )
