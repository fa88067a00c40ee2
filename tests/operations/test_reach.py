"""The reach estimate against the real engine: a `tick` at the moment it names sends exactly
the number it counted, and a cap spreads the mails over the days it said."""

import datetime as dt
from collections import Counter

import pytest
from django.utils import timezone

from patronflow.journeys.definitions import install_journey, save_segment
from patronflow.journeys.services import is_held_out
from patronflow.mail.models import Message
from patronflow.operations.reach import anyone_mailed, estimate
from patronflow.operations.tick import tick
from patronflow.privacy.models import Suppression
from tests.factories import TODAY, EnrolmentFactory, MemberFactory, MessageFactory, at
from tests.journeys.helpers import addresses, install, only, step

WEDNESDAY = TODAY + dt.timedelta(days=2)  # TODAY is Monday 1 June 2026
SATURDAY = TODAY + dt.timedelta(days=5)
MONDAY = TODAY + dt.timedelta(days=7)
TUESDAY = TODAY + dt.timedelta(days=8)
DAY = dt.timedelta(days=1)


def broadcast(library, send_at: dt.datetime, holdout: int = 0, entry: dict | None = None):
    save_segment(library, "lezers", "Lezers", {"active_within_days": 30})
    return install_journey(
        library,
        {
            "key": "boekenweek",
            "name": "Boekenweek",
            "kind": "broadcast",
            "status": "active",
            "send_at": send_at.isoformat(),
            "entry": entry if entry is not None else {"segment": "lezers"},
            "holdout_percent": holdout,
            "steps": [step("Boekenweek", 0, subject="Het is Boekenweek!")],
        },
    ).journey


def readers(library, count: int, first: int = 0) -> list:
    return [
        MemberFactory(library=library, external_id=f"R{n:05d}", last_activity_on=TODAY)
        for n in range(first, first + count)
    ]


def sent_per_day(journey=None) -> Counter:
    sent = Message.objects.filter(status=Message.Status.SENT)
    if journey is not None:
        sent = sent.filter(enrolment__journey=journey)
    return Counter(timezone.localdate(moment) for moment in sent.values_list("sent_at", flat=True))


def test_the_count_goes_from_the_audience_through_the_privacy_rules_and_the_holdout(
    library, smtp_server
):
    only(library)
    journey = broadcast(library, at(WEDNESDAY, 10), holdout=20)
    audience = readers(library, 40)
    MemberFactory(library=library, last_activity_on=TODAY, birth_date=dt.date(2015, 1, 1))
    MemberFactory(library=library, last_activity_on=TODAY, email="")
    gone = MemberFactory(library=library, last_activity_on=TODAY)
    Suppression.objects.create(library=library, email=gone.email, reason="hard bounce")
    MemberFactory(library=library, last_activity_on=TODAY - dt.timedelta(days=90))
    held = [m for m in audience if is_held_out("gent", "boekenweek", m.external_id, 20)]
    assert 0 < len(held) < 40

    reach = estimate(journey, now=at(TODAY, 15))

    assert (reach.matching, reach.mailable, reach.entering) == (43, 40, 40)
    assert (reach.held_out, reach.mailed) == (len(held), 40 - len(held))
    assert reach.first_send == at(WEDNESDAY, 10)
    assert reach.per_day == ((WEDNESDAY, 40 - len(held)),)
    assert anyone_mailed(journey, now=at(TODAY, 15))

    tick(reach.first_send)

    assert len(smtp_server.messages) == reach.mailed
    assert set(addresses(smtp_server)) == {m.email for m in audience if m not in held}


def test_a_moment_before_the_window_opens_goes_at_the_opening(library, smtp_server):
    only(library)
    journey = broadcast(library, at(WEDNESDAY, 7))
    readers(library, 5)

    reach = estimate(journey, now=at(TODAY))

    assert reach.first_send == at(WEDNESDAY, 9)
    tick(at(WEDNESDAY, 7))
    assert smtp_server.messages == []
    tick(reach.first_send)
    assert len(smtp_server.messages) == 5


def test_a_daily_cap_spreads_the_mails_over_the_days_the_estimate_said(library, smtp_server):
    only(library)
    library.daily_cap = 3
    library.save()
    journey = broadcast(library, at(SATURDAY, 10))
    readers(library, 7)

    reach = estimate(journey, now=at(TODAY))

    # Sunday is outside the default window: Saturday's rest goes on Monday.
    assert reach.per_day == ((SATURDAY, 3), (MONDAY, 3), (TUESDAY, 1))
    assert reach.last_day == TUESDAY and reach.spread
    for day in (SATURDAY, SATURDAY + dt.timedelta(days=1), MONDAY, TUESDAY):
        tick(at(day, 10))
    assert sent_per_day() == Counter(dict(reach.per_day))


def test_mails_already_queued_by_other_journeys_go_first_within_the_daily_cap(library, smtp_server):
    only(library)
    library.daily_cap = 3
    library.save()
    other = install(library, "andere", status="paused").journey
    mail = other.current_version.steps.get()
    for member in readers(library, 2, first=100):
        MessageFactory(
            enrolment=EnrolmentFactory(journey=other, member=member),
            step=mail,
            variant=mail.variants.get(),
            status="queued",
            due_on=SATURDAY,
            to_email="",
            subject="",
            links=[],
        )
    journey = broadcast(library, at(SATURDAY, 10))
    # The other journey's members are readers too: only the five below are new to it.
    readers(library, 5)

    reach = estimate(journey, now=at(TODAY))

    assert reach.mailed == 7
    assert reach.per_day == ((SATURDAY, 1), (MONDAY, 3), (TUESDAY, 3))
    for day in (SATURDAY, MONDAY, TUESDAY):
        tick(at(day, 10))
    assert len(smtp_server.messages) == 2 + 7
    assert sent_per_day(journey) == Counter(dict(reach.per_day))


