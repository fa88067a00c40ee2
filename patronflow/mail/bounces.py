"""What comes back: delivery status notifications (RFC 3464), spam complaints (ARF, RFC 5965)
and unsubscribe mails (the List-Unsubscribe mailto), matched to the message they are about;
read from a maildir (process_maildir) or received by the SMTP listener (mail/inbound.py),
both through process_mail.

A message is found by its own return path (bounces+<token>@domain, VERP) or by the
X-Patronflow-Id header in the returned copy; both carry a signed token, never an address, so
a forged report cannot suppress someone else. A hard bounce suppresses the address at once;
soft bounces after settings.SOFT_BOUNCE_LIMIT within SOFT_BOUNCE_DAYS; a complaint suppresses
and stops all mail to the member; an unsubscribe mail leaves the list (topic) the mail went
out on, as one-click does. After each report the library's rates are checked and, past the
limits, its sending is paused (docs/operations.md).

Unsubscribing and leaving a list are tracking's, a later stage: the caller gives them
(operations/bounces.py).
"""

import datetime as dt
import email
import email.policy
import logging
import mailbox
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from patronflow import notices
from patronflow.mail import verp
from patronflow.mail.models import Bounce, Message
from patronflow.mail.received import delivery_key, forget_old_keys, recorded_before
from patronflow.members.models import Library, Member
from patronflow.privacy.models import Suppression
from patronflow.privacy.references import address_reference

log = logging.getLogger(__name__)

_ID_HEADER = re.compile(rb"^X-Patronflow-Id:\s*([0-9a-z]+-[0-9a-f]{16})", re.I | re.M)
_BOUNCE_ADDRESS = re.compile(r"bounces\+([0-9a-z]+-[0-9a-f]{16})@", re.I)
_UNSUBSCRIBE_ADDRESS = re.compile(r"unsubscribe\+([0-9a-z]+-[0-9a-f]{16})@", re.I)
_STATUS = re.compile(r"\b([245])\.\d{1,3}\.\d{1,3}\b")
# Where the address a mail was delivered to shows up in a mailbox.
_RECIPIENT_HEADERS = ("Delivered-To", "X-Original-To", "Envelope-To", "To")
MINIMUM_SAMPLE = 100

# Stops all mail to the member a message went to (unsubscribe), or their mail from the
# message's list (leave_list), at the given time; True only for the call that did it, so a
# member counts as unsubscribed once.
Unsubscribe = Callable[[Message, dt.datetime], bool]


@dataclass(frozen=True)
class Report:
    """One thing that came back, as read from the mail."""

    kind: str  # a Bounce.Kind, or "unsubscribe"
    message_id: int
    status_code: str = ""
    diagnostic: str = ""


def _token_in(pattern: re.Pattern, text: str) -> int | None:
    for match in pattern.finditer(text):
        found = verp.read_message_token(match[1])
        if found is not None:
            return found
    return None


def _addressed_to(mail: EmailMessage, pattern: re.Pattern, recipients: Sequence[str]) -> int | None:
    """The message named by the address the mail was delivered to: the SMTP envelope's
    recipients when known, else the headers a mail server leaves in a mailbox."""
    headers = [str(value) for name in _RECIPIENT_HEADERS for value in mail.get_all(name) or []]
    for value in [*recipients, *headers]:
        found = _token_in(pattern, value)
        if found is not None:
            return found
    return None


def _returned_message(raw: bytes) -> int | None:
    """The message named in the returned copy's X-Patronflow-Id header."""
    for match in _ID_HEADER.finditer(raw):
        found = verp.read_message_token(match[1].decode())
        if found is not None:
            return found
    return None


def _fields(part: EmailMessage) -> list[EmailMessage]:
    """The header blocks of a message/delivery-status or message/feedback-report part."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return payload
    text = payload if isinstance(payload, str) else part.get_payload(decode=True).decode()
    return [BytesHeaderParser().parsebytes(block.encode()) for block in text.split("\n\n")]


def read_report(raw: bytes, recipients: Sequence[str] = ()) -> Report | None:
    """What this mail reports, or None when it is not about one of our messages.
    `recipients`: the envelope's RCPT TO addresses, when it came over SMTP."""
    mail = email.message_from_bytes(raw, policy=email.policy.default)
    unsubscribing = _addressed_to(mail, _UNSUBSCRIBE_ADDRESS, recipients)
    if unsubscribing is not None:
        return Report("unsubscribe", unsubscribing)
    message_id = _addressed_to(mail, _BOUNCE_ADDRESS, recipients) or _returned_message(raw)
    if message_id is None:
        return None
    for part in mail.walk():
        content_type = part.get_content_type()
        if content_type == "message/feedback-report":
            feedback = _fields(part)[0]
            kind = str(feedback.get("Feedback-Type", "abuse")).strip().lower()
            if kind in {"abuse", "fraud", "virus", "other"}:
                return Report(Bounce.Kind.COMPLAINT, message_id, diagnostic=f"ARF {kind}")
            return None
        if content_type == "message/delivery-status":
            return _delivery_status(_fields(part)[1:], message_id)
    # Not a standard report (older or home-grown servers): judge by an enhanced status code.
    text = mail.get_body(("plain",))
    match = _STATUS.search(text.get_content() if text else "")
    if match and match[1] in "45":
        kind = Bounce.Kind.HARD if match[1] == "5" else Bounce.Kind.SOFT
        return Report(kind, message_id, match[0], "non-standard bounce")
    return None


