"""SMTP as an operator configures it: one kept connection, a rate limit, AUTH, retries that
spread out, and permanent refusals that stay refused."""

import datetime as dt
import time

import pytest

from patronflow.mail.models import Message
from patronflow.mail.smtp import (
    Envelope,
    OutcomeUnknown,
    PermanentFailure,
    SmtpServer,
    SmtpSession,
    TemporaryFailure,
)
from patronflow.operations.tick import tick
from tests.conftest import RecordingHandler
from tests.factories import TODAY, MemberFactory, at
from tests.mail.servers import DropsAfterData, KeepsRawBytes, password_check, running


def new_members(library, count: int):
    return [MemberFactory(library=library, registered_on=TODAY) for _ in range(count)]


def test_many_batches_share_one_kept_connection(library, smtp_server, settings):
    settings.SEND_BATCH_SIZE = 4
    new_members(library, 10)

    tick(at(TODAY))
    new_members(library, 3)
    tick(at(TODAY, hour=11))

    assert len(smtp_server.messages) == 13
    assert smtp_server.handler.connections == 1


def test_the_rate_limit_spaces_the_mails(library, smtp_server, settings):
    settings.SMTP_RATE = 20  # messages a second
    new_members(library, 11)

    started = time.monotonic()
    tick(at(TODAY))
    elapsed = time.monotonic() - started

    assert len(smtp_server.messages) == 11
    assert elapsed >= 10 / 20


def test_deferred_mails_come_back_spread_out_not_all_at_once(library, smtp_server):
    members = new_members(library, 12)
    for member in members:
        smtp_server.reject(member.email, "421 4.7.0 Too many messages, slow down")

    tick(at(TODAY, hour=10))

    retries = list(Message.objects.values_list("next_attempt_at", flat=True))
    assert len(set(retries)) == 12  # jitter: no two come back in the same instant
    for moment in retries:
        # the first retry: 5 minutes, with up to half of it taken off at random
        assert at(TODAY, hour=10) + dt.timedelta(minutes=2.5) <= moment
        assert moment <= at(TODAY, hour=10) + dt.timedelta(minutes=5)
    assert set(Message.objects.values_list("status", "attempts")) == {(Message.Status.QUEUED, 1)}


def test_the_second_retry_waits_twice_as_long(library, smtp_server):
    [member] = new_members(library, 1)
    smtp_server.reject(member.email, "451 4.3.0 Try again later")

    tick(at(TODAY, hour=10))
    tick(at(TODAY, hour=11))

    message = Message.objects.get()
    assert message.attempts == 2
    assert (
        at(TODAY, hour=11) + dt.timedelta(minutes=5)
        <= message.next_attempt_at
        <= at(TODAY, hour=11) + dt.timedelta(minutes=10)
    )


def test_a_permanent_refusal_at_the_end_of_data_fails_that_message(library, settings):
    class RefusesContent(RecordingHandler):
        async def handle_DATA(self, server, session, envelope):
            if "spam" in envelope.rcpt_tos[0]:
                return "554 5.7.1 Message rejected as spam"
            return await super().handle_DATA(server, session, envelope)

    ok, refused = new_members(library, 2)
    refused.email = "spam-trap@example.org"
    refused.save()
    with running(RefusesContent()) as server:
        settings.SMTP_URL = server.url
        tick(at(TODAY))
        tick(at(TODAY, hour=15))

    assert [m["To"].addresses[0].addr_spec for m in server.messages] == [ok.email]
    message = Message.objects.get(enrolment__member=refused)
    assert (message.status, message.attempts) == (Message.Status.FAILED, 1)
    assert message.last_error.startswith("554")


def test_the_server_can_require_a_login(library, settings):
    new_members(library, 2)
    handler = RecordingHandler()
    options = {
        "authenticator": password_check("patronflow", "s3cret"),
        "auth_required": True,
        "auth_require_tls": False,
    }
    with (
        pytest.warns(UserWarning, match="AUTH while not requiring TLS"),
        running(handler, **options) as server,
    ):
        settings.SMTP_URL = server.url.replace("smtp://", "smtp://patronflow:s3cret@")
        tick(at(TODAY))

    assert len(server.messages) == 2


def test_smtp_urls_name_tls_and_credentials():
    assert SmtpServer.from_url("smtps://u%40lib:p%3Ass@mail.example.org") == SmtpServer(
        "smtps", "mail.example.org", 465, "u@lib", "p:ss"
    )
    assert SmtpServer.from_url("smtp+starttls://relay.example.org").port == 587