def test_a_member_at_the_weekly_cap_gets_the_broadcast_when_there_is_room(library, smtp_server):
    only(library)
    library.member_weekly_cap = 1
    library.save()
    welcome = install(library, "welkom", entry={"registered_within_days": 14}).journey
    busy = MemberFactory(library=library, last_activity_on=TODAY, registered_on=TODAY)
    tick(at(TODAY, 11))  # the welcome mail: busy is at the cap until next Monday 11:00
    assert addresses(smtp_server) == [busy.email]
    welcome.status = "paused"
    welcome.save()
    journey = broadcast(library, at(WEDNESDAY, 10))
    readers(library, 2)

    reach = estimate(journey, now=at(TODAY, 12))

    assert reach.per_day == ((WEDNESDAY, 2), (MONDAY, 1))
    assert reach.first_send == at(WEDNESDAY, 10)
    tick(at(WEDNESDAY, 10))
    assert len(smtp_server.messages) == 1 + 2
    tick(at(MONDAY, 10))
    assert len(smtp_server.messages) == 3
    tick(at(MONDAY, 11))
    assert len(smtp_server.messages) == 4


def test_after_it_went_out_the_estimate_says_what_went_and_what_waits(library, smtp_server):
    only(library)
    library.daily_cap = 2
    library.save()
    journey = broadcast(library, at(SATURDAY, 10))
    readers(library, 3)
    tick(at(SATURDAY, 10))

    reach = estimate(journey, now=at(SATURDAY, 12))

    assert reach.entered
    assert (reach.mailed, reach.sent, reach.waiting) == (3, 2, 1)
    assert reach.first_send == at(MONDAY, 9)
    assert reach.per_day == ((MONDAY, 1),)


def test_a_journey_counts_who_would_enter_now_and_leaves_out_who_is_in_it(library, smtp_server):
    only(library)
    journey = install(library, "nieuw", entry={"registered_within_days": 14}).journey
    first = MemberFactory(library=library, registered_on=TODAY)
    tick(at(TODAY, 11))
    MemberFactory(library=library, registered_on=TODAY + dt.timedelta(days=1))
    MemberFactory(library=library, registered_on=TODAY + dt.timedelta(days=1))

    reach = estimate(journey, now=at(TODAY + dt.timedelta(days=1), 8))

    assert (reach.matching, reach.mailable, reach.entering, reach.mailed) == (3, 3, 2, 2)
    assert reach.already_in == 1
    assert reach.first_send == at(TODAY + dt.timedelta(days=1), 9)
    assert addresses(smtp_server) == [first.email]


def test_an_audience_naming_a_segment_that_is_gone_says_so(library):
    journey = broadcast(library, at(WEDNESDAY, 10))
    library.segments.all().delete()

    reach = estimate(journey, now=at(TODAY))

    assert reach.mailed == 0 and "lezers" in reach.audience_problem


@pytest.mark.parametrize("paused", [True, False])
def test_a_library_whose_sending_is_paused_is_said_so(library, paused):
    journey = broadcast(library, at(WEDNESDAY, 10))
    readers(library, 1)
    library.sending_paused_at = timezone.now() if paused else None
    library.save()

    assert estimate(journey, now=at(TODAY)).sending_paused is paused


def test_both_caps_and_waiting_mails_together_leave_on_the_days_said(library, smtp_server):
    only(library)
    library.daily_cap = 3
    library.member_weekly_cap = 1
    library.save()
    other = install(library, "andere", status="paused").journey
    mail = other.current_version.steps.get()
    audience = readers(library, 8)
    for member in audience[:3]:  # mailed last Thursday: room again this Thursday at 11:00
        MessageFactory(
            enrolment=EnrolmentFactory(journey=other, member=member),
            step=mail,
            variant=mail.variants.get(),
            sent_at=at(TODAY - dt.timedelta(days=4), 11),
        )
    for member in audience[5:7]:  # waiting for Wednesday, ahead of the broadcast
        MessageFactory(
            enrolment=EnrolmentFactory(journey=other, member=member),
            step=mail,
            variant=mail.variants.get(),
            status="queued",
            due_on=WEDNESDAY,
            to_email="",
            subject="",
            links=[],
        )
    journey = broadcast(library, at(WEDNESDAY, 10))

    reach = estimate(journey, now=at(TODAY, 12))

    # Wednesday: the two waiting mails first, one of the broadcast's in the cap's room; the
    # two members who got those wait a week; Thursday and Friday: the rest, three a day.
    week_later = WEDNESDAY + dt.timedelta(days=7)
    assert reach.per_day == (
        (WEDNESDAY, 1),
        (WEDNESDAY + DAY, 3),
        (WEDNESDAY + 2 * DAY, 2),
        (week_later, 2),
    )
    for offset in range(2, 10):  # a tick every hour of the window, as cron would
        for hour in range(9, 20):
            tick(at(TODAY + dt.timedelta(days=offset), hour))
    assert sent_per_day(journey) == Counter(dict(reach.per_day))
