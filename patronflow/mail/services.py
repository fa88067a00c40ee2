"""The sending core: claim a batch from the outbox, render, deliver over one SMTP connection.

Once-only sending rests on the database: a message exists once per (enrolment, step), and a
batch is claimed with a conditional update (queued → sending) that only one sender can win.
The claim is also where each library's send window and caps hold (docs/sending.md), so that
every sender obeys them.
"""

import datetime as dt
import logging
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from patronflow.mail.models import Message
from patronflow.mail.rendering import RenderedMail, TemplateProblem, render_mail
from patronflow.mail.smtp import PermanentFailure, SmtpServer, SmtpSession, TemporaryFailure
from patronflow.mail.windows import WEEK, local_day
from patronflow.members.models import Library, Loan
from patronflow.privacy.rules import why_not_mailable
from patronflow.profiles.queries import ReadingTip, popular_titles

log = logging.getLogger(__name__)

TIPS_PER_MAIL = 3
RETRY_BASE_DELAY = dt.timedelta(minutes=5)
# Due messages looked at per step of a claim: members at their cap are passed over.
CLAIM_SCAN = 500
MICROSECOND = dt.timedelta(microseconds=1)


@dataclass
class SendSummary:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    suppressed: int = 0

    def add(self, other: "SendSummary") -> None:
        self.sent += other.sent
        self.retrying += other.retrying
        self.failed += other.failed
        self.suppressed += other.suppressed


def _due(now: dt.datetime) -> QuerySet[Message]:
    return Message.objects.filter(
        status=Message.Status.QUEUED, due_on__lte=timezone.localdate(now)
    ).filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))


def _counted(since: dt.datetime, until: dt.datetime | None = None) -> Q:
    """Mails that count against the caps: sent in (since, until], or claimed then and still
    being sent. Failed, suppressed and waiting mails never reached the member."""
    sent = Q(status=Message.Status.SENT, sent_at__gt=since)
    sending = Q(status=Message.Status.SENDING, claimed_at__gt=since)
    if until is not None:
        sent &= Q(sent_at__lte=until)
        sending &= Q(claimed_at__lte=until)
    return sent | sending


def claim_batch(now: dt.datetime, size: int) -> list[Message]:
    """Take up to `size` due messages for this sender alone, within each library's send
    window and caps. Due messages that may not go now are given the moment they may."""
    claim = uuid.uuid4().hex
    libraries = _due(now).order_by("library_id").values_list("library_id", flat=True).distinct()
    room = size
    for library_id in list(libraries):
        room -= _claim_for_library(library_id, now, room, claim)
        if room <= 0:
            break
    return list(
        Message.objects.filter(claimed_by=claim, status=Message.Status.SENDING)
        .select_related("library", "variant", "step__version__journey", "enrolment__member")
        .order_by("id")
    )


def _claim_for_library(library_id: int, now: dt.datetime, size: int, claim: str) -> int:
    """Claim up to `size` of one library's due messages; returns how many.

    Counting what was sent and claiming more must be one step, or two senders could each see
    room for the last mail: the library's row is locked for the transaction (PostgreSQL), and
    SQLite's IMMEDIATE transactions let one writer in at a time anyway.
    """
    with transaction.atomic():
        library = Library.objects.select_for_update(no_key=True).get(pk=library_id)
        due = _due(now).filter(library_id=library_id)
        window = library.send_window
        opening = window.next_opening(now)
        if opening != now:
            due.update(next_attempt_at=opening)
            return 0
        if library.daily_cap:
            day_starts, next_day = local_day(now, window.zone)
            sent_today = Message.objects.filter(
                _counted(day_starts - MICROSECOND, next_day - MICROSECOND),
                library_id=library_id,
            ).count()
            if sent_today >= library.daily_cap:
                due.update(next_attempt_at=window.next_opening(next_day))
                return 0
            size = min(size, library.daily_cap - sent_today)
        claimed = 0
        while claimed < size:
            candidates = list(
                due.order_by("id").values_list("id", "enrolment__member_id")[:CLAIM_SCAN]
            )
            going, waiting = _within_member_cap(library, candidates, now, size - claimed)
            claimed += Message.objects.filter(id__in=going, status=Message.Status.QUEUED).update(
                status=Message.Status.SENDING, claimed_by=claim, claimed_at=now
            )
            Message.objects.bulk_update(
                [Message(id=pk, next_attempt_at=moment) for pk, moment in waiting.items()],
                ["next_attempt_at"],
                batch_size=500,
            )
            if len(candidates) < CLAIM_SCAN:
                break
        return claimed


