"""A mail due outside the library's send window waits for the next opening, then goes once."""

import datetime as dt
from zoneinfo import ZoneInfo

from patronflow.mail.models import Message
from patronflow.operations.libraries import change_library
from patronflow.operations.tick import tick
from tests.factories import TODAY, MemberFactory, at

BRUSSELS = ZoneInfo("Europe/Brussels")
SUNDAY = TODAY + dt.timedelta(days=6)  # TODAY is Monday 1 June 2026
MONDAY = TODAY + dt.timedelta(days=7)


def local(day: dt.date, hour: int, minute: int = 0, zone: ZoneInfo = BRUSSELS) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zone)


def received(smtp_server, member) -> int:
    return len(smtp_server.to(member.email))


def test_a_mail_due_early_in_the_morning_waits_for_nine_oclock(library, smtp_server):
    member = MemberFactory(library=library, registered_on=TODAY)

    tick(at(TODAY, hour=7))
    tick(local(TODAY, 8, 59))
    assert received(smtp_server, member) == 0
    assert Message.objects.get().next_attempt_at == local(TODAY, 9)

    tick(local(TODAY, 9))
    tick(local(TODAY, 11))

    assert received(smtp_server, member) == 1


def test_a_mail_due_on_sunday_waits_for_monday_and_goes_once(library, smtp_server):
    member = MemberFactory(library=library, registered_on=SUNDAY)

    for hour in (9, 12, 19):
        tick(at(SUNDAY, hour=hour))
    assert received(smtp_server, member) == 0
    message = Message.objects.get()
    assert (message.status, message.next_attempt_at) == (Message.Status.QUEUED, local(MONDAY, 9))

    tick(at(MONDAY, hour=9))
    tick(at(MONDAY, hour=10))

    assert received(smtp_server, member) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Message.Status.SENT, 1)


def test_a_mail_due_in_the_evening_goes_the_next_morning(library, smtp_server):
    member = MemberFactory(library=library, registered_on=TODAY)

    tick(at(TODAY, hour=21))
    tick(at(TODAY + dt.timedelta(days=1), hour=8))
    assert received(smtp_server, member) == 0

    tick(at(TODAY + dt.timedelta(days=1), hour=9))

    assert received(smtp_server, member) == 1


def test_a_library_sends_only_in_its_own_window(library, smtp_server):
    change_library(library, send_window="mon-fri 10:00-16:00")
    member = MemberFactory(library=library, registered_on=TODAY + dt.timedelta(days=4))
    friday = TODAY + dt.timedelta(days=4)

    tick(at(friday, hour=16))
    tick(at(friday + dt.timedelta(days=1), hour=11))  # Saturday: shut for this library
    tick(at(MONDAY, hour=9))
    assert received(smtp_server, member) == 0

    tick(at(MONDAY, hour=10))

    assert received(smtp_server, member) == 1


def test_the_window_follows_the_librarys_time_zone(library, smtp_server):
    change_library(library, time_zone="Europe/Lisbon", send_window="mon-fri 09:00-18:00")
    member = MemberFactory(library=library, registered_on=TODAY)

    tick(local(TODAY, 9, 30))  # 08:30 in Lisbon
    assert received(smtp_server, member) == 0
    assert Message.objects.get().next_attempt_at == local(TODAY, 9, zone=ZoneInfo("Europe/Lisbon"))

    tick(local(TODAY, 10))

    assert received(smtp_server, member) == 1


def test_across_the_spring_clock_change_monday_opens_at_nine_summer_time(library, smtp_server):
    saturday, monday = dt.date(2026, 3, 28), dt.date(2026, 3, 30)
    member = MemberFactory(library=library, registered_on=saturday)

    tick(local(saturday, 20, 30))
    tick(local(monday, 8, 59))
    assert received(smtp_server, member) == 0
    assert Message.objects.get().next_attempt_at == dt.datetime(2026, 3, 30, 7, tzinfo=dt.UTC)

    tick(local(monday, 9))

    assert received(smtp_server, member) == 1


def test_across_the_autumn_clock_change_monday_opens_at_nine_winter_time(library, smtp_server):
    saturday, monday = dt.date(2026, 10, 24), dt.date(2026, 10, 26)
    member = MemberFactory(library=library, registered_on=saturday)

    tick(local(saturday, 20, 30))
    tick(local(monday, 8, 30))  # 07:30 UTC: nine o'clock in summer time, not any more
    assert received(smtp_server, member) == 0
    assert Message.objects.get().next_attempt_at == dt.datetime(2026, 10, 26, 8, tzinfo=dt.UTC)

    tick(local(monday, 9))

    assert received(smtp_server, member) == 1


def test_a_retry_that_falls_after_closing_waits_for_the_next_opening(library, smtp_server):
    member = MemberFactory(library=library, registered_on=TODAY)
    smtp_server.reject(member.email, "451 4.3.0 Mailbox busy, try again later")

    tick(local(TODAY, 19, 58))  # the retry is due at 20:03, after closing
    smtp_server.accept(member.email)
    tick(local(TODAY, 20, 5))
    assert received(smtp_server, member) == 0
    assert Message.objects.get().next_attempt_at == local(TODAY + dt.timedelta(days=1), 9)

    tick(local(TODAY + dt.timedelta(days=1), 9))

    assert received(smtp_server, member) == 1
