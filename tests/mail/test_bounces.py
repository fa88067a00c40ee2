"""What comes back after sending: bounces and complaints, as real mail servers write them,
read from the maildir that receives the return paths, and what they do to later mail."""

import datetime as dt
import mailbox
import re
from email.utils import make_msgid
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from patronflow.choices.models import ConsentRecord, ListChoice
from patronflow.choices.services import standard_lists
from patronflow.journeys.models import Enrolment
from patronflow.mail import verp
from patronflow.mail.models import Bounce, Message
from patronflow.operations.tick import tick
from patronflow.privacy.models import Suppression
from tests.factories import TODAY, MemberFactory, MessageFactory, at

REPORTS = Path(__file__).parent / "reports"


@pytest.fixture
def maildir(tmp_path) -> Path:
    mailbox.Maildir(tmp_path / "bounces", create=True)
    return tmp_path / "bounces"


def welcomed(library, smtp_server, **fields):
    """A new member who got welcome mail 1."""
    member = MemberFactory(library=library, registered_on=TODAY, **fields)
    tick(at(TODAY))
    return member, Message.objects.get(enrolment__member=member, step__position=1)


def report_about(report: str, message: Message, recipient: str = "") -> bytes:
    """One of the sample reports in tests/mail/reports, about `message`."""
    domain = message.library.sender_email.rpartition("@")[2]
    text = (
        (REPORTS / report)
        .read_text()
        .format(
            return_path=verp.return_path(message.pk, domain),
            unsubscribe=verp.unsubscribe_address(message.pk, domain),
            token=verp.message_token(message.pk),
            recipient=recipient or message.to_email,
            domain=domain,
        )
    )
    return text.encode()


def arrives(maildir: Path, report: str, message: Message, recipient: str = "") -> None:
    """A report about `message`, as the mail server would deliver it to the maildir: each
    with a Message-ID of its own, as every report a server writes has."""
    raw = report_about(report, message, recipient)
    own_id = f"Message-ID: {make_msgid()}".encode()
    mailbox.Maildir(maildir).add(re.sub(rb"(?im)^message-id: .*$", own_id, raw, count=1))


def read_bounces(maildir: Path, capsys) -> str:
    call_command("bounces", "--maildir", str(maildir))
    return capsys.readouterr().out


def test_a_hard_bounce_suppresses_the_address_at_once(library, smtp_server, maildir, capsys):
    member, message = welcomed(library, smtp_server)
    arrives(maildir, "postfix_hard_bounce.eml", message)

    output = read_bounces(maildir, capsys)

    assert "1 hard" in output and "1 addresses suppressed" in output
    suppression = Suppression.objects.get(library=library)
    assert (suppression.email, suppression.reason) == (member.email, "hard_bounce")
    assert suppression.source_message_id == message.pk
    bounce = Bounce.objects.get()
    assert (bounce.status_code, bounce.kind) == ("5.1.1", Bounce.Kind.HARD)
    assert "User unknown" in bounce.diagnostic

    tick(at(TODAY + dt.timedelta(days=7)))  # welcome mail 2 is due: not to this address
    assert len(smtp_server.to(member.email)) == 1
    assert not Message.objects.filter(enrolment__member=member, step__position=2).exists()


def test_soft_bounces_suppress_only_when_they_repeat(library, smtp_server, maildir, capsys):
    _, message = welcomed(library, smtp_server)

    for _ in range(2):
        arrives(maildir, "exchange_mailbox_timeout.eml", message)
    read_bounces(maildir, capsys)
    assert not Suppression.objects.exists()
    assert Bounce.objects.filter(kind=Bounce.Kind.SOFT).count() == 2

    arrives(maildir, "exchange_mailbox_timeout.eml", message)
    read_bounces(maildir, capsys)
    assert Suppression.objects.get().reason == Suppression.Reason.SOFT_BOUNCES


def test_soft_bounces_long_ago_do_not_count(library, smtp_server, maildir, capsys):
    _, message = welcomed(library, smtp_server)
    for _ in range(2):
        arrives(maildir, "exchange_mailbox_timeout.eml", message)
    read_bounces(maildir, capsys)
    Bounce.objects.update(received_at=timezone.now() - dt.timedelta(days=31))

    arrives(maildir, "exchange_mailbox_timeout.eml", message)
    read_bounces(maildir, capsys)

    assert not Suppression.objects.exists()


def test_a_complaint_suppresses_and_unsubscribes(library, smtp_server, maildir, capsys):
    member, message = welcomed(library, smtp_server)
    arrives(maildir, "yahoo_arf_complaint.eml", message, recipient="redacted@yahoo.com")

    output = read_bounces(maildir, capsys)

    assert "1 complaint" in output
    member.refresh_from_db()
    assert member.unsubscribed_at is not None
    assert Suppression.objects.get().reason == Suppression.Reason.COMPLAINT
    assert Suppression.objects.get().email == member.email  # the address we sent to


def test_an_unsubscribe_mail_leaves_the_mails_list_without_suppressing(
    library, smtp_server, maildir, capsys
):
    member, message = welcomed(library, smtp_server)
    arrives(maildir, "mailto_unsubscribe.eml", message)

    output = read_bounces(maildir, capsys)

    member.refresh_from_db()
    assert member.unsubscribed_at is None  # the other lists go on
    [choice] = ListChoice.objects.filter(member=member)
    assert (choice.mailing_list.key, choice.receives) == ("welcome", False)
    [consent] = ConsentRecord.objects.filter(member=member)
    assert (consent.choice, consent.source, consent.text_version) == (
        "left",
        "mail_reply",
        "mail-reply/1",
    )
    assert Enrolment.objects.get(member=member).exit_reason == Enrolment.ExitReason.LEFT_LIST
    assert "1 members unsubscribed" in output
    assert not Suppression.objects.exists()


