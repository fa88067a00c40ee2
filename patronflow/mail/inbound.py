"""The inbound SMTP listener: bounces, complaints and unsubscribe mails straight from the MTA.

`patronflow bounces --listen HOST:PORT` takes mail only for the instance's return paths
(bounces+<token>@ and unsubscribe+<token>@ with a genuine signed token, mail/verp.py) and
the feedback-loop addresses it is given; any other recipient is refused with 550: it relays
nothing. Each mail is acted on inside the DATA command, through the same process_mail as
the maildir, and answered 250 only once recorded; when recording fails the answer is 451,
so the sending MTA keeps the mail and tries again. A mail that was accepted is never lost.

Nor counted twice: a mail recorded just before a crash, before the 250 went out, comes
again. Each mail is recorded together with its key (a ReceivedMail: a keyed hash of its own
Message-ID and envelope recipients, or of its content), in one transaction with all it
caused; a mail whose key is there already was recorded, and is answered 250 again without
acting on it. Exactly once, for as long as an MTA keeps retrying (mail/received.py).
"""

import asyncio
import logging
import signal
from collections import Counter
from collections.abc import Callable, Iterable, Sequence

from aiosmtpd.smtp import SMTP, Envelope, Session
from django.db import connections, transaction
from django.utils import timezone

from patronflow.mail import verp
from patronflow.mail.bounces import BounceSummary, Unsubscribe, pause_unhealthy, process_mail
from patronflow.mail.received import delivery_key, forget_old_keys, recorded_before

log = logging.getLogger(__name__)

MAX_SIZE = 10 * 1024 * 1024  # bytes; a returned copy of one of our mails is far smaller
SHUTDOWN_GRACE = 30  # seconds the mails being recorded get to finish when asked to stop


def record_mail(
    raw: bytes, recipients: Sequence[str], *, unsubscribe: Unsubscribe, leave_list: Unsubscribe
) -> BounceSummary:
    """Act on one received mail and check its library's health, once: a mail delivered
    again (the sending MTA did not get our 250) is answered without acting on it again. The
    database connection is let go afterwards: the listener may wait long for the next
    mail."""
    now = timezone.now()
    summary = BounceSummary(read=Counter())
    to = ", ".join(recipients)
    key = delivery_key(raw, recipients)  # before the transaction: SQLite's write lock is taken
    try:
        with transaction.atomic():
            if recorded_before(key, now):
                log.info("mail to %s: recorded before, delivered again: nothing done", to)
                return summary
            library_id = process_mail(
                raw, summary, now, recipients, unsubscribe=unsubscribe, leave_list=leave_list
            )
            summary.paused = pause_unhealthy([library_id] if library_id else [], now)
        forget_old_keys(now)
    finally:
        connections.close_all()
    log.info("mail to %s: %s", to, summary.describe())
    return summary


class BounceInbox:
    """The aiosmtpd handler. `record` acts on one mail (bytes, envelope recipients), as
    record_mail does with unsubscribe and leave_list given, and raises when it could not: the
    mail is then refused for now (451)."""

    def __init__(
        self,
        feedback_addresses: Iterable[str] = (),
        *,
        record: Callable[[bytes, Sequence[str]], object],
    ) -> None:
        self.feedback_addresses = {address.strip().lower() for address in feedback_addresses}
        self.record = record
        self.busy = 0  # mails being recorded

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list
    ) -> str:
        if not (verp.is_return_address(address) or address.lower() in self.feedback_addresses):
            return "550 5.1.1 Not a return address of this patronflow: it relays nothing"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.busy += 1
        try:
            # The ORM may not run on the event loop's thread: the default executor's threads.
            await asyncio.get_running_loop().run_in_executor(
                None, self.record, envelope.original_content, list(envelope.rcpt_tos)
            )
        except Exception:
            log.exception("a returned mail could not be recorded: answered 451, it comes again")
            return "451 4.3.0 Could not record the mail now, try again later"
        finally:
            self.busy -= 1
        return "250 2.0.0 Recorded"


def serve(host: str, port: int, inbox: BounceInbox, max_size: int = MAX_SIZE) -> None:
    """Listen until SIGTERM or SIGINT. Then take no new connection, and give the mails being
    recorded up to SHUTDOWN_GRACE seconds to finish and be answered; anything not answered
    by then was not accepted, and the sending MTA tries again."""
    asyncio.run(_serve(host, port, inbox, max_size))


async def _serve(host: str, port: int, inbox: BounceInbox, max_size: int) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    server = await loop.create_server(
        lambda: SMTP(inbox, data_size_limit=max_size), host=host, port=port
    )
    log.info("listening on %s:%d for bounces, complaints and unsubscribe mails", host, port)
    await stop.wait()
    server.close()
    deadline = loop.time() + SHUTDOWN_GRACE
    while inbox.busy and loop.time() < deadline:
        await asyncio.sleep(0.05)
    log.info("stopped listening")
