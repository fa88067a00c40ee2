"""Bounces and complaints delivered over SMTP to `patronflow bounces --listen`, by smtplib as
the sending MTA: acted on like the maildir's, refused for anyone else, and never accepted
without being recorded."""

import contextlib
import signal
import smtplib
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.core.management.base import CommandError

from patronflow.mail import verp
from patronflow.mail.inbound import BounceInbox
from patronflow.mail.models import Bounce, Message, ReceivedMail
from patronflow.operations.bounces import bounce_inbox, record_mail
from patronflow.privacy.models import Suppression
from tests.conftest import _free_port, subprocess_environment
from tests.factories import MessageFactory
from tests.mail.test_bounces import report_about
from tests.mail.workers import wait_for

# The listener records from its own threads, on their own database connections.
pytestmark = pytest.mark.django_db(transaction=True)

FEEDBACK = "fbl@gent.bibliotheek.be"


@contextlib.contextmanager
def listening(inbox: BounceInbox, max_size: int = 1_000_000) -> Iterator[tuple[str, int]]:
    controller = Controller(
        inbox, hostname="127.0.0.1", port=_free_port(), data_size_limit=max_size
    )
    controller.start()
    try:
        yield controller.hostname, controller.port
    finally:
        controller.stop()


@pytest.fixture
def listener() -> Iterator[tuple[str, int]]:
    """The listener as `bounces --listen` runs it, taking the feedback-loop address too."""
    with listening(bounce_inbox([FEEDBACK])) as listener:
        yield listener


def deliver(listener: tuple[str, int], recipient: str, raw: bytes) -> None:
    """What the MTA does: one mail from the null sender, as bounces come, lines ending CRLF."""
    with smtplib.SMTP(*listener, timeout=30) as client:
        client.sendmail("", [recipient], raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))


def test_a_hard_bounce_suppresses_the_address(listener):
    message = MessageFactory()
    member = message.enrolment.member

    deliver(
        listener, message_return_path(message), report_about("postfix_hard_bounce.eml", message)
    )

    suppression = Suppression.objects.get(library=message.library)
    assert (suppression.email, suppression.reason) == (member.email, "hard_bounce")
    assert Bounce.objects.get().status_code == "5.1.1"


def test_a_complaint_to_the_feedback_address_suppresses_and_unsubscribes(listener):
    message = MessageFactory()
    member = message.enrolment.member
    complaint = report_about("yahoo_arf_complaint.eml", message, recipient="redacted@yahoo.com")

    deliver(listener, FEEDBACK, complaint)

    member.refresh_from_db()
    assert member.unsubscribed_at is not None
    assert Suppression.objects.get().reason == Suppression.Reason.COMPLAINT


def test_a_bounce_is_matched_by_the_envelope_when_its_headers_do_not_say(listener):
    message = MessageFactory()
    member = message.enrolment.member
    bare = (
        b"From: MAILER-DAEMON@mx.example.org\r\nTo: undisclosed-recipients:;\r\n"
        b"Subject: Delivery failure\r\n\r\nCould not deliver: 550 5.1.1 user unknown\r\n"
    )

    deliver(listener, message_return_path(message), bare)

    assert Suppression.objects.get().email == member.email


@pytest.mark.parametrize(
    "recipient",
    [
        "someone@example.org",  # an open relay would take this
        "bounces+1-0123456789abcdef@gent.bibliotheek.be",  # a forged token
        "x.bounces+{token}@gent.bibliotheek.be",  # a genuine token inside another address
    ],
)
def test_mail_for_any_other_address_is_refused(listener, recipient):
    message = MessageFactory()
    recipient = recipient.format(token=verp.message_token(message.pk))

    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        deliver(listener, recipient, report_about("postfix_hard_bounce.eml", message))

    assert refused.value.recipients[recipient][0] == 550
    assert not Bounce.objects.exists() and not Suppression.objects.exists()


@pytest.mark.parametrize(
    "raw",
    [
        b"\x00\xff\xfe not a mail at all",
        b"Content-Type: text/plain; charset=no-such-charset\r\n\r\n550 5.1.1 gone\r\n",
    ],
    ids=["garbage", "unreadable-charset"],
)
def test_an_unreadable_mail_is_accepted_and_ignored(listener, raw):
    """Decided: taken (250) and dropped. Refusing it would only make the MTA retry it for
    days (451) or bounce a bounce (550); it will not become readable."""
    message = MessageFactory()

    deliver(listener, message_return_path(message), raw)  # no exception: 250

    assert not Bounce.objects.exists() and not Suppression.objects.exists()


def test_a_mail_that_cannot_be_recorded_is_refused_for_now_and_recorded_when_it_comes_again():
    message = MessageFactory()
    member = message.enrolment.member
    failures = ["database unavailable"]

    def record_after_an_outage(raw, recipients):
        if failures:
            raise RuntimeError(failures.pop())
        return record_mail(raw, recipients)

    bounce = report_about("postfix_hard_bounce.eml", message)
    with listening(BounceInbox(record=record_after_an_outage)) as listener:
        with pytest.raises(smtplib.SMTPDataError) as refused:
            deliver(listener, message_return_path(message), bounce)
        assert refused.value.smtp_code == 451
        assert not Suppression.objects.exists()

        deliver(listener, message_return_path(message), bounce)  # the MTA's retry

    assert Suppression.objects.get().email == member.email