@pytest.mark.parametrize("pipelining", [True, False], ids=["pipelining", "one-by-one"])
def test_each_recipient_keeps_its_own_outcome_on_one_connection(pipelining):
    """With PIPELINING (RFC 2920) MAIL, RCPT and DATA go in one write, and a mail's answer is
    read with the next mail's; without it, one command at a time. Either way a refused
    recipient fails alone and the connection carries on."""
    handler = RecordingHandler()
    handler.offers_pipelining = pipelining
    handler.rejections["gone@example.org"] = "550 5.1.1 No such user"
    handler.rejections["busy@example.org"] = "452 4.2.2 Mailbox full"
    raw = b"From: a@lib.example\r\nTo: x@example.org\r\nSubject: hi\r\n\r\n.dot first\r\n"
    mails = [
        ("first", Envelope("bounces+1@lib.example", "ok@example.org", raw)),
        ("gone", Envelope("bounces+2@lib.example", "gone@example.org", raw)),
        ("busy", Envelope("bounces+3@lib.example", "busy@example.org", raw)),
        ("last", Envelope("bounces+4@lib.example", "also-ok@example.org", raw)),
    ]
    with running(handler) as server, SmtpSession(SmtpServer.from_url(server.url)) as session:
        assert session._pipelining is pipelining
        outcomes = list(session.send_all(mails))

    assert [(name, type(outcome)) for name, outcome in outcomes] == [
        ("first", type(None)),
        ("gone", PermanentFailure),
        ("busy", TemporaryFailure),
        ("last", type(None)),
    ]
    assert str(outcomes[1][1]).startswith("550") and str(outcomes[2][1]).startswith("452")
    assert handler.envelopes == [
        ("bounces+1@lib.example", ["ok@example.org"]),
        ("bounces+4@lib.example", ["also-ok@example.org"]),
    ]
    assert server.messages[0].get_content().splitlines() == [".dot first"]  # dot survives
    assert handler.connections == 1


def test_a_refused_text_or_a_lost_connection_mid_batch_touches_that_mail_only():
    """The answer to a mail's text arrives with the next mail's envelope: a 554 for one text,
    or a connection that drops once a text is in, is that mail's outcome, never its
    neighbour's; the mails after it go on a fresh connection, each once."""

    class RefusesOneDropsOne(DropsAfterData):
        async def handle_DATA(self, server, session, envelope):
            if envelope.rcpt_tos == ["spam@example.org"]:
                return "554 5.7.1 Message rejected as spam"
            return await super().handle_DATA(server, session, envelope)

    handler = RefusesOneDropsOne()
    handler.drop_for.add("dropped@example.org")
    names = ["a", "spam", "b", "dropped", "c"]
    raw = b"From: a@lib.example\r\nSubject: hi\r\n\r\nbody\r\n"
    mails = [(name, Envelope("b@lib.example", f"{name}@example.org", raw)) for name in names]
    with running(handler) as server, SmtpSession(SmtpServer.from_url(server.url)) as session:
        outcomes = dict(session.send_all(mails))

    assert outcomes["a"] is outcomes["b"] is outcomes["c"] is None
    assert isinstance(outcomes["spam"], PermanentFailure)
    assert isinstance(outcomes["dropped"], OutcomeUnknown)
    delivered = [recipients for _, recipients in handler.envelopes]
    assert delivered == [
        ["a@example.org"],
        ["b@example.org"],
        ["dropped@example.org"],
        ["c@example.org"],
    ]
    assert handler.connections == 2


def test_lines_that_start_with_a_dot_arrive_byte_for_byte():
    """A lone '.' line would end the mail early; every line starting with a dot is doubled on
    the wire and undoubled by the server (RFC 5321 4.5.2)."""
    raw = b".first\r\nFrom: a@lib.example\r\n\r\n.\r\n..two\r\nend ."
    with running(KeepsRawBytes()) as server:
        with SmtpSession(SmtpServer.from_url(server.url)) as session:
            session.send(raw, "bounces+1@lib.example", "ok@example.org")

        assert server.handler.raw == [raw + b"\r\n"]


@pytest.mark.parametrize("pipelining", [True, False], ids=["pipelining", "one-by-one"])
def test_a_refused_text_does_not_poison_the_next_mail(pipelining):
    """aiosmtpd in strict ASCII mode refuses an 8-bit text with a 500 and keeps that mail's
    transaction open, so the next MAIL would be refused as nested: an RSET ends it, and the
    next mail is delivered on the same connection."""
    handler = RecordingHandler()
    handler.offers_pipelining = pipelining
    eight_bit = "From: a@lib.example\r\nSubject: hi\r\n\r\nZoë\r\n".encode()
    ascii_only = b"From: a@lib.example\r\nSubject: hi\r\n\r\nZoe\r\n"
    mails = [
        ("eight-bit", Envelope("b@lib.example", "one@example.org", eight_bit)),
        ("next", Envelope("b@lib.example", "two@example.org", ascii_only)),
        ("eight-bit again", Envelope("b@lib.example", "three@example.org", eight_bit)),
        ("last", Envelope("b@lib.example", "four@example.org", ascii_only)),
    ]
    with (
        running(handler, decode_data=True, enable_SMTPUTF8=False) as server,
        SmtpSession(SmtpServer.from_url(server.url)) as session,
    ):
        outcomes = dict(session.send_all(mails))

    assert isinstance(outcomes["eight-bit"], PermanentFailure)
    assert isinstance(outcomes["eight-bit again"], PermanentFailure)
    assert outcomes["next"] is outcomes["last"] is None
    assert [recipients for _, recipients in handler.envelopes] == [
        ["two@example.org"],
        ["four@example.org"],
    ]
    assert handler.connections == 1