def _within_member_cap(
    library: Library, candidates: list[tuple[int, int]], now: dt.datetime, size: int
) -> tuple[list[int], dict[int, dt.datetime]]:
    """Split (message, member) candidates into up to `size` that may go now and the ones that
    wait, with the moment each member has room again: when the oldest of their last `cap`
    mails turns 7 days old (then the next window opening)."""
    cap = library.member_weekly_cap
    if not cap:
        return [pk for pk, _ in candidates[:size]], {}
    recent: dict[int, list[dt.datetime]] = defaultdict(list)
    counted = Message.objects.filter(
        _counted(now - WEEK), enrolment__member_id__in={member for _, member in candidates}
    ).values_list("enrolment__member_id", "status", "sent_at", "claimed_at")
    for member_id, status, sent_at, claimed_at in counted:
        recent[member_id].append(sent_at if status == Message.Status.SENT else claimed_at)
    going: list[int] = []
    waiting: dict[int, dt.datetime] = {}
    for pk, member_id in candidates:
        mails = recent[member_id]
        if len(mails) >= cap:
            room_again = sorted(mails)[len(mails) - cap] + WEEK
            waiting[pk] = library.send_window.next_opening(room_again)
        elif len(going) < size:
            going.append(pk)
            mails.append(now)
    return going, waiting


class TipChooser:
    """Reading tips per (library, segment) computed once per batch, minus what a member read."""

    def __init__(self, messages: list[Message], today: dt.date) -> None:
        self.today = today
        self._popular: dict[tuple[int, str], list[ReadingTip]] = {}
        for message in messages:
            if message.variant.with_reading_tips:
                key = (message.library_id, message.enrolment.segment)
                if key not in self._popular:
                    self._popular[key] = popular_titles(
                        message.library, message.enrolment.segment, today
                    )
        titles = {tip.title for tips in self._popular.values() for tip in tips}
        self._borrowed = {
            (member_id, ReadingTip(title=title, author=author))
            for member_id, title, author in Loan.objects.filter(
                member_id__in=[m.enrolment.member_id for m in messages],
                item__title__in=titles,
            ).values_list("member_id", "item__title", "item__author")
        }

    def for_message(self, message: Message) -> list[ReadingTip]:
        if not message.variant.with_reading_tips:
            return []
        popular = self._popular[(message.library_id, message.enrolment.segment)]
        member_id = message.enrolment.member_id
        unread = [tip for tip in popular if (member_id, tip) not in self._borrowed]
        return unread[:TIPS_PER_MAIL]


