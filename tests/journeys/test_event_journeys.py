"""Journeys that start on an event: one enrolment per event for members who may be mailed,
and steps timed before or after the moment the event carries, skipped when that has passed."""

import datetime as dt

import pytest

from patronflow.choices.services import record_list_choice, standard_lists
from patronflow.journeys.models import Enrolment
from patronflow.mail.models import Message
from patronflow.mail.outbox import SKIPPED_LATE, SKIPPED_NO_MOMENT, skipped_per_step
from patronflow.operations.tick import tick
from tests.factories import TODAY, MemberFactory, at
from tests.journeys.event_helpers import install_activity_journey, registration

# Every tick sends what it queued, to a real SMTP server: the next step waits for the mail
# before it to leave.
pytestmark = pytest.mark.usefixtures("smtp_server")

# TODAY is Monday 1 June 2026; the activity in `registration` starts Saturday 6 June at 14:00.
FRIDAY = dt.date(2026, 6, 5)


def tick_journey(journey, day: dt.date, hour: int = 10):
    """Enrol, queue, and (with an SMTP server) send: the next step waits for the mail
    before it to leave."""
    (progress,) = [p for p in tick(at(day, hour)).journeys if p.journey.pk == journey.pk]
    return progress


def steps_queued(member) -> list[tuple[str, str]]:
    messages = Message.objects.filter(enrolment__member=member).order_by("due_on", "step__position")
    return [(m.step.name, m.due_on.isoformat(), m.status) for m in messages]


def test_each_event_enrols_its_member_once_even_over_two_ticks(library):
    journey = install_activity_journey(library)
    member = MemberFactory(library=library)
    story_hour = registration(member)
    workshop = registration(member, name="Schrijfworkshop", received_at=at(TODAY, 9))

    first = tick_journey(journey, TODAY)
    second = tick_journey(journey, TODAY, 11)

    enrolments = Enrolment.objects.filter(journey=journey, member=member)
    assert first.entered == 2 and second.entered == 0
    assert sorted(e.event_id for e in enrolments) == sorted([story_hour.pk, workshop.pk])
    assert all(e.entered_on == TODAY for e in enrolments)
    assert first.queued == 2  # practical information for each, right away


def test_an_event_arriving_later_enrols_at_the_next_tick(library):
    journey = install_activity_journey(library)
    member = MemberFactory(library=library)
    tick_journey(journey, TODAY, 8)

    registration(member, received_at=at(TODAY, 9))
    later = tick_journey(journey, TODAY, 10)

    assert later.entered == 1


def test_events_from_before_the_journey_or_long_after_they_happened_start_nothing(library):
    journey = install_activity_journey(library, made_at=at(TODAY, 8))
    before, backfilled, stale, other_type = (MemberFactory(library=library) for _ in range(4))
    registration(before, received_at=at(TODAY, 7))
    registration(backfilled, occurred_at=at(TODAY - dt.timedelta(days=40)))
    registration(other_type, event_type="activity.cancelled")
    # Switched on only now, the journey does not mail about a registration of two weeks ago.
    install_activity_journey(library, made_at=at(TODAY - dt.timedelta(days=30)))
    registration(stale, received_at=at(TODAY - dt.timedelta(days=14)))

    tick_journey(journey, TODAY)

    assert list(Enrolment.objects.filter(journey=journey).values_list("member", flat=True)) == [
        before.pk
    ]


def test_members_who_may_not_be_mailed_or_left_the_list_are_not_enrolled(library):
    journey = install_activity_journey(library)
    young = MemberFactory(library=library, birth_date=dt.date(2012, 1, 1))
    left = MemberFactory(library=library)
    record_list_choice(
        left,
        journey.mailing_list,
        receives=False,
        source="preferences",
        text_version="preferences/1",
    )
    unsubscribed = MemberFactory(library=library, unsubscribed_at=at(TODAY - dt.timedelta(3)))
    welcome = MemberFactory(library=library)
    for member in (young, left, unsubscribed, welcome):
        registration(member)

    tick_journey(journey, TODAY)

    assert list(Enrolment.objects.filter(journey=journey).values_list("member", flat=True)) == [
        welcome.pk
    ]
    assert standard_lists(library)  # the journey's list is one of the library's


def test_the_entry_conditions_still_apply_on_top_of_the_event(library):
    journey = install_activity_journey(library, entry={"registered_within_days": 30})
    new, old = MemberFactory(library=library, registered_on=TODAY), MemberFactory(library=library)
    registration(new)
    registration(old)

    tick_journey(journey, TODAY)

    assert list(Enrolment.objects.filter(journey=journey).values_list("member", flat=True)) == [
        new.pk
    ]


