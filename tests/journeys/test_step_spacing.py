"""The spacing between a journey's mails holds from the day the previous mail really left,
when the send window (or a cap) held it back."""

import datetime as dt

from django.utils import timezone

from patronflow.mail.models import Message
from patronflow.operations.tick import tick
from tests.factories import TODAY, MemberFactory, at
from tests.journeys.helpers import install, only, step

SUNDAY = TODAY + dt.timedelta(days=6)


def days_sent_after(member, start: dt.date) -> list[int]:
    sent = Message.objects.filter(enrolment__member=member, status="sent").order_by("sent_at")
    return [(timezone.localdate(m.sent_at) - start).days for m in sent]


def tick_daily(first: dt.date, days: int) -> None:
    for offset in range(days):
        tick(at(first + dt.timedelta(days=offset)))


def test_a_mail_held_back_by_the_window_pushes_the_next_one_back_too(library, smtp_server):
    only(library)
    install(
        library,
        steps=[step("Mail 1", 0), step("Mail 2", 2)],
        entry={"registered_within_days": 14},
    )
    member = MemberFactory(library=library, registered_on=SUNDAY)

    tick_daily(SUNDAY, 8)

    # Mail 1 waited for Monday; mail 2 keeps its two days after it.
    assert days_sent_after(member, SUNDAY) == [1, 3]


def test_a_wait_after_the_previous_mail_counts_from_when_it_left(library, smtp_server):
    only(library)
    install(
        library,
        steps=[step("Mail 1", 0), {**step("Mail 2", 3), "wait_from": "previous"}],
        entry={"registered_within_days": 14},
    )
    member = MemberFactory(library=library, registered_on=SUNDAY)

    tick_daily(SUNDAY, 8)

    assert days_sent_after(member, SUNDAY) == [1, 4]


def test_a_journey_on_time_keeps_its_days_after_entry(library, smtp_server):
    only(library)
    install(
        library,
        steps=[step("Mail 1", 0), step("Mail 2", 2), step("Mail 3", 9)],
        entry={"registered_within_days": 14},
    )
    member = MemberFactory(library=library, registered_on=TODAY)

    tick_daily(TODAY, 12)

    assert days_sent_after(member, TODAY) == [0, 2, 9]
