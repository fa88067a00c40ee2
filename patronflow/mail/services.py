"""The sending core: claim a batch from the outbox, render, sign, deliver over a kept SMTP
connection.

Once-only sending rests on the database: a message exists once per (enrolment, step), and a
batch is claimed with a conditional update (queued → sending) that only one sender can win,
with a lease. A sender that dies leaves its lease to expire; its unrecorded messages then
become `uncertain` and are never resent automatically (docs/sending.md). The claim is also
where each library's send window, caps and pause hold, so that every sender obeys them.
"""

import datetime as dt
import logging
import random
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.utils import formatdate
from functools import cache

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from patronflow.privacy.audit import PATRONFLOW, record_change
from patronflow.journeys.models import HELD_UNTIL, Journey, Step, Variant
from patronflow.mail import mime, verp
from patronflow.mail.dkim import Signer, signer_for
from patronflow.mail.models import Message
from patronflow.mail.rendering import RenderedMail, TemplateProblem, render_mail
from patronflow.mail.skeletons import SkeletonRenderer
from patronflow.mail.smtp import (
    Envelope,
    OutcomeUnknown,
    ServerUnavailable,
    SmtpServer,
    SmtpSession,
    TemporaryFailure,
    persistent_session,
)
from patronflow.members.windows import WEEK, local_day
from patronflow.members.models import Library
from patronflow.privacy.models import Suppression
from patronflow.privacy.rules import why_not_mailable
from patronflow.processes import freeze_long_lived_objects
from patronflow.profiles.tips import TIPS_PER_MAIL, ReadingTip, borrowed_works, tips_for_segment

log = logging.getLogger(__name__)


RETRY_BASE_DELAY = dt.timedelta(minutes=5)
# Template failures in one batch that pause a step's journey, when they are most of its mails.
PAUSE_AFTER_FAILURES = 3
# Due messages looked at per step of a claim: members at their cap are passed over.
CLAIM_SCAN = 500
MICROSECOND = dt.timedelta(microseconds=1)


