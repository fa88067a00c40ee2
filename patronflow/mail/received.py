"""A mail received once is acted on once: the bounce listener (mail/inbound.py) and the
maildir reader (mail/bounces.py: process_maildir) claim each mail's key in the transaction
that records what it caused. A mail delivered again — the sending MTA did not get our 250, or
the reader stopped before marking it seen — finds its key and changes nothing."""

import datetime as dt
import email.policy
import hashlib
import logging
from collections.abc import Sequence
from email.parser import BytesHeaderParser

from django.db import DatabaseError, IntegrityError, transaction

from patronflow.crypto import salted_hmac
from patronflow.mail.models import ReceivedMail

log = logging.getLogger(__name__)

# Days a received mail's key is kept: MTAs give up retrying after about 5 (Postfix's
# maximal_queue_lifetime, Exim's and Sendmail's defaults are alike).
KEEP_DAYS = 30
_SALT = "patronflow.mail.received"


def delivery_key(raw: bytes, recipients: Sequence[str]) -> str:
    """The same key for every delivery of one mail: its Message-ID, which the reporting
    server gave it when it wrote the report, with the envelope's recipients (our VERP
    addresses); a mail without one, by its content. Keyed (patronflow.crypto.salted_hmac),
    because both the id and the content can contain a member's address."""
    try:
        message_id = BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw)["Message-ID"]
    except Exception:  # a mail whose headers cannot be read at all: its content says it
        message_id = None
    message_id = " ".join(str(message_id or "").split())
    to = ",".join(sorted(address.strip().lower() for address in recipients))
    if message_id:
        basis = f"message-id {message_id} to {to}"
    else:
        basis = f"content {hashlib.sha256(raw).hexdigest()} to {to}"
    return salted_hmac(_SALT, basis).hexdigest()


def recorded_before(key: str, now: dt.datetime) -> bool:
    """Claim this mail's key, in the caller's transaction; True when it is there already.
    A second delivery arriving while the first is being recorded waits on the unique key
    (PostgreSQL) or the write lock (SQLite), then finds it, or takes over if the first one
    failed."""
    try:
        with transaction.atomic():
            ReceivedMail.objects.create(key=key, received_at=now)
    except IntegrityError:
        return True
    return False


def forget_old_keys(now: dt.datetime) -> None:
    """Housekeeping after a mail is recorded: keys older than KEEP_DAYS are of no more use.
    A failure here changes nothing recorded, so it is logged, not raised."""
    try:
        ReceivedMail.objects.filter(received_at__lt=now - dt.timedelta(days=KEEP_DAYS)).delete()
    except DatabaseError:
        log.warning("could not remove old keys of received mails", exc_info=True)
