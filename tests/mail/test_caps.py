"""Caps: at most N mails per member in any 7 days across journeys, and a daily volume per
library. A mail over a cap waits for the moment there is room, then goes exactly once."""

import datetime as dt
from collections import Counter

from patronflow.mail.models import Message
from patronflow.mail.services import send_due_messages
from tests.factories import (
    TODAY,
    EnrolmentFactory,
    JourneyFactory,
    LibraryFactory,
    MemberFactory,
    MessageFactory,
    at,
)

DAY = dt.timedelta(days=1)  # TODAY is Monday 1 June 2026


def queue(member, journey, due_on: dt.date = TODAY) -> Message:
    """A mail of `journey` for `member` in the outbox, as the journey engine leaves it."""
    return MessageFactory(
        enrolment=EnrolmentFactory(journey=journey, member=member, entered_on=due_on),
        status=Message.Status.QUEUED,
        due_on=due_on,
        to_email="",
        subject="",
        links=[],
    )


def journeys_received(smtp_server, member) -> list[str]:
    """The journeys of the mails the member has, in the order they arrived (from Feedback-ID)."""
    return [mail["Feedback-ID"].split(".")[0] for mail in smtp_server.to(member.email)]


def test_a_member_in_two_journeys_gets_the_second_mail_seven_days_after_the_first(db, smtp_server):
    library = LibraryFactory(member_weekly_cap=1)
    welcome = JourneyFactory(library=library, key="welcome")
    dormant = JourneyFactory(library=library, key="dormant", name="We missen je")
    member = MemberFactory(library=library)

    queue(member, welcome)
    send_due_messages(at(TODAY, hour=11))
    second = queue(member, dormant, due_on=TODAY + 2 * DAY)
    send_due_messages(at(TODAY + 2 * DAY, hour=10))

    assert journeys_received(smtp_server, member) == ["welcome"]
    second.refresh_from_db()
    assert second.status == Message.Status.QUEUED
    assert second.next_attempt_at == at(TODAY + 7 * DAY, hour=11)

    send_due_messages(at(TODAY + 7 * DAY, hour=10))
    assert journeys_received(smtp_server, member) == ["welcome"]
    send_due_messages(at(TODAY + 7 * DAY, hour=11))
    send_due_messages(at(TODAY + 8 * DAY, hour=11))

    assert journeys_received(smtp_server, member) == ["welcome", "dormant"]


def test_the_default_cap_lets_two_mails_a_week_through_and_holds_the_third(db, smtp_server):
    library = LibraryFactory()
    member = MemberFactory(library=library)
    journeys = [JourneyFactory(library=library, key=key) for key in ("welcome", "dormant", "news")]

    for journey in journeys:
        queue(member, journey)
    send_due_messages(at(TODAY, hour=10))

    assert library.member_weekly_cap == 2
    assert journeys_received(smtp_server, member) == ["welcome", "dormant"]
    assert Message.objects.get(status=Message.Status.QUEUED).next_attempt_at == at(
        TODAY + 7 * DAY, hour=10
    )


def test_when_the_cap_frees_up_outside_the_window_the_mail_waits_for_the_opening(db, smtp_server):
    library = LibraryFactory(member_weekly_cap=1)
    member = MemberFactory(library=library)
    saturday = TODAY + 5 * DAY
    queue(member, JourneyFactory(library=library, key="welcome"), due_on=saturday)
    send_due_messages(at(saturday, hour=10))
    held = queue(member, JourneyFactory(library=library, key="dormant"), due_on=saturday)
    send_due_messages(at(saturday, hour=11))

    held.refresh_from_db()
    # Seven days after Saturday 10:00 is Saturday 10:00 again: open, so it waits until then.
    assert held.next_attempt_at == at(saturday + 7 * DAY, hour=10)
    library.send_days = "12345"
    library.save()
    send_due_messages(at(saturday + 7 * DAY, hour=10))

    held.refresh_from_db()
    assert held.next_attempt_at == at(saturday + 9 * DAY, hour=9)  # then Monday's opening