def test_an_unsubscribe_mail_about_a_service_message_stops_all_mail(
    library, smtp_server, maildir, capsys
):
    member, message = welcomed(library, smtp_server)
    journey = message.step.version.journey
    journey.mailing_list = standard_lists(library)["membership"]
    journey.save(update_fields=["mailing_list"])
    arrives(maildir, "mailto_unsubscribe.eml", message)

    read_bounces(maildir, capsys)

    member.refresh_from_db()
    assert member.unsubscribed_at is not None
    assert not ListChoice.objects.exists()
    [consent] = ConsentRecord.objects.filter(member=member)
    assert (consent.choice, consent.source) == ("stopped_all", "mail_reply")


@pytest.mark.parametrize("report", ["delayed_warning.eml", "out_of_office.eml"])
def test_warnings_and_auto_replies_change_nothing(library, smtp_server, maildir, capsys, report):
    _, message = welcomed(library, smtp_server)
    arrives(maildir, report, message)

    output = read_bounces(maildir, capsys)

    assert "1 mails ignored" in output
    assert not Bounce.objects.exists() and not Suppression.objects.exists()


def test_a_forged_return_path_suppresses_nobody(library, smtp_server, maildir, capsys):
    _, message = welcomed(library, smtp_server)
    arrives(maildir, "postfix_hard_bounce.eml", message)
    forged = maildir / "new" / next(iter((maildir / "new").iterdir())).name
    text = forged.read_text()
    token = verp.message_token(message.pk)
    forged.write_text(text.replace(token, token[:-4] + "0000"))

    read_bounces(maildir, capsys)

    assert not Suppression.objects.exists()


def test_reading_the_maildir_twice_acts_once(library, smtp_server, maildir, capsys):
    _, message = welcomed(library, smtp_server)
    arrives(maildir, "exchange_mailbox_timeout.eml", message)

    read_bounces(maildir, capsys)
    read_bounces(maildir, capsys)

    assert Bounce.objects.count() == 1


def test_a_reader_stopped_before_marking_a_mail_seen_does_not_count_it_twice(
    library, smtp_server, maildir, capsys
):
    _, message = welcomed(library, smtp_server)
    arrives(maildir, "exchange_mailbox_timeout.eml", message)
    read_bounces(maildir, capsys)
    box = mailbox.Maildir(maildir)
    for key in list(box.iterkeys()):  # as if the reader had stopped before flagging it
        entry = box.get_message(key)
        entry.set_subdir("new")
        entry.set_flags("")
        box[key] = entry

    read_bounces(maildir, capsys)

    assert Bounce.objects.count() == 1
    assert all("S" in box.get_message(key).get_flags() for key in box.iterkeys())


def test_staff_can_list_and_remove_a_suppressed_address(library, smtp_server, maildir, capsys):
    member, message = welcomed(library, smtp_server)
    arrives(maildir, "postfix_hard_bounce.eml", message)
    read_bounces(maildir, capsys)

    call_command("suppressions", "list", "--library", "gent")
    listing = capsys.readouterr().out
    assert member.email in listing and "Hard bounce" in listing

    call_command("suppressions", "remove", "--library", "gent", member.email.upper())
    assert not Suppression.objects.exists()
    with pytest.raises(CommandError, match="not on gent's suppression list"):
        call_command("suppressions", "remove", "--library", "gent", member.email)


def test_a_suppressed_address_is_never_enrolled(library, smtp_server):
    call_command("suppressions", "add", "--library", "gent", "Kim@Example.org")
    MemberFactory(library=library, registered_on=TODAY, email="kim@example.org")

    tick(at(TODAY))

    assert smtp_server.messages == []
    assert not Message.objects.exists()


def test_too_many_complaints_pause_the_librarys_sending(library, smtp_server, maildir, capsys):
    _, message = welcomed(library, smtp_server)
    MessageFactory.create_batch(  # 199 more deliveries, without complaints
        199,
        enrolment__journey=message.enrolment.journey,
        step=message.step,
        variant=message.variant,
        sent_at=timezone.now(),
    )
    arrives(maildir, "yahoo_arf_complaint.eml", message)

    output = read_bounces(maildir, capsys)

    library.refresh_from_db()
    assert library.sending_paused_at is not None
    assert library.sending_paused_reason.startswith("complaint rate 0.50% over the last 200")
    assert "Sending paused for gent" in output
    call_command("library", "list")
    assert "PAUSED" in capsys.readouterr().out

    MemberFactory(library=library, registered_on=TODAY)
    tick(at(TODAY, hour=11))
    assert len(smtp_server.messages) == 1  # only the first mail, sent before the pause

    call_command("sending", "resume", "--library", "gent")
    tick(at(TODAY, hour=12))
    assert len(smtp_server.messages) == 2


def test_an_unreadable_mail_is_skipped_and_the_rest_still_read(
    library, smtp_server, maildir, capsys
):
    _, message = welcomed(library, smtp_server)
    domain = library.sender_email.rpartition("@")[2]
    unreadable = (
        f"Delivered-To: {verp.return_path(message.pk, domain)}\r\n"
        "Content-Type: text/plain; charset=no-such-charset\r\n\r\n550 5.1.1 gone\r\n"
    )
    mailbox.Maildir(maildir).add(unreadable.encode())
    arrives(maildir, "postfix_hard_bounce.eml", message)

    output = read_bounces(maildir, capsys)

    assert "1 hard" in output and "1 mails ignored" in output
    assert read_bounces(maildir, capsys).startswith("Read nothing")  # both marked seen