def _delivery_status(recipients: list[EmailMessage], message_id: int) -> Report | None:
    """RFC 3464 per-recipient fields: Action failed with 5.x.x is hard, 4.x.x is soft;
    'delayed', 'delivered', 'relayed' and 'expanded' are not bounces."""
    for fields in recipients:
        action = str(fields.get("Action", "")).strip().lower()
        status = str(fields.get("Status", "")).strip().split(" ")[0]
        diagnostic = " ".join(str(fields.get("Diagnostic-Code", "")).split())
        if action != "failed":
            continue
        kind = Bounce.Kind.SOFT if status.startswith("4") else Bounce.Kind.HARD
        return Report(kind, message_id, status, diagnostic[:1000])
    return None


@dataclass
class BounceSummary:
    read: Counter
    suppressed: int = 0
    unsubscribed: int = 0
    ignored: int = 0
    paused: list[str] | None = None

    def describe(self) -> str:
        read = ", ".join(f"{n} {kind}" for kind, n in sorted(self.read.items())) or "nothing"
        return (
            f"Read {read}; {self.suppressed} addresses suppressed, "
            f"{self.unsubscribed} members unsubscribed, {self.ignored} mails ignored."
        )


def suppress(library: Library, address: str, reason: str, message_id: int | None = None) -> bool:
    """Put an address on the library's suppression list; True when it was not on it yet.
    Found by its keyed hash, so an erased member's address (kept only as the hash) is not
    listed twice; it is held in clear again, since it is in use again. A new suppression is
    announced (address.suppressed) with the library's ids of the members at the address."""
    email = address.strip().lower()
    with transaction.atomic():
        row, created = Suppression.objects.get_or_create(
            library=library,
            address_ref=address_reference(email),
            defaults={"email": email, "reason": reason, "source_message_id": message_id},
        )
        if not created and not row.email:
            Suppression.objects.filter(pk=row.pk).update(email=email)
        if created:
            members = Member.objects.filter(library=library, email__iexact=email)
            notices.announce(
                library_id=library.pk,
                kind=notices.ADDRESS_SUPPRESSED,
                data={
                    "reason": reason,
                    "members": sorted(members.values_list("external_id", flat=True)),
                },
            )
    return created


def record_report(
    report: Report,
    now: dt.datetime,
    summary: BounceSummary,
    *,
    unsubscribe: Unsubscribe,
    leave_list: Unsubscribe,
) -> int | None:
    """Act on one report: record it, suppress or unsubscribe as it calls for. Returns the
    library of the message it is about (None: no such message)."""
    message = (
        Message.objects.select_related("library", "enrolment__member")
        .filter(pk=report.message_id)
        .first()
    )
    if message is None:  # erased since, or from another installation
        summary.ignored += 1
        return None
    summary.read[report.kind] += 1
    if report.kind == "unsubscribe":
        summary.unsubscribed += leave_list(message, now)
        return message.library_id
    address = (message.to_email or message.enrolment.member.email).lower()
    with transaction.atomic():
        Bounce.objects.create(
            library=message.library,
            message_id=message.pk,
            email=address,
            kind=report.kind,
            status_code=report.status_code,
            diagnostic=report.diagnostic,
            received_at=now,
        )
        reason = None
        if report.kind == Bounce.Kind.HARD:
            reason = Suppression.Reason.HARD_BOUNCE
        elif report.kind == Bounce.Kind.COMPLAINT:
            reason = Suppression.Reason.COMPLAINT
        elif (
            Bounce.objects.filter(
                library=message.library,
                email=address,
                kind=Bounce.Kind.SOFT,
                received_at__gt=now - dt.timedelta(days=settings.SOFT_BOUNCE_DAYS),
            ).count()
            >= settings.SOFT_BOUNCE_LIMIT
        ):
            reason = Suppression.Reason.SOFT_BOUNCES
        if reason:
            summary.suppressed += suppress(message.library, address, reason, message.pk)
        if report.kind == Bounce.Kind.COMPLAINT:
            notices.announce(
                library_id=message.library_id,
                kind=notices.COMPLAINT,
                data={"member": message.enrolment.member.external_id},
                at=now,
            )
    if report.kind == Bounce.Kind.COMPLAINT:
        summary.unsubscribed += unsubscribe(message, now)
    return message.library_id


