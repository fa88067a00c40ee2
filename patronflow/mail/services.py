"""Sending the outbox: claim a batch and deliver it over SMTP, or hand batches to Celery."""

import datetime as dt
import logging
import math
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from patronflow.celery import configure
from patronflow.choices.models import ListChoice
from patronflow.choices.queries import received
from patronflow.journeys.models import HELD_UNTIL, Journey, Step, Variant
from patronflow.mail import verp
from patronflow.mail.claims import claim_for_library, due_messages
from patronflow.mail.compose import TipChooser, compose, render_message
from patronflow.mail.dkim import Signer, signer_for
from patronflow.mail.models import Message
from patronflow.mail.records import (
    hand_over,
    reclaim_expired_leases,
    record_outcomes,
    release,
    retry_later,
)
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
from patronflow.members.models import Library
from patronflow.privacy.audit import PATRONFLOW, record_change
from patronflow.privacy.models import Suppression
from patronflow.privacy.rules import why_not_mailable
from patronflow.processes import freeze_long_lived_objects
from patronflow.templating.sandbox import TemplateProblem

log = logging.getLogger(__name__)


# Template failures in one batch that pause a step's journey, when they are most of its mails.
PAUSE_AFTER_FAILURES = 3
# The Celery task that sends one batch (mail/tasks.py), dispatched by name: sending needs
# no import of the tasks, which run it.
SEND_BATCH_TASK = "patronflow.send_batch"


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


def claim_batch(now: dt.datetime, size: int) -> list[Message]:
    """Take up to `size` due messages for this sender alone, within each library's send
    window and caps. Due messages that may not go now are given the moment they may."""
    claim = uuid.uuid4().hex
    libraries = (
        Library.objects.filter(sending_paused_at__isnull=True)
        .filter(Exists(due_messages(now).filter(library=OuterRef("pk"))))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    room = size
    for library_id in list(libraries):
        room -= claim_for_library(library_id, now, room, claim)
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
    steps = Step.objects.select_related("version__journey__mailing_list").in_bulk(
        {message.step_id for message in batch}
    )
    for message in batch:
        message.library = libraries[message.library_id]
        message.variant = variants[message.variant_id]
        message.step = steps[message.step_id]
    return batch


def _suppressed(messages: list[Message]) -> set[tuple[int, str]]:
    """(library, address) pairs on a suppression list, for the whole batch in one query."""
    emails = {m.enrolment.member.email.lower() for m in messages}
    return set(
        Suppression.objects.filter(
            library_id__in={m.library_id for m in messages}, email__in=emails
        ).values_list("library_id", "email")
    )


def _left_their_list(messages: list[Message]) -> set[int]:
    """The messages whose member no longer receives the journey's list (left it since the
    mail was queued, e.g. on the preference page), for the whole batch in one query."""
    lists = {m.step.version.journey.mailing_list for m in messages}
    rows = ListChoice.objects.filter(
        member_id__in={m.enrolment.member_id for m in messages},
        mailing_list__in=[mailing_list for mailing_list in lists if not mailing_list.service],
    ).values_list("member_id", "mailing_list_id", "receives")
    choices = {(member_id, list_id): receives for member_id, list_id, receives in rows}
    left = set()
    for message in messages:
        mailing_list = message.step.version.journey.mailing_list
        if not received(mailing_list, choices.get((message.enrolment.member_id, mailing_list.pk))):
            left.add(message.pk)
    return left


class SmtpOutage(Exception):
    """No SMTP connection: the batch stopped; `summary` says what was done before."""

    def __init__(self, summary: SendSummary, error: Exception) -> None:
        super().__init__(str(error))
        self.summary = summary


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
        self.left_list = _left_their_list(messages)
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
                    handed = hand_over(group, self.claim)
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
        if not reason and message.pk in self.left_list:
            reason = "left the list (topic) these mails go out on"
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
            rendered = render_message(message, self.tips.for_message(message), self.skeletons)
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
        if retry_later(message, self.now, RuntimeError(reason)):
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
            if retry_later(message, self.now, outcome):
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
        record_outcomes(self.unrecorded, self.claim)
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
        release(unsent, claim, now, reason)
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


def dispatch_batches(now: dt.datetime, batch_size: int | None = None) -> int:
    """Queue one task per batch's worth of due messages; returns how many were queued."""
    app = configure()
    size = batch_size or settings.SEND_BATCH_SIZE
    due = due_messages(now).filter(library__sending_paused_at__isnull=True).count()
    batches = math.ceil(due / size)
    for _batch in range(batches):
        app.send_task(SEND_BATCH_TASK, (now.isoformat(), size), queue=settings.SEND_QUEUE)
    return batches


def send_due_messages(
    now: dt.datetime,
    batch_size: int | None = None,
    on_batch: Callable[[SendSummary], None] | None = None,
) -> SendSummary:
    """Send everything due, batch by batch, until the outbox has nothing due or SMTP is down;
    with a broker configured, hand the batches to Celery workers instead."""
    reclaim_expired_leases()
    if settings.BROKER_URL:
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