def test_the_reminder_is_due_the_day_before_the_activity(library):
    journey = install_activity_journey(library)
    member = MemberFactory(library=library)
    registration(member)  # starts Saturday 6 June at 14:00

    for day in range(5):
        tick_journey(journey, TODAY + dt.timedelta(days=day))

    assert steps_queued(member) == [
        ("Praktische info", TODAY.isoformat(), "sent"),
        ("Herinnering", FRIDAY.isoformat(), "sent"),
    ]
    assert Enrolment.objects.get(member=member).next_due_on is None


def test_a_reminder_whose_day_has_passed_is_skipped_not_sent_late(library):
    journey = install_activity_journey(library, reminder_days=2)
    member = MemberFactory(library=library)
    # Registered on Friday for Saturday: "two days before" was Thursday.
    registration(member, received_at=at(FRIDAY, 9))

    for day in range(3):
        tick_journey(journey, FRIDAY + dt.timedelta(days=day))

    assert steps_queued(member) == [
        ("Praktische info", FRIDAY.isoformat(), "sent"),
        ("Herinnering", (FRIDAY + dt.timedelta(days=1)).isoformat(), "suppressed"),
    ]
    skipped = Message.objects.get(enrolment__member=member, step__position=2)
    assert skipped.last_error == SKIPPED_LATE
    assert Enrolment.objects.get(member=member).status == Enrolment.Status.COMPLETED


def test_a_mail_after_the_event_comes_days_after_and_not_when_too_late(library):
    journey = install_activity_journey(library, reminder_from="after_event", reminder_days=2)
    on_time, too_late = MemberFactory(library=library), MemberFactory(library=library)
    registration(on_time)
    registration(too_late, starts_at="2026-05-20T14:00:00+02:00")  # a late registration

    for day in range(8):
        tick_journey(journey, TODAY + dt.timedelta(days=day))

    assert steps_queued(on_time)[1] == ("Herinnering", "2026-06-08", "sent")
    assert steps_queued(too_late)[1] == ("Herinnering", "2026-06-02", "suppressed")


def test_an_event_without_the_moment_skips_that_step_and_says_why(library):
    journey = install_activity_journey(library)
    missing, unreadable = MemberFactory(library=library), MemberFactory(library=library)
    registration(missing, starts_at=None)
    registration(unreadable, starts_at="zaterdag om twee")

    tick_journey(journey, TODAY)
    tick_journey(journey, TODAY + dt.timedelta(days=1))

    for member in (missing, unreadable):
        skipped = Message.objects.get(enrolment__member=member, step__position=2)
        assert skipped.status == Message.Status.SUPPRESSED
        assert skipped.last_error == SKIPPED_NO_MOMENT.format(property="starts_at")
    assert skipped_per_step(journey) == {(2, SKIPPED_NO_MOMENT.format(property="starts_at")): 2}


def test_a_moment_without_an_offset_is_on_the_librarys_clock(library):
    journey = install_activity_journey(library)
    member = MemberFactory(library=library)
    # Saturday 00:30 in Gent is still Friday in UTC: the reminder is for Friday, not Thursday.
    registration(member, starts_at="2026-06-06T00:30:00")

    tick_journey(journey, TODAY)

    assert Enrolment.objects.get(member=member).next_due_on == FRIDAY


def test_a_member_in_the_control_group_is_held_out_for_every_event(library):
    journey = install_activity_journey(library, holdout_percent=50)
    members = [MemberFactory(library=library) for _ in range(12)]
    for member in members:
        registration(member)
        registration(member, name="Schrijfworkshop")

    tick_journey(journey, TODAY)

    draws = {}
    for enrolment in Enrolment.objects.filter(journey=journey):
        draws.setdefault(enrolment.member_id, set()).add(enrolment.held_out)
    assert all(len(drawn) == 1 for drawn in draws.values())
    assert {True, False} == {drawn.pop() for drawn in draws.values()}
    held_out = Enrolment.objects.filter(journey=journey, held_out=True)
    assert not Message.objects.filter(enrolment__in=held_out).exists()


def test_many_events_enrol_a_chunk_at_a_time_and_all_of_them(library, monkeypatch):
    monkeypatch.setattr("patronflow.journeys.services.EVENT_CHUNK", 3)
    journey = install_activity_journey(library)
    members = [MemberFactory(library=library) for _ in range(7)]
    events = [registration(member) for member in members]

    progress = tick_journey(journey, TODAY)

    assert progress.entered == 7
    enrolled = Enrolment.objects.filter(journey=journey).values_list("event_id", flat=True)
    assert sorted(enrolled) == sorted(event.pk for event in events)