def process_mail(
    raw: bytes,
    summary: BounceSummary,
    now: dt.datetime,
    recipients: Sequence[str] = (),
    *,
    unsubscribe: Unsubscribe,
    leave_list: Unsubscribe,
) -> int | None:
    """Read one mail that came back and act on it, whether it came from the maildir or the
    inbound SMTP listener. Returns the library it concerned, None when it was ignored.

    A mail the parser cannot read is ignored (and logged), not raised: it will not become
    readable on a second try, and must not block the mails behind it. Errors while recording
    (the database) do raise, so that the mail is read again.
    """
    try:
        report = read_report(raw, recipients)
    except Exception:
        log.warning("ignored a returned mail that could not be read", exc_info=True)
        report = None
    if report is None:
        summary.ignored += 1
        return None
    return record_report(report, now, summary, unsubscribe=unsubscribe, leave_list=leave_list)


def pause_if_unhealthy(library: Library, now: dt.datetime) -> str | None:
    """Pause the library's sending when, over its last DELIVERY_SAMPLE deliveries, complaints
    or hard bounces pass the limits (mailbox providers block senders above them). Returns the
    reason when it paused now."""
    if library.sending_paused_at:
        return None
    recent = list(
        Message.objects.filter(library=library, status=Message.Status.SENT)
        .order_by("-sent_at", "-id")
        .values_list("id", flat=True)[: settings.DELIVERY_SAMPLE]
    )
    if len(recent) < MINIMUM_SAMPLE:
        return None
    counts = Counter(
        Bounce.objects.filter(library=library, message_id__in=recent).values_list("kind", flat=True)
    )
    complaints = counts[Bounce.Kind.COMPLAINT] / len(recent)
    hard = counts[Bounce.Kind.HARD] / len(recent)
    reason = None
    if complaints > settings.PAUSE_COMPLAINT_RATE:
        reason = f"complaint rate {complaints:.2%} over the last {len(recent)} deliveries"
    elif hard > settings.PAUSE_HARD_BOUNCE_RATE:
        reason = f"hard-bounce rate {hard:.1%} over the last {len(recent)} deliveries"
    if reason:
        library.sending_paused_at = now
        library.sending_paused_reason = f"{reason} (limit exceeded)"[:300]
        library.save(update_fields=["sending_paused_at", "sending_paused_reason"])
        log.warning("sending paused for %s: %s", library.code, reason)
    return reason


def process_maildir(
    path: Path,
    now: dt.datetime | None = None,
    *,
    unsubscribe: Unsubscribe,
    leave_list: Unsubscribe,
) -> BounceSummary:
    """Read every new mail in a maildir; each is marked seen (flag S) once acted on, so a
    second run does not read it again. A reader stopped between the two finds the mail
    unseen next time: its key (mail/received.py), recorded with what it caused, keeps it
    from counting twice."""
    now = now or timezone.now()
    box = mailbox.Maildir(path, factory=None, create=False)
    summary = BounceSummary(read=Counter())
    libraries: set[int] = set()
    for key in list(box.keys()):
        entry = box.get_message(key)
        if "S" in entry.get_flags():
            continue
        raw = entry.as_bytes()
        received = delivery_key(raw, ())
        with transaction.atomic():
            library_id = (
                None
                if recorded_before(received, now)
                else process_mail(raw, summary, now, unsubscribe=unsubscribe, leave_list=leave_list)
            )
        if library_id is not None:
            libraries.add(library_id)
        entry.set_subdir("cur")
        entry.add_flag("S")
        box[key] = entry
    summary.paused = pause_unhealthy(libraries, now)
    forget_old_keys(now)
    return summary


def pause_unhealthy(library_ids: Iterable[int], now: dt.datetime) -> list[str]:
    """Check each library that reports were about; "code: reason" for each one paused now."""
    return [
        f"{library.code}: {reason}"
        for library in Library.objects.filter(pk__in=set(library_ids))
        if (reason := pause_if_unhealthy(library, now))
    ]
