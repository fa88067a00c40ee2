"""What receivers check before they trust a mail: a DKIM signature that verifies against the
published key, and well-formed headers for threading, unsubscribing and feedback loops."""

import email.utils
import re
import stat

import dkim
import pytest
from django.core.management import call_command
from dkim.canonicalization import Relaxed
from hypothesis import given
from hypothesis import strategies as st

from patronflow.mail import verp
from patronflow.mail.dkim import relaxed_body, relaxed_header
from patronflow.mail.models import Message
from patronflow.operations.tick import tick
from tests.factories import TODAY, MemberFactory, at
from tests.mail.servers import KeepsRawBytes, running


@pytest.fixture
def published_dns(library, settings, tmp_path, capsys):
    """`patronflow dkim gent` run, and its TXT record as the receiver's DNS answers it."""
    settings.VAR_DIR = tmp_path
    call_command("dkim", "gent", "--selector", "mei2026")
    output = capsys.readouterr().out
    name = re.search(r"^(\S+)\. IN TXT", output, re.M)[1]
    value = "".join(re.findall(r'"([^"]*)"', output))
    records = {f"{name}.".encode(): value.encode()}

    def lookup(qname: bytes, timeout: int = 5) -> bytes | None:
        return records.get(qname)

    return lookup


@pytest.fixture
def smtp_server(settings):
    """The recording SMTP server, keeping the raw bytes too."""
    with running(KeepsRawBytes()) as server:
        settings.SMTP_URL = server.url
        yield server


def test_the_dkim_command_keeps_the_key_private_and_names_the_selector(
    published_dns, library, settings
):
    library.refresh_from_db()
    assert library.dkim_selector == "mei2026"
    key = settings.VAR_DIR / "dkim" / "gent.bibliotheek.be.mei2026.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    before = key.read_bytes()
    call_command("dkim", "gent")  # again: the same key, the same record
    assert key.read_bytes() == before


def test_mails_are_signed_so_that_dkimpy_verifies_them(published_dns, library, smtp_server):
    MemberFactory(
        library=library, first_name="Zoë", last_name="Van den Broeck", registered_on=TODAY
    )
    tick(at(TODAY))

    [mail] = smtp_server.messages
    raw = smtp_server.handler.raw[0]
    assert mail["DKIM-Signature"]
    assert "d=gent.bibliotheek.be" in mail["DKIM-Signature"]
    assert "s=mei2026" in mail["DKIM-Signature"]
    assert dkim.verify(raw, dnsfunc=published_dns)


def test_a_changed_mail_no_longer_verifies(published_dns, library, smtp_server):
    MemberFactory(library=library, registered_on=TODAY)
    tick(at(TODAY))

    raw = smtp_server.handler.raw[0]
    assert not dkim.verify(raw.replace(b"Welkom", b"Welcome", 1), dnsfunc=published_dns)


def test_without_a_key_mails_go_unsigned(library, smtp_server, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    MemberFactory(library=library, registered_on=TODAY)
    tick(at(TODAY))

    [mail] = smtp_server.messages
    assert mail["DKIM-Signature"] is None


def test_headers_are_present_and_well_formed(library, smtp_server):
    member = MemberFactory(library=library, registered_on=TODAY)
    tick(at(TODAY))

    [mail] = smtp_server.messages
    message = Message.objects.get()
    token = verp.message_token(message.pk)
    assert re.fullmatch(r"<pf\d+\.[0-9a-f]{12}@gent\.bibliotheek\.be>", mail["Message-ID"])
    assert email.utils.parsedate_to_datetime(mail["Date"]).tzinfo is not None
    assert mail["List-Id"] == "Welkomstmails <welcome.gent.gent.bibliotheek.be>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f"<mailto:unsubscribe+{token}@gent.bibliotheek.be>" in mail["List-Unsubscribe"]
    assert mail["Feedback-ID"] == "welcome.1:gent:journey:patronflow"
    assert mail["X-Patronflow-Id"] == token
    assert member.email not in mail["X-Patronflow-Id"]
    # Each message has its own return path, so a bounce names the message it is about.
    [(envelope_from, recipients)] = smtp_server.handler.envelopes
    assert envelope_from == f"bounces+{token}@gent.bibliotheek.be"
    assert recipients == [member.email]
    assert verp.read_message_token(token) == message.pk


def test_a_forged_return_path_names_no_message():
    token = verp.message_token(42)
    assert verp.read_message_token(token) == 42
    assert verp.read_message_token(token.upper()) == 42  # case changed on the way back
    assert verp.read_message_token("1a-0123456789abcdef") is None


@given(
    st.lists(
        st.text(alphabet=" \tab=", max_size=12).map(lambda text: text.encode()), max_size=8
    ).map(lambda lines: b"".join(line + b"\r\n" for line in lines))
)
def test_the_relaxed_body_is_what_dkimpy_computes_whether_or_not_it_needs_the_regexes(body):
    assert relaxed_body(body) == Relaxed.canonicalize_body(body)


@given(
    st.lists(st.text(alphabet=" \tab", max_size=10), min_size=1, max_size=4).map(
        lambda lines: "\r\n".join(lines).encode()
    )
)
def test_a_relaxed_header_is_what_dkimpy_computes_folded_or_not(value):
    folded = b" " + value.replace(b"\r\n", b"\r\n ")  # continuation lines start with a space
    [(name, expected)] = Relaxed.canonicalize_headers([(b"Subject", folded)])
    assert relaxed_header("Subject", folded) == name + b":" + expected
