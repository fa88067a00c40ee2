"""A thin, honest SMTP client: one connection kept for many messages, outcomes classified.

PATRONFLOW_SMTP_URL forms: smtp://host:port (plain), smtp+starttls://user:pass@host:587,
smtps://user:pass@host:465 (implicit TLS). TLS always verifies the server's certificate and
name, against the system's CAs or, with ?ca_file=/path/ca.pem, against that file's CAs only
(a relay with a private CA or a self-signed certificate).

Each message's outcome is one of: delivered, TemporaryFailure (try again later: nothing was
handed over), PermanentFailure (5xx: never again for this recipient), or OutcomeUnknown (the
connection broke after the message text was sent: the server may have taken it). Telling the
last one apart is what lets the outbox refuse to risk a duplicate.
"""

import atexit
import email.policy
import os
import smtplib
import socket
import ssl
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from types import TracebackType
from typing import TypeVar
from urllib.parse import parse_qs, unquote, urlsplit

from patronflow.mail.ratelimit import SharedThrottle, Throttle, throttle_for

_DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
Item = TypeVar("Item")


class TemporaryFailure(Exception):
    """Worth retrying later: a 4xx answer, a dropped connection, a server that is down."""


class ServerUnavailable(TemporaryFailure):
    """No connection could be made at all: nothing was attempted."""


class PermanentFailure(Exception):
    """Retrying will not help: a 5xx answer for this recipient or message."""


class OutcomeUnknown(Exception):
    """The connection broke after the message text went out: it may have been delivered."""


@dataclass(frozen=True)
class SmtpServer:
    scheme: str
    host: str
    port: int
    username: str = ""
    password: str = ""
    ca_file: str = ""  # trusted instead of the system's CAs

    @classmethod
    def from_url(cls, url: str) -> "SmtpServer":
        parts = urlsplit(url)
        if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
            raise ValueError(
                f"PATRONFLOW_SMTP_URL {url!r} is not understood: use smtp://host:port, "
                "smtp+starttls://user:password@host:587 or smtps://user:password@host:465"
            )
        query = parse_qs(parts.query, strict_parsing=bool(parts.query))
        if set(query) - {"ca_file"}:
            raise ValueError(
                f"PATRONFLOW_SMTP_URL: unknown parameter(s) {sorted(set(query) - {'ca_file'})}; "
                "the only one is ?ca_file=/path/to/ca.pem"
            )
        return cls(
            scheme=parts.scheme,
            host=parts.hostname,
            port=parts.port or _DEFAULT_PORTS[parts.scheme],
            username=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            ca_file=query.get("ca_file", [""])[-1],
        )

    @property
    def name(self) -> str:
        return f"{self.host}:{self.port}"

    def tls_context(self) -> ssl.SSLContext:
        """Certificate and host name verified, always: credentials go over this."""
        if self.ca_file and not os.path.isfile(self.ca_file):
            raise ServerUnavailable(
                f"PATRONFLOW_SMTP_URL names ?ca_file={self.ca_file}, which is not a file here: "
                "the relay's CA certificate (PEM) must be readable by patronflow"
            )
        return ssl.create_default_context(cafile=self.ca_file or None)


@dataclass(frozen=True)
class Envelope:
    """One message for one recipient, as it goes over SMTP (bytes with CRLF line ends)."""

    sender: str
    recipient: str
    raw: bytes


def dot_stuffed(raw: bytes) -> bytes:
    """The message as DATA carries it (RFC 5321 4.5.2): a dot that starts a line doubled,
    ending in CRLF. bytes.replace, not a multi-line regex, which is far slower on a mail."""
    stuffed = raw.replace(b"\n.", b"\n..")
    if stuffed.startswith(b"."):
        stuffed = b"." + stuffed
    return stuffed if stuffed.endswith(b"\r\n") else stuffed + b"\r\n"


def _classify(code: int, text: bytes | str) -> Exception:
    reason = text.decode(errors="replace") if isinstance(text, bytes) else text
    failure = PermanentFailure if 500 <= code < 600 else TemporaryFailure
    return failure(f"{code} {reason}".strip())


