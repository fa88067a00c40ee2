"""What senders write to the outbox: hand-overs, outcomes, retries, releases, expired leases."""

import datetime as dt
import logging
import random

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from patronflow.mail.models import Message

log = logging.getLogger(__name__)

RETRY_BASE_DELAY = dt.timedelta(minutes=5)

_SAVED_FIELDS = [
    "status", "to_email", "subject", "links", "header_message_id", "attempts",
    "next_attempt_at", "claimed_by", "last_error", "sent_at", "handed_over_at",
]  # fmt: skip


def hand_over(messages: list[Message], claim: str) -> set[int]:
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


def retry_later(message: Message, now: dt.datetime, error: Exception) -> bool:
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


def record_outcomes(messages: list[Message], claim: str) -> None:
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


def release(messages: list[Message], claim: str, now: dt.datetime, error: str) -> None:
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