SOFT_BOUNCE = "exchange_mailbox_timeout.eml"  # a DSN, Status 4.2.2, with its own Message-ID
SAMPLE_ID = b"0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"


def soft_bounce(message: Message, number: int = 0) -> bytes:
    """A soft bounce about `message`; each `number` a different report (its own Message-ID
    and time), as the reporting server writes one for every attempt that failed."""
    report = report_about(SOFT_BOUNCE, message)
    report = report.replace(b"08:11:40 +0000", f"08:{number:02d}:40 +0000".encode())
    return report.replace(SAMPLE_ID, f"{number:08x}".encode() + SAMPLE_ID[8:])


def without_message_id(raw: bytes) -> bytes:
    return b"".join(line for line in raw.splitlines(True) if not line.startswith(b"Message-ID:"))


def losing_the_first_answer():
    """The listener recording a mail, then stopping before its 250 went out (the sending MTA
    sees no 250 and delivers the mail again), once; every later delivery is answered."""
    lost = []

    def record(raw, recipients):
        summary = record_mail(raw, recipients)
        if not lost:
            lost.append(summary)
            raise ConnectionResetError("stopped after recording, before answering")
        return summary

    return record


@pytest.mark.parametrize("strip", [False, True], ids=["message-id", "no-message-id"])
def test_a_bounce_delivered_again_after_its_answer_was_lost_counts_once(strip):
    message = MessageFactory()
    bounces = [soft_bounce(message, n) for n in range(3)]
    if strip:
        bounces = [without_message_id(raw) for raw in bounces]
    to = message_return_path(message)

    with listening(BounceInbox(record=losing_the_first_answer())) as listener:
        with pytest.raises(smtplib.SMTPDataError):
            deliver(listener, to, bounces[0])  # recorded, but the MTA got no 250
        assert Bounce.objects.count() == 1
        deliver(listener, to, bounces[0])  # the MTA's retry
        deliver(listener, to, bounces[0])  # and once more, to be sure
        assert Bounce.objects.filter(kind=Bounce.Kind.SOFT).count() == 1
        deliver(listener, to, bounces[1])
        assert Bounce.objects.filter(kind=Bounce.Kind.SOFT).count() == 2
        assert not Suppression.objects.exists()  # the retries did not make it 3

        deliver(listener, to, bounces[2])

    assert Bounce.objects.filter(kind=Bounce.Kind.SOFT).count() == 3
    assert Suppression.objects.get().reason == Suppression.Reason.SOFT_BOUNCES
    assert ReceivedMail.objects.count() == 3


def test_a_mail_over_the_size_limit_is_refused():
    message = MessageFactory()
    huge = report_about("postfix_hard_bounce.eml", message) + b"x" * 30_000 + b"\r\n"

    with (
        listening(bounce_inbox(), max_size=20_000) as listener,
        pytest.raises(smtplib.SMTPResponseException) as refused,
    ):
        deliver(listener, message_return_path(message), huge)

    assert refused.value.smtp_code == 552
    assert not Suppression.objects.exists()


def test_the_listener_needs_exactly_one_source(tmp_path):
    with pytest.raises(CommandError, match="one of the arguments --maildir --listen"):
        call_command("bounces")
    with pytest.raises(CommandError, match="not allowed with argument"):
        call_command("bounces", "--maildir", str(tmp_path), "--listen", "127.0.0.1:2525")
    with pytest.raises(CommandError, match="is not HOST:PORT"):
        call_command("bounces", "--listen", "2525")


@pytest.mark.slow
def test_the_command_listens_until_sigterm_then_stops_cleanly(tmp_path):
    message = MessageFactory()
    member = message.enrolment.member
    port = _free_port()
    log = (tmp_path / "listener.log").open("w+")
    command = [str(Path(sys.executable).parent / "patronflow"), "bounces"]
    command += ["--listen", f"127.0.0.1:{port}", "--feedback-address", FEEDBACK]
    process = subprocess.Popen(
        command, env=subprocess_environment(), stdout=log, stderr=subprocess.STDOUT
    )
    try:
        wait_for(lambda: accepts_connections(port), seconds=60)
        bounce = report_about("postfix_hard_bounce.eml", message)
        deliver(("127.0.0.1", port), message_return_path(message), bounce)
        assert Suppression.objects.get().email == member.email

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    log.seek(0)
    output = log.read()
    assert "Read 1 hard; 1 addresses suppressed" in output and "stopped listening" in output
    assert not accepts_connections(port)


def message_return_path(message: Message) -> str:
    return verp.return_path(message.pk, message.library.sender_email.rpartition("@")[2])


def accepts_connections(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True
