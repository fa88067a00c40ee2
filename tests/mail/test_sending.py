"""Delivery outcomes: every message is sent once, retried, or recorded as failed — never lost."""

import datetime as dt

import pytest

from patronflow.mail import services
from patronflow.mail.models import Message
from patronflow.mail.smtp import SmtpServer
from patronflow.operations.tick import tick
from tests.factories import TODAY, MemberFactory, at


def new_members(library, count: int):
    return [MemberFactory(library=library, registered_on=TODAY) for _ in range(count)]


def test_a_batch_goes_over_one_smtp_connection(library, smtp_server):
    new_members(library, 25)

    tick(at(TODAY))

    assert len(smtp_server.messages) == 25
    assert smtp_server.handler.connections == 1


def test_a_permanent_rejection_fails_that_message_only(library, smtp_server):
    refused, accepted = new_members(library, 2)
    smtp_server.reject(refused.email, "550 5.1.1 No such user")

    tick(at(TODAY))
    tick(at(TODAY, hour=18))

    assert [m["To"].addresses[0].addr_spec for m in smtp_server.messages] == [accepted.email]
    failed = Message.objects.get(enrolment__member=refused)
    assert failed.status == Message.Status.FAILED
    assert "550" in failed.last_error
    assert failed.attempts == 1


def test_a_temporary_rejection_is_retried_later_and_delivered_once(library, smtp_server):
    [member] = new_members(library, 1)
    smtp_server.reject(member.email, "451 4.3.0 Mailbox busy, try again later")

    tick(at(TODAY, hour=10))
    message = Message.objects.get()
    assert message.status == Message.Status.QUEUED
    assert message.next_attempt_at > at(TODAY, hour=10)

    smtp_server.accept(member.email)
    tick(at(TODAY, hour=10))  # too early: the backoff has not passed
    assert smtp_server.messages == []
    tick(at(TODAY, hour=11))
    tick(at(TODAY, hour=12))

    assert len(smtp_server.to(member.email)) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Message.Status.SENT, 2)


def test_retries_stop_after_the_attempt_limit(library, smtp_server, settings):
    [member] = new_members(library, 1)
    smtp_server.reject(member.email, "451 4.3.0 Try again later")

    for attempt in range(settings.SEND_MAX_ATTEMPTS + 3):
        # From 09:00 every two hours: each past the backoff, the first five in the send window
        tick(at(TODAY, hour=9) + dt.timedelta(hours=2 * attempt))

    message = Message.objects.get()
    assert message.status == Message.Status.FAILED
    assert message.attempts == settings.SEND_MAX_ATTEMPTS


def test_mails_wait_while_the_smtp_server_is_down(library, smtp_server, settings):
    new_members(library, 3)
    settings.SMTP_URL = "smtp://127.0.0.1:9"

    summary = tick(at(TODAY, hour=9))

    assert summary.sending.retrying == 3
    assert set(Message.objects.values_list("status", "attempts")) == {(Message.Status.QUEUED, 0)}
    settings.SMTP_URL = smtp_server.url
    tick(at(TODAY, hour=10))
    assert len(smtp_server.messages) == 3


@pytest.mark.parametrize("scheme", ["http", "ftp"])
def test_an_smtp_url_that_is_not_understood_is_a_clear_error(scheme):
    with pytest.raises(ValueError, match="PATRONFLOW_SMTP_URL"):
        SmtpServer.from_url(f"{scheme}://mail.example.org")


def test_a_mail_that_cannot_be_signed_waits_alone_while_the_rest_of_the_batch_goes(
    library, smtp_server, monkeypatch
):
    """A fault in preparing one mail (here its library's key cannot be read) keeps that mail
    back for a later attempt; every other mail of the batch is delivered."""
    first, broken, last = new_members(library, 3)
    compose = services.compose

    def compose_or_fail(message, rendered, signer=None):
        if message.enrolment.member_id == broken.pk:
            raise RuntimeError("the library's DKIM key cannot be read")
        return compose(message, rendered, signer)

    monkeypatch.setattr(services, "compose", compose_or_fail)
    summary = tick(at(TODAY))
    waiting = Message.objects.get(enrolment__member=broken)
    monkeypatch.setattr(services, "compose", compose)
    tick(at(TODAY, hour=15))

    assert (summary.sending.sent, summary.sending.retrying) == (2, 1)
    assert waiting.status == Message.Status.QUEUED
    assert waiting.attempts == 1
    assert "DKIM key cannot be read" in waiting.last_error
    delivered = [mail["To"].addresses[0].addr_spec for mail in smtp_server.messages]
    assert sorted(delivered) == sorted([first.email, broken.email, last.email])


def test_a_sender_failing_mid_batch_leaves_the_mail_in_flight_uncertain(
    library, smtp_server, monkeypatch, settings
):
    """With PIPELINING a mail's answer is read with the next mail's envelope. When the sender
    fails in between (here its database write before the next group), the mail already
    handed over is uncertain, the rest goes back to the queue, and the next batch's answers
    are its own on a fresh connection: no refusal is pinned on a mail that did not earn it."""
    handed_over, next_one, refused, fine = new_members(library, 4)
    settings.SEND_HANDOVER_GROUP = 1
    hand_over = services.hand_over
    calls = []

    def hand_over_or_fail(messages, claim):
        calls.append(messages)
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        return hand_over(messages, claim)

    monkeypatch.setattr(services, "hand_over", hand_over_or_fail)
    with pytest.raises(RuntimeError, match="database went away"):
        tick(at(TODAY))
    monkeypatch.setattr(services, "hand_over", hand_over)
    smtp_server.reject(refused.email, "550 5.1.1 No such user")
    tick(at(TODAY, hour=15))

    outcome = {
        message.enrolment.member_id: message.status
        for message in Message.objects.select_related("enrolment")
    }
    assert outcome == {
        handed_over.pk: Message.Status.UNCERTAIN,
        next_one.pk: Message.Status.SENT,
        refused.pk: Message.Status.FAILED,
        fine.pk: Message.Status.SENT,
    }
    delivered = [mail["To"].addresses[0].addr_spec for mail in smtp_server.messages]
    assert sorted(delivered) == sorted([handed_over.email, next_one.email, fine.email])
    assert (
        "before the SMTP answer was read"
        in Message.objects.get(enrolment__member=handed_over).last_error
    )
