"""Privacy limits on who may be mailed hold in every journey."""

import datetime as dt

import pytest

from patronflow.mail.models import Message
from patronflow.operations.tick import tick
from tests.factories import TODAY, LibraryFactory, MemberFactory, at


def mailed_addresses(smtp_server) -> set[str]:
    return {m["To"].addresses[0].addr_spec for m in smtp_server.messages}


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"birth_date": dt.date(2012, 1, 1)}, id="under 16"),
        pytest.param(
            {"birth_date": TODAY.replace(year=TODAY.year - 16) + dt.timedelta(days=1)},
            id="turns 16 tomorrow",
        ),
        pytest.param({"birth_date": None}, id="age unknown"),
        pytest.param({"email": ""}, id="no address"),
        pytest.param(
            {"unsubscribed_at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC)}, id="unsubscribed"
        ),
        pytest.param({"membership_ends_on": TODAY}, id="membership ended"),
    ],
)
def test_no_journey_mails_a_member_who_may_not_be_mailed(library, smtp_server, fields):
    MemberFactory(library=library, registered_on=TODAY, **fields)
    MemberFactory(library=library, last_activity_on=TODAY - dt.timedelta(days=500), **fields)

    tick(at(TODAY))

    assert smtp_server.messages == []


def test_a_member_is_mailed_from_their_sixteenth_birthday(library, smtp_server):
    sixteen_today = MemberFactory(
        library=library, registered_on=TODAY, birth_date=TODAY.replace(year=TODAY.year - 16)
    )

    tick(at(TODAY))

    assert mailed_addresses(smtp_server) == {sixteen_today.email}


def test_a_member_who_turns_ineligible_before_sending_is_not_mailed(library, smtp_server, settings):
    member = MemberFactory(library=library, registered_on=TODAY)
    settings.SMTP_URL = "smtp://127.0.0.1:9"  # nothing listens: the mail waits in the outbox
    tick(at(TODAY))
    member.membership_ends_on = TODAY
    member.save()

    settings.SMTP_URL = smtp_server.url
    tick(at(TODAY, hour=11))

    assert smtp_server.messages == []
    message = Message.objects.get()
    assert message.status == Message.Status.SUPPRESSED
    assert message.last_error == "membership ended"


def test_libraries_only_mail_their_own_members(library, smtp_server):
    other_library = LibraryFactory(code="brugge")  # no journeys installed there
    MemberFactory(library=other_library, registered_on=TODAY)
    own = MemberFactory(library=library, registered_on=TODAY)

    tick(at(TODAY))

    assert mailed_addresses(smtp_server) == {own.email}
    assert smtp_server.messages[0]["From"].addresses[0].addr_spec == library.sender_email