def compose(message: Message, rendered: RenderedMail) -> EmailMessage:
    library = message.library
    member = message.enrolment.member
    sender_domain = library.sender_email.rpartition("@")[2]
    mail = EmailMessage()
    mail["From"] = library.from_address
    mail["To"] = Address(
        display_name=f"{member.first_name} {member.last_name}".strip(), addr_spec=member.email
    )
    mail["Subject"] = rendered.subject
    mail["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    mail["Message-ID"] = make_msgid(idstring=f"pf{message.pk}", domain=sender_domain)
    mail["List-Id"] = f"{library.name} <{message.step.version.journey.key}.{sender_domain}>"
    mail["List-Unsubscribe"] = f"<{rendered.unsubscribe_url}>"
    mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    mail.set_content(rendered.text)
    mail.add_alternative(rendered.html, subtype="html")
    return mail


def _render(message: Message, tips: list[ReadingTip]) -> RenderedMail:
    variant = message.variant
    return render_mail(
        message_id=message.pk,
        member=message.enrolment.member,
        library=message.library,
        subject=variant.subject,
        preheader=variant.preheader,
        body=variant.body,
        reading_tips=tips,
    )


def _retry_later(message: Message, now: dt.datetime, error: Exception) -> bool:
    """Back to the queue with exponential backoff, or failed once attempts run out."""
    message.last_error = str(error)[:1000]
    if message.attempts >= settings.SEND_MAX_ATTEMPTS:
        message.status = Message.Status.FAILED
        return False
    message.status = Message.Status.QUEUED
    message.next_attempt_at = now + RETRY_BASE_DELAY * 2 ** (message.attempts - 1)
    return True


_SAVED_FIELDS = [
    "status", "to_email", "subject", "links", "header_message_id", "attempts",
    "next_attempt_at", "claimed_by", "last_error", "sent_at",
]  # fmt: skip


def deliver_batch(messages: list[Message], now: dt.datetime, session: SmtpSession) -> SendSummary:
    summary = SendSummary()
    today = timezone.localdate(now)
    tips = TipChooser(messages, today)
    for message in messages:
        member = message.enrolment.member
        reason = why_not_mailable(member, today)
        message.claimed_by = ""
        if reason:
            message.status = Message.Status.SUPPRESSED
            message.last_error = reason
            summary.suppressed += 1
            message.save(update_fields=_SAVED_FIELDS)
            continue
        try:
            rendered = _render(message, tips.for_message(message))
        except TemplateProblem as error:
            message.status = Message.Status.FAILED
            message.last_error = f"template: {error}"
            summary.failed += 1
            message.save(update_fields=_SAVED_FIELDS)
            continue
        mail = compose(message, rendered)
        message.to_email = member.email
        message.subject = rendered.subject
        message.links = rendered.links
        message.header_message_id = mail["Message-ID"]
        message.attempts += 1
        try:
            session.send(mail, envelope_from=message.library.sender_email, recipient=member.email)
        except TemporaryFailure as error:
            if _retry_later(message, now, error):
                summary.retrying += 1
            else:
                summary.failed += 1
        except PermanentFailure as error:
            message.status = Message.Status.FAILED
            message.last_error = str(error)[:1000]
            summary.failed += 1
        else:
            message.status = Message.Status.SENT
            message.sent_at = now
            message.last_error = ""
            summary.sent += 1
        message.save(update_fields=_SAVED_FIELDS)
    return summary


def send_due_messages(
    now: dt.datetime,
    batch_size: int | None = None,
    on_batch: Callable[[SendSummary], None] | None = None,
) -> SendSummary:
    """Send everything due, batch by batch, until the outbox has nothing due or SMTP is down."""
    size = batch_size or settings.SEND_BATCH_SIZE
    server = SmtpServer.from_url(settings.SMTP_URL)
    total = SendSummary()
    while batch := claim_batch(now, size):
        try:
            with SmtpSession(server) as session:
                summary = deliver_batch(batch, now, session)
        except TemporaryFailure as error:
            # The server is down: nothing was attempted, so no attempt is counted.
            log.warning("SMTP unavailable, %d messages wait: %s", len(batch), error)
            Message.objects.filter(pk__in=[m.pk for m in batch]).update(
                status=Message.Status.QUEUED,
                claimed_by="",
                next_attempt_at=now + RETRY_BASE_DELAY,
                last_error=str(error)[:1000],
            )
            total.retrying += len(batch)
            break
        total.add(summary)
        if on_batch:
            on_batch(summary)
    return total