@dataclass
class SendSummary:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    suppressed: int = 0
    uncertain: int = 0
    # Batches handed to Celery workers (PATRONFLOW_BROKER_URL set): they report nothing back.
    dispatched: int = 0

    def add(self, other: "SendSummary") -> None:
        self.sent += other.sent
        self.retrying += other.retrying
        self.failed += other.failed
        self.suppressed += other.suppressed
        self.uncertain += other.uncertain
        self.dispatched += other.dispatched


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
    libraries = (
        Library.objects.filter(sending_paused_at__isnull=True)
        .filter(Exists(_due(now).filter(library=OuterRef("pk"))))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    room = size
    for library_id in list(libraries):
        room -= _claim_for_library(library_id, now, room, claim)
        if room <= 0:
            break
    return _with_shared_rows(
        Message.objects.filter(claimed_by=claim, status=Message.Status.SENDING)
        .select_related("enrolment__member")
        .order_by("id")
    )


def _with_shared_rows(messages: QuerySet[Message]) -> list[Message]:
    """The batch with its library, variant and step (with version and journey) loaded once
    each and shared by the messages that name them, instead of joined and built again for
    every message: a batch of 500 shares a handful."""
    batch = list(messages)
    libraries = Library.objects.in_bulk({message.library_id for message in batch})
    variants = Variant.objects.in_bulk({message.variant_id for message in batch})
    steps = Step.objects.select_related("version__journey").in_bulk(
        {message.step_id for message in batch}
    )
    for message in batch:
        message.library = libraries[message.library_id]
        message.variant = variants[message.variant_id]
        message.step = steps[message.step_id]
    return batch


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
                status=Message.Status.SENDING,
                claimed_by=claim,
                claimed_at=now,
                handed_over_at=None,
                lease_expires_at=timezone.now() + dt.timedelta(seconds=settings.SEND_LEASE_SECONDS),
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
    """Reading tips per (library, segment) chosen once per batch, minus what a member read."""

    def __init__(self, messages: list[Message], today: dt.date) -> None:
        self._chosen: dict[tuple[int, str], list[ReadingTip]] = {}
        for message in messages:
            if message.variant.with_reading_tips:
                key = (message.library_id, message.enrolment.segment)
                if key not in self._chosen:
                    self._chosen[key] = tips_for_segment(
                        message.library, message.enrolment.segment, today
                    )
        self._borrowed = borrowed_works(
            [message.enrolment.member_id for message in messages],
            {tip.work for tips in self._chosen.values() for tip in tips},
        )

    def for_message(self, message: Message) -> list[ReadingTip]:
        if not message.variant.with_reading_tips:
            return []
        chosen = self._chosen[(message.library_id, message.enrolment.segment)]
        member_id = message.enrolment.member_id
        unread = [tip for tip in chosen if (member_id, *tip.work) not in self._borrowed]
        return unread[:TIPS_PER_MAIL]


def reclaim_expired_leases() -> int:
    """Settle the messages of senders whose lease ran out before they recorded an outcome;
    returns how many became uncertain.

    A mail that was never handed to the SMTP server goes back to the queue, without counting
    an attempt. One that was (handed_over_at) may or may not have left: a second copy is
    worse than none, so it becomes uncertain and is not resent automatically. Leases are on
    the wall clock (`tick --now` moves the journeys' clock, not the workers').
    """
    expired = Message.objects.filter(
        Q(lease_expires_at__lt=timezone.now()) | Q(lease_expires_at__isnull=True),
        status=Message.Status.SENDING,
    )
    given_back = expired.filter(handed_over_at__isnull=True).update(
        status=Message.Status.QUEUED,
        claimed_by="",
        next_attempt_at=None,
        last_error="its sender stopped before handing it to the SMTP server: queued again",
    )
    uncertain = expired.filter(handed_over_at__isnull=False).update(
        status=Message.Status.UNCERTAIN,
        last_error="sender stopped before recording the SMTP outcome; not resent",
    )
    if given_back:
        log.warning("%d messages are queued again: their sender stopped before SMTP", given_back)
    if uncertain:
        log.warning("%d messages are uncertain: their sender stopped mid-SMTP", uncertain)
    return uncertain


def compose(message: Message, rendered: RenderedMail, signer: Signer | None = None) -> bytes:
    """The mail as it goes over SMTP: headers for deliverability, both parts, DKIM-signed
    when the library has a key."""
    library = message.library
    member = message.enrolment.member
    domain = library.sender_email.rpartition("@")[2]
    token = verp.message_token(message.pk)
    journey_key = message.step.version.journey.key
    message.header_message_id = f"<pf{message.pk}.{uuid.uuid4().hex[:12]}@{domain}>"
    name = f"{member.first_name} {member.last_name}".strip()
    unsubscribe = (
        f"<{rendered.unsubscribe_url}>,\r\n <mailto:{verp.unsubscribe_address(message.pk, domain)}>"
    )
    headers = [
        ("From", mime.header_address(library.sender_name or library.name, library.sender_email)),
        ("To", mime.header_address(name, member.email)),
        ("Subject", mime.header_text(rendered.subject, "Subject")),
        ("Date", b" " + formatdate(usegmt=True).encode()),
        ("Message-ID", b" " + message.header_message_id.encode()),
        (
            "List-Id",
            mime.header_text(library.name, "List-Id") + f" <{journey_key}.{domain}>".encode(),
        ),
        ("List-Unsubscribe", b" " + unsubscribe.encode()),
        ("List-Unsubscribe-Post", b" List-Unsubscribe=One-Click"),
        (
            "Feedback-ID",
            f" {journey_key}.{message.step.position}:{library.code}:journey:patronflow".encode(),
        ),
        (verp.ID_HEADER, b" " + token.encode()),
        *mime.CONTENT_HEADERS,
    ]
    content = rendered.mime_body or mime.body(rendered.text, rendered.html)
    prefix = signer.signature_header(headers, content) if signer else b""
    return mime.assemble(headers, content, prefix)


def _render(
    message: Message, tips: list[ReadingTip], skeletons: SkeletonRenderer | None = None
) -> RenderedMail:
    """Rendered from the batch's skeletons when given (same result, a fraction of the
    cost: mail/skeletons.py), else in full."""
    variant = message.variant
    return (skeletons.render if skeletons is not None else render_mail)(
        message_id=message.pk,
        member=message.enrolment.member,
        library=message.library,
        subject=variant.subject,
        preheader=variant.preheader,
        body=variant.body,
        reading_tips=tips,
        language=message.step.version.language,
    )


def _retry_later(message: Message, now: dt.datetime, error: Exception) -> bool:
    """Back to the queue with exponential backoff and jitter (so that mails deferred together
    do not all come back in the same second), or failed once attempts run out."""
    message.last_error = str(error)[:1000]
    message.handed_over_at = None
    if message.attempts >= settings.SEND_MAX_ATTEMPTS:
        message.status = Message.Status.FAILED
        return False
    message.status = Message.Status.QUEUED
    delay = RETRY_BASE_DELAY * 2 ** (message.attempts - 1)
    message.next_attempt_at = now + delay * random.uniform(0.5, 1.0)
    return True


_SAVED_FIELDS = [
    "status", "to_email", "subject", "links", "header_message_id", "attempts",
    "next_attempt_at", "claimed_by", "last_error", "sent_at", "handed_over_at",
]  # fmt: skip


def _record(messages: list[Message], claim: str) -> None:
    """Save the outcomes of a batch in one go, for the messages this sender still holds.

    The claim is in the WHERE: a message whose lease expired meanwhile was made uncertain,
    and the sender that knows what happened to it still records the truth. PostgreSQL takes
    the batch as one UPDATE from arrays, a column each; SQLite one prepared UPDATE run per
    message. (Django's bulk_update builds a CASE per field and row, which cost more than
    sending the batch.)
    """
    if not messages:
        return
    fields = [Message._meta.get_field(name) for name in _SAVED_FIELDS]
    quote = connection.ops.quote_name
    table = quote(Message._meta.db_table)
    held = [Message.Status.SENDING.value, Message.Status.UNCERTAIN.value]
    rows = [
        [field.get_db_prep_save(getattr(m, field.attname), connection) for field in fields]
        for m in messages
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            columns = ", ".join(quote(field.column) for field in fields)
            arrays = ", ".join(f"%s::{field.db_type(connection)}[]" for field in fields)
            cursor.execute(
                f"UPDATE {table} AS m SET ({columns}) = ("
                + ", ".join(f"v.{quote(field.column)}" for field in fields)
                + f") FROM unnest({arrays}, %s::bigint[]) AS v({columns}, message_id)"
                " WHERE m.id = v.message_id AND m.claimed_by = %s AND m.status IN (%s, %s)",
                [*map(list, zip(*rows, strict=True)), [m.pk for m in messages], claim, *held],
            )
        else:
            sql = (
                f"UPDATE {table} SET "
                + ", ".join(f"{quote(field.column)} = %s" for field in fields)
                + " WHERE id = %s AND claimed_by = %s AND status IN (%s, %s)"
            )
            cursor.executemany(
                sql, [[*row, m.pk, claim, *held] for row, m in zip(rows, messages, strict=True)]
            )


def _release(messages: list[Message], claim: str, now: dt.datetime, error: str) -> None:
    """Unsent messages back to the queue without counting an attempt."""
    Message.objects.filter(
        pk__in=[m.pk for m in messages], claimed_by=claim, status=Message.Status.SENDING
    ).update(
        status=Message.Status.QUEUED,
        claimed_by="",
        handed_over_at=None,
        next_attempt_at=now + RETRY_BASE_DELAY,
        last_error=error[:1000],
    )


def _suppressed(messages: list[Message]) -> set[tuple[int, str]]:
    """(library, address) pairs on a suppression list, for the whole batch in one query."""
    emails = {m.enrolment.member.email.lower() for m in messages}
    return set(
        Suppression.objects.filter(
            library_id__in={m.library_id for m in messages}, email__in=emails
        ).values_list("library_id", "email")
    )


class SmtpOutage(Exception):
    """No SMTP connection: the batch stopped; `summary` says what was done before."""

    def __init__(self, summary: SendSummary, error: Exception) -> None:
        super().__init__(str(error))
        self.summary = summary


def _hand_over(messages: list[Message], claim: str) -> set[int]:
    """Mark messages as handed to the SMTP server, for those this sender still holds; returns
    their ids. A message whose lease ran out meanwhile was given back (or made uncertain) and
    must not be sent by this sender any more."""
    ids = [message.pk for message in messages]
    held = Message.objects.filter(pk__in=ids, claimed_by=claim, status=Message.Status.SENDING)
    moment = timezone.now()
    if held.update(handed_over_at=moment) == len(ids):
        marked = set(ids)
    else:
        marked = set(held.values_list("pk", flat=True))
    for message in messages:
        if message.pk in marked:
            message.handed_over_at = moment
    return marked


class _BatchDelivery:
    """One claimed batch on its way: what its mails share (tips, skeletons, suppressions,
    signing keys) and the outcomes so far.

    Mails go to the SMTP server in groups (SEND_HANDOVER_GROUP): before a group is handed
    over, one transaction saves the outcomes known so far and marks the group as handed over.
    A sender killed at any moment thus leaves at most one group in doubt; its other mails are
    either recorded or were never handed over (and go back to the queue).
    """

    def __init__(self, messages: list[Message], now: dt.datetime, claim: str) -> None:
        self.now = now
        self.claim = claim
        self.today = timezone.localdate(now)
        self.tips = TipChooser(messages, self.today)
        self.skeletons = SkeletonRenderer()
        self.suppressed = _suppressed(messages)
        self.signers: dict[int, Signer | None] = {}
        self.summary = SendSummary()
        self.settled: list[Message] = []
        self.unrecorded: list[Message] = []
        self.handed_over: list[Message] = []
        self.answered = 0
        # Per step: mails prepared, and mails that failed on their template.
        self.prepared: dict[int, int] = defaultdict(int)
        self.template_failures: dict[int, list[str]] = defaultdict(list)

    def outgoing(
        self, messages: list[Message], deadline: float
    ) -> Iterator[tuple[Message, Envelope]]:
        """Each message that may go, rendered and signed, until the deadline, a group at a
        time; the others are settled on the way (suppressed, or failed on their template).
        A mail is rendered only when the SMTP session asks for it, so that rendering the next
        one overlaps the server's answer to the last."""
        pending = iter(messages)
        while True:
            # The mail whose answer is still unread (pipelining) is in doubt too: it counts.
            room = max(1, settings.SEND_HANDOVER_GROUP - (len(self.handed_over) - self.answered))
            group, more = self._next_group(pending, room, deadline)
            handed: set[int] = set()
            if group or self.unrecorded:
                with transaction.atomic():
                    self.record()
                    handed = _hand_over(group, self.claim)
            for message in group:
                if message.pk not in handed:
                    continue  # given back or settled meanwhile: no longer this sender's
                envelope = self._envelope(message)
                if envelope is not None:
                    self.handed_over.append(message)
                    yield message, envelope
            if not more:
                return

    def _next_group(
        self, pending: Iterator[Message], room: int, deadline: float
    ) -> tuple[list[Message], bool]:
        """Up to `room` mailable messages, and whether any message may follow them."""
        group: list[Message] = []
        while len(group) < room:
            if time.monotonic() > deadline:
                return group, False
            message = next(pending, None)
            if message is None:
                return group, False
            if self._mailable(message):
                group.append(message)
        return group, True

    def _mailable(self, message: Message) -> bool:
        """Whether the member may still be mailed; if not, the message is settled here."""
        member = message.enrolment.member
        on_list = (message.library_id, member.email.lower()) in self.suppressed
        reason = why_not_mailable(member, self.today, suppressed=on_list)
        if reason:
            self._settle(message, Message.Status.SUPPRESSED, reason)
            self.summary.suppressed += 1
        return not reason

    def _envelope(self, message: Message) -> Envelope | None:
        """The message ready for SMTP, or None when it could not be rendered or signed (it
        is settled here then). One mail's failure never stops the others (they may be other
        libraries')."""
        member = message.enrolment.member
        self.prepared[message.step_id] += 1
        try:
            rendered = _render(message, self.tips.for_message(message), self.skeletons)
        except TemplateProblem as error:
            self.template_failures[message.step_id].append(str(error))
            self._settle(message, Message.Status.FAILED, f"template: {error}")
            self.summary.failed += 1
            return None
        except Exception as error:
            log.exception("message %s could not be rendered", message.pk)
            self._not_now(message, f"rendering failed: {type(error).__name__}: {error}")
            return None
        library = message.library
        domain = library.sender_email.rpartition("@")[2]
        try:
            if library.pk not in self.signers:
                self.signers[library.pk] = signer_for(domain, library.dkim_selector)
            raw = compose(message, rendered, self.signers[library.pk])
        except Exception as error:  # e.g. a library's DKIM key that cannot be read
            log.exception("message %s could not be composed and signed", message.pk)
            self._not_now(message, f"could not be signed: {type(error).__name__}: {error}")
            return None
        message.to_email = member.email
        message.subject = rendered.subject
        message.links = rendered.links
        return Envelope(verp.return_path(message.pk, domain), member.email, raw)

    def _not_now(self, message: Message, reason: str) -> None:
        """A fault of ours or of the library's set-up, not of the mail: try again later,
        counting an attempt, so that it ends as failed if it never clears."""
        message.attempts += 1
        self._keep(message)
        if _retry_later(message, self.now, RuntimeError(reason)):
            self.summary.retrying += 1
        else:
            self.summary.failed += 1

    def delivered(self, message: Message, outcome: Exception | None) -> None:
        """Note the SMTP outcome of a message that was handed to the server."""
        self.answered += 1
        message.attempts += 1
        if outcome is None:
            message.sent_at = self.now
            self._settle(message, Message.Status.SENT, "")
            self.summary.sent += 1
        elif isinstance(outcome, TemporaryFailure):
            self._keep(message)
            if _retry_later(message, self.now, outcome):
                self.summary.retrying += 1
            else:
                self.summary.failed += 1
        elif isinstance(outcome, OutcomeUnknown):
            self._settle(message, Message.Status.UNCERTAIN, str(outcome))
            self.summary.uncertain += 1
        else:
            self._settle(message, Message.Status.FAILED, str(outcome))
            self.summary.failed += 1

    def in_doubt(self, reason: str) -> None:
        """After an unexpected failure: a mail handed to the SMTP session without an answer
        read may have gone out, so it is uncertain (never resent), not back in the queue."""
        settled = {id(message) for message in self.settled}
        for message in self.handed_over:
            if id(message) not in settled:
                message.attempts += 1
                self._settle(message, Message.Status.UNCERTAIN, reason)
                self.summary.uncertain += 1

    def record(self) -> None:
        """Save the outcomes settled since the last record."""
        _record(self.unrecorded, self.claim)
        self.unrecorded = []

    def _settle(self, message: Message, status: str, error: str) -> None:
        message.status = status
        message.last_error = error[:1000]
        self._keep(message)

    def _keep(self, message: Message) -> None:
        message.claimed_by = ""
        self.settled.append(message)
        self.unrecorded.append(message)


def deliver_batch(messages: list[Message], now: dt.datetime, session: SmtpSession) -> SendSummary:
    """Check, render, sign and send a claimed batch, saving outcomes a group at a time.

    Raises SmtpOutage (after saving what was done and releasing the rest) when no
    connection can be made.
    """
    if not messages:
        return SendSummary()
    claim = messages[0].claimed_by
    batch = _BatchDelivery(messages, now, claim)
    # Stop well before the lease runs out, so that a slow server never makes a live sender's
    # messages look abandoned.
    deadline = time.monotonic() + settings.SEND_LEASE_SECONDS * 0.8
    outage: ServerUnavailable | None = None
    failure: Exception | None = None
    try:
        for message, outcome in session.send_all(batch.outgoing(messages, deadline)):
            batch.delivered(message, outcome)
    except ServerUnavailable as error:
        outage = error
    except Exception as error:  # a fault of ours: what was handed over is in doubt
        failure = error
        batch.in_doubt(f"the sender failed before the SMTP answer was read: {error}")
    batch.record()
    settled = {id(message) for message in batch.settled}
    unsent = [message for message in messages if id(message) not in settled]
    if unsent:
        reason = str(outage or failure or "lease nearly over: back in the queue")
        _release(unsent, claim, now, reason)
        batch.summary.retrying += len(unsent)
    _pause_journeys_failing_on_templates(batch.prepared, batch.template_failures)
    if outage:
        raise SmtpOutage(batch.summary, outage) from outage
    if failure:
        raise failure
    return batch.summary


def _pause_journeys_failing_on_templates(
    prepared: dict[int, int], failures: dict[int, list[str]]
) -> None:
    """A step whose mails mostly fail on their template (at least PAUSE_AFTER_FAILURES of
    them, more than half of the step's mails in the batch) pauses its journey, logged as
    patronflow's own change: the members still to come keep their mail until staff mend the
    template and resume it."""
    for step_id, reasons in failures.items():
        if len(reasons) < PAUSE_AFTER_FAILURES or len(reasons) * 2 <= prepared[step_id]:
            continue
        step = Step.objects.select_related("version__journey__library").get(pk=step_id)
        journey = step.version.journey
        reason = _(
            "{failed} van de {total} mails van stap {position} ({name}) liepen vast op hun "
            "tekst: {problem}"
        ).format(
            failed=len(reasons),
            total=prepared[step_id],
            position=step.position,
            name=step.name,
            problem=reasons[-1],
        )[:2000]
        with transaction.atomic():
            paused = Journey.objects.filter(pk=journey.pk, status=Journey.Status.ACTIVE).update(
                status=Journey.Status.PAUSED, pause_reason=reason
            )
            if paused:
                Message.objects.filter(
                    enrolment__journey=journey, status=Message.Status.QUEUED
                ).update(next_attempt_at=HELD_UNTIL)
                record_change(
                    f"journey {journey.key}",
                    {"status": (Journey.Status.ACTIVE, Journey.Status.PAUSED)},
                    actor=PATRONFLOW,
                    library_code=journey.library.code,
                )
        if paused:
            log.warning("journey %s paused: %s", journey, reason)


@cache
def _freeze_once() -> None:
    """At a sending process's first batch, when the sending modules are loaded too."""
    freeze_long_lived_objects()


def send_one_batch(now: dt.datetime, batch_size: int | None = None) -> SendSummary | None:
    """Claim and send one batch over this process's kept SMTP connection; None when nothing
    was due. What a Celery task runs."""
    _freeze_once()
    batch = claim_batch(now, batch_size or settings.SEND_BATCH_SIZE)
    if not batch:
        return None
    server = SmtpServer.from_url(settings.SMTP_URL)
    # The broker's Redis, when there is one, keeps the rate limit shared by all workers.
    session = persistent_session(server, settings.SMTP_RATE, rate_redis_url=settings.BROKER_URL)
    return deliver_batch(batch, now, session)


def send_due_messages(
    now: dt.datetime,
    batch_size: int | None = None,
    on_batch: Callable[[SendSummary], None] | None = None,
) -> SendSummary:
    """Send everything due, batch by batch, until the outbox has nothing due or SMTP is down;
    with a broker configured, hand the batches to Celery workers instead."""
    reclaim_expired_leases()
    if settings.BROKER_URL:
        from patronflow.mail.tasks import dispatch_batches

        return SendSummary(dispatched=dispatch_batches(now, batch_size))
    total = SendSummary()
    while True:
        try:
            summary = send_one_batch(now, batch_size)
        except SmtpOutage as outage:
            log.warning("SMTP unavailable, %d messages wait: %s", outage.summary.retrying, outage)
            total.add(outage.summary)
            break
        if summary is None:
            break
        total.add(summary)
        if on_batch:
            on_batch(summary)
    return total
