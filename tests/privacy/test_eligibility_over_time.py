"""The age limit holds at send time, day by day: no mail before 16, mail from the birthday."""

import datetime as dt

from patronflow.journeys.models import Enrolment
from patronflow.operations.tick import tick
from tests.factories import TODAY, MemberFactory, at

BIRTHDAY = TODAY + dt.timedelta(days=3)  # a Thursday, inside the send window


def test_a_new_member_under_16_is_first_mailed_on_their_sixteenth_birthday(library, smtp_server):
    member = MemberFactory(
        library=library,
        registered_on=TODAY,
        birth_date=BIRTHDAY.replace(year=BIRTHDAY.year - 16),
    )

    for day in (TODAY, TODAY + dt.timedelta(days=1), BIRTHDAY - dt.timedelta(days=1)):
        tick(at(day, hour=10))
        tick(at(day, hour=19))
    assert smtp_server.messages == []
    assert not Enrolment.objects.filter(member=member).exists()

    tick(at(BIRTHDAY, hour=10))

    [mail] = smtp_server.to(member.email)
    assert member.first_name in mail["Subject"]
    assert Enrolment.objects.get(member=member).journey.key == "welcome"
