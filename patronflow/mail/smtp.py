"""A thin, honest SMTP client: one connection for many messages, outcomes classified.

PATRONFLOW_SMTP_URL forms: smtp://host:port (plain), smtp+starttls://user:pass@host:587,
smtps://user:pass@host:465 (implicit TLS).
"""

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from types import TracebackType
from urllib.parse import unquote, urlsplit

_DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}


class TemporaryFailure(Exception):
    """Worth retrying later: a 4xx answer, a dropped connection, a server that is down."""


class PermanentFailure(Exception):
    """Retrying will not help: a 5xx answer for this recipient or message."""


@dataclass(frozen=True)
class SmtpServer:
    scheme: str
    host: str
    port: int
    username: str = ""
    password: str = ""

    @classmethod
    def from_url(cls, url: str) -> "SmtpServer":
        parts = urlsplit(url)
        if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
            raise ValueError(
                f"PATRONFLOW_SMTP_URL {url!r} is not understood: use smtp://host:port, "
                "smtp+starttls://user:password@host:587 or smtps://user:password@host:465"
            )
        return cls(
            scheme=parts.scheme,
            host=parts.hostname,
            port=parts.port or _DEFAULT_PORTS[parts.scheme],
            username=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
        )


def _classify(code: int, text: bytes | str) -> Exception:
    reason = text.decode(errors="replace") if isinstance(text, bytes) else text
    failure = PermanentFailure if 500 <= code < 600 else TemporaryFailure
    return failure(f"{code} {reason}".strip())


class SmtpSession:
    """Use as a context manager; `send` raises TemporaryFailure or PermanentFailure."""

    def __init__(self, server: SmtpServer, timeout: float = 30) -> None:
        self.server = server
        self.timeout = timeout
        self._client: smtplib.SMTP | None = None

    def __enter__(self) -> "SmtpSession":
        self._connect()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._client is not None:
            try:
                self._client.quit()
            except (smtplib.SMTPException, OSError):
                self._client.close()
            self._client = None

    def _connect(self) -> None:
        server = self.server
        try:
            if server.scheme == "smtps":
                context = ssl.create_default_context()
                client = smtplib.SMTP_SSL(
                    server.host, server.port, timeout=self.timeout, context=context
                )
            else:
                client = smtplib.SMTP(server.host, server.port, timeout=self.timeout)
                if server.scheme == "smtp+starttls":
                    client.starttls(context=ssl.create_default_context())
            if server.username:
                client.login(server.username, server.password)
        except smtplib.SMTPResponseException as error:
            raise _classify(error.smtp_code, error.smtp_error) from error
        except (smtplib.SMTPException, OSError) as error:
            raise TemporaryFailure(f"cannot reach {server.host}:{server.port}: {error}") from error
        self._client = client

    def send(self, mail: EmailMessage, envelope_from: str, recipient: str) -> None:
        if self._client is None:
            self._connect()
        try:
            refused = self._client.send_message(mail, from_addr=envelope_from, to_addrs=[recipient])
        except smtplib.SMTPRecipientsRefused as error:
            code, text = error.recipients[recipient]
            raise _classify(code, text) from error
        except smtplib.SMTPResponseException as error:
            raise _classify(error.smtp_code, error.smtp_error) from error
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            self._client = None  # reconnect for the next message
            raise TemporaryFailure(f"connection lost: {error}") from error
        if refused:
            code, text = refused[recipient]
            raise _classify(code, text)