def test_no_cap_lets_every_mail_through(db, smtp_server):
    library = LibraryFactory(member_weekly_cap=None)
    member = MemberFactory(library=library)
    for key in ("welcome", "dormant", "news", "event"):
        queue(member, JourneyFactory(library=library, key=key))

    send_due_messages(at(TODAY, hour=10))

    assert len(journeys_received(smtp_server, member)) == 4


def test_failed_and_suppressed_mails_do_not_count_against_the_cap(db, smtp_server):
    library = LibraryFactory(member_weekly_cap=1)
    member = MemberFactory(library=library)
    smtp_server.reject(member.email, "550 5.1.1 No such user")
    queue(member, JourneyFactory(library=library, key="welcome"))
    send_due_messages(at(TODAY, hour=10))
    smtp_server.accept(member.email)

    queue(member, JourneyFactory(library=library, key="dormant"))
    send_due_messages(at(TODAY, hour=11))

    assert journeys_received(smtp_server, member) == ["dormant"]


def test_the_daily_volume_spills_over_to_the_next_days_window(db, smtp_server):
    library = LibraryFactory(daily_cap=10)
    journey = JourneyFactory(library=library, key="welcome")
    members = MemberFactory.create_batch(25, library=library)
    for member in members:
        queue(member, journey)

    send_due_messages(at(TODAY, hour=10))
    send_due_messages(at(TODAY, hour=19))
    assert len(smtp_server.messages) == 10
    waiting = Message.objects.filter(status=Message.Status.QUEUED)
    assert set(waiting.values_list("next_attempt_at", flat=True)) == {at(TODAY + DAY, hour=9)}

    send_due_messages(at(TODAY + DAY, hour=9))
    assert len(smtp_server.messages) == 20
    send_due_messages(at(TODAY + 2 * DAY, hour=9))
    send_due_messages(at(TODAY + 3 * DAY, hour=9))

    received = Counter(mail["To"].addresses[0].addr_spec for mail in smtp_server.messages)
    assert received == Counter({member.email: 1 for member in members})


def test_a_full_saturday_spills_over_to_monday(db, smtp_server):
    library = LibraryFactory(daily_cap=1)
    journey = JourneyFactory(library=library, key="welcome")
    saturday = TODAY + 5 * DAY
    first, second = MemberFactory.create_batch(2, library=library)
    queue(first, journey, due_on=saturday)
    queue(second, journey, due_on=saturday)

    send_due_messages(at(saturday, hour=10))

    assert [m["To"].addresses[0].addr_spec for m in smtp_server.messages] == [first.email]
    assert Message.objects.get(status=Message.Status.QUEUED).next_attempt_at == at(
        saturday + 2 * DAY, hour=9
    )


def test_the_daily_cap_counts_the_librarys_own_day(db, smtp_server):
    """In Lisbon the day starts an hour after it does in Brussels."""
    library = LibraryFactory(daily_cap=1, time_zone="Europe/Lisbon", send_days="1234567")
    library.send_opens_at, library.send_closes_at = dt.time(0), dt.time(23, 59)
    library.save()
    journey = JourneyFactory(library=library, key="welcome")
    first, second = MemberFactory.create_batch(2, library=library)
    queue(first, journey)
    send_due_messages(at(TODAY, hour=20))  # 19:00 in Lisbon
    queue(second, journey)

    send_due_messages(at(TODAY + DAY, hour=0) + dt.timedelta(minutes=30))  # Monday in Lisbon
    assert len(smtp_server.messages) == 1
    send_due_messages(at(TODAY + DAY, hour=1))  # Tuesday in Lisbon

    assert len(smtp_server.messages) == 2


def test_other_libraries_keep_their_own_caps(db, smtp_server):
    full = LibraryFactory(daily_cap=1)
    other = LibraryFactory(daily_cap=1)
    for library in (full, other):
        journey = JourneyFactory(library=library, key="welcome")
        for member in MemberFactory.create_batch(2, library=library):
            queue(member, journey)

    send_due_messages(at(TODAY, hour=10))

    assert Counter(m["From"].addresses[0].addr_spec for m in smtp_server.messages) == Counter(
        {full.sender_email: 1, other.sender_email: 1}
    )