class SmtpSession:
    """One SMTP connection for as many messages as it will take; reconnects when it has to.

    `send` raises TemporaryFailure, PermanentFailure or OutcomeUnknown. Usable as a context
    manager, or kept open across batches (`persistent_session`).
    """

    def __init__(
        self, server: SmtpServer, timeout: float = 30, rate: float = 0, rate_redis_url: str = ""
    ) -> None:
        self.server = server
        self.timeout = timeout
        self.throttle: Throttle | SharedThrottle = throttle_for(server.name, rate, rate_redis_url)
        self.connections = 0
        self._client: smtplib.SMTP | None = None
        self._pipelining = False
        # The server refused a mail's text: some servers keep that transaction open and then
        # refuse the next MAIL ("503 nested MAIL"), so an RSET goes first.
        self._needs_reset = False

    def __enter__(self) -> "SmtpSession":
        self.connect()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._client is not None:
            try:
                self._client.quit()
            except (smtplib.SMTPException, OSError):
                self._client.close()
            self._client = None

    def connect(self) -> smtplib.SMTP:
        server = self.server
        try:
            if server.scheme == "smtps":
                client = smtplib.SMTP_SSL(
                    server.host, server.port, timeout=self.timeout, context=server.tls_context()
                )
            else:
                client = smtplib.SMTP(server.host, server.port, timeout=self.timeout)
                if server.scheme == "smtp+starttls":
                    client.starttls(context=server.tls_context())
            client.ehlo_or_helo_if_needed()
            if server.username:
                client.login(server.username, server.password)
        except smtplib.SMTPResponseException as error:
            raise ServerUnavailable(
                f"{server.host}:{server.port} refused us: {error.smtp_code} {error.smtp_error!r}"
            ) from error
        except ssl.SSLCertVerificationError as error:
            raise ServerUnavailable(
                f"{server.host}:{server.port}'s TLS certificate is not trusted "
                f"({error.verify_message}): if the relay uses a private CA or a self-signed "
                "certificate, name it in PATRONFLOW_SMTP_URL with ?ca_file=/path/to/ca.pem"
            ) from error
        except (smtplib.SMTPException, OSError) as error:
            raise ServerUnavailable(f"cannot reach {server.host}:{server.port}: {error}") from error
        # Each message ends in a short write ('.' CRLF) that waits for the server's answer:
        # without this, Nagle's algorithm can hold it back until the previous write is acked.
        client.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._client = client
        self._pipelining = client.has_extn("pipelining")
        self._needs_reset = False
        self.connections += 1
        return client

    def _drop(self) -> None:
        if self._client is not None:
            self._client.close()
        self._client = None

    def send(self, raw: bytes | EmailMessage, envelope_from: str, recipient: str) -> None:
        """Deliver one message (bytes with CRLF line ends, or an EmailMessage) to one
        recipient."""
        if isinstance(raw, EmailMessage):
            raw = raw.as_bytes(policy=email.policy.SMTP)
        [(_, outcome)] = self.send_all([(None, Envelope(envelope_from, recipient, raw))])
        if outcome is not None:
            raise outcome

    def send_all(
        self, mails: Iterable[tuple[Item, Envelope]]
    ) -> Iterator[tuple[Item, Exception | None]]:
        """Deliver mails one after another, yielding each one's outcome in their order: None
        when delivered, else TemporaryFailure, PermanentFailure or OutcomeUnknown.

        `mails` is read lazily, so the next mail can be composed while the server takes the
        last one. With PIPELINING the answer to a mail's text is read together with the
        answers to the next mail's MAIL, RCPT and DATA: one wait per mail instead of two.
        Raises ServerUnavailable when no connection can be made; the mail being sent then
        and those after it were not handed over.
        """
        unanswered: list[Item] = []  # the mail whose text went out, its answer not yet read
        try:
            yield from self._send_each(mails, unanswered)
        finally:
            if unanswered:  # stopped by an exception, or by the caller: the answer is unread
                self._drop()  # and must not be taken for the next mail's

    def _send_each(
        self, mails: Iterable[tuple[Item, Envelope]], unanswered: list[Item]
    ) -> Iterator[tuple[Item, Exception | None]]:
        for item, envelope in mails:
            try:
                commands = (
                    f"MAIL FROM:<{envelope.sender}>\r\nRCPT TO:<{envelope.recipient}>\r\n"
                ).encode("ascii")
            except UnicodeEncodeError as error:
                yield from self._answers(unanswered)
                yield item, PermanentFailure(f"address needs SMTPUTF8, not supported: {error}")
                continue
            self.throttle.wait()
            opened, answers = self._open_transaction(commands, unanswered)
            yield from answers
            if isinstance(opened, ServerUnavailable):
                raise opened
            if opened is not None:
                yield item, opened
                continue
            try:
                self._client.send(dot_stuffed(envelope.raw) + b".\r\n")
            except (smtplib.SMTPServerDisconnected, OSError) as error:
                self._drop()
                yield item, OutcomeUnknown(f"connection lost while the message was sent: {error}")
                continue
            unanswered.append(item)
            if not self._pipelining:
                yield from self._answers(unanswered)
        yield from self._answers(unanswered)

    def _answers(self, unanswered: list[Item]) -> Iterator[tuple[Item, Exception | None]]:
        """The server's answer to the text of the mail that awaits one."""
        if not unanswered:
            return
        try:
            if self._client is None:
                raise smtplib.SMTPServerDisconnected("the connection was closed")
            code, text = self._client.getreply()
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            self._drop()
            lost = OutcomeUnknown(f"connection lost after the message was sent: {error}")
            yield unanswered.pop(), lost
            return
        # After the text's answer the transaction is over, delivered or not (RFC 5321 4.1.1.4);
        # after a refusal, not every server agrees.
        self._needs_reset = code != 250
        yield unanswered.pop(), None if code == 250 else _classify(code, text)

    def _open_transaction(
        self, commands: bytes, unanswered: list[Item]
    ) -> tuple[Exception | None, list[tuple[Item, Exception | None]]]:
        """MAIL, RCPT and DATA (in one write with the server's PIPELINING, RFC 2920), after
        the answer the previous mail awaits. Returns why the server will not take this mail
        (None when it said 354; ServerUnavailable when no connection could be made), and the
        previous mail's outcome.

        A kept connection may have been closed by the server while idle: this mail has not
        been handed over before DATA is accepted, so one fresh connection is tried at once.

        Some servers keep a transaction open after refusing its text, and would take this
        mail's MAIL for a nested one: with PIPELINING an RSET goes first in the same write
        (no extra wait), without it an RSET follows a refused text.
        """
        answers: list[tuple[Item, Exception | None]] = []
        for attempt in (1, 2):
            try:
                client = self._client or self.connect()
            except ServerUnavailable as error:
                return error, answers
            try:
                if self._needs_reset and not self._pipelining:
                    self._needs_reset = False
                    client.rset()
                if self._pipelining:
                    client.send(b"RSET\r\n" + commands + b"DATA\r\n")
                    answers += self._answers(unanswered)
                    if self._client is None:  # lost while the previous mail's answer was due
                        raise smtplib.SMTPServerDisconnected("connection lost")
                    replies = [client.getreply() for _ in range(4)][1:]
                else:
                    replies = []
                    for command in [*commands.split(b"\r\n")[:2], b"DATA"]:
                        client.send(command + b"\r\n")
                        replies.append(client.getreply())
                        if replies[-1][0] >= 400:
                            break
                break
            except (smtplib.SMTPServerDisconnected, OSError) as error:
                self._drop()
                answers += self._answers(unanswered)
                if attempt == 2:
                    return TemporaryFailure(f"connection lost: {error}"), answers
        for (code, text), wanted in zip(replies, (250, 250, 354), strict=False):
            if code != wanted:
                try:
                    if replies[-1][0] == 354:  # DATA was accepted after all: end it empty
                        client.send(b".\r\n")
                        client.getreply()
                    self._reset(client)
                except (smtplib.SMTPException, OSError):
                    self._drop()
                return _classify(code, text), answers
        return None, answers

    def _reset(self, client: smtplib.SMTP) -> None:
        try:
            client.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()


_local = threading.local()
_every_session: list[SmtpSession] = []


def persistent_session(
    server: SmtpServer, rate: float = 0, rate_redis_url: str = ""
) -> SmtpSession:
    """This thread's session to `server`, kept open across batches (and Celery tasks); with
    a Redis URL its rate limit is shared by every process using that Redis."""
    sessions = _local.__dict__.setdefault("sessions", {})
    session = sessions.get(server)
    if session is None:
        session = sessions[server] = SmtpSession(server, rate=rate, rate_redis_url=rate_redis_url)
        _every_session.append(session)
    session.throttle = throttle_for(server.name, rate, rate_redis_url)
    return session


@atexit.register
def close_sessions() -> None:
    """Say QUIT politely when the worker stops."""
    while _every_session:
        _every_session.pop().close()
    _local.__dict__.pop("sessions", None)
