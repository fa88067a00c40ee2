"""SMTP servers that misbehave the way real ones do, built on the recording aiosmtpd handler."""

import contextlib
from collections.abc import Iterator

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from tests.conftest import RecordingHandler, SmtpServer, _free_port


class DropsAfterData(RecordingHandler):
    """Takes the message for the listed addresses, then hangs up before saying 250."""

    def __init__(self) -> None:
        super().__init__()
        self.drop_for: set[str] = set()

    async def handle_DATA(self, server, session, envelope):
        reply = await super().handle_DATA(server, session, envelope)
        if set(envelope.rcpt_tos) & self.drop_for:
            server.transport.close()
        return reply


def password_check(username: str, password: str):
    """An authenticator for aiosmtpd: one account, 'patronflow' / 's3cret'."""

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (auth_data.login, auth_data.password) == (username.encode(), password.encode())
        return AuthResult(success=ok)

    return authenticate


@contextlib.contextmanager
def running(handler: RecordingHandler, **options) -> Iterator[SmtpServer]:
    """An aiosmtpd server with this handler on a free port, for the `with` block."""
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port(), **options)
    controller.start()
    try:
        yield SmtpServer(controller, handler)
    finally:
        controller.stop()


class KeepsRawBytes(RecordingHandler):
    """Also keeps each message exactly as it arrived: signatures cover the bytes."""

    def __init__(self) -> None:
        super().__init__()
        self.raw: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        self.raw.append(envelope.original_content)
        return await super().handle_DATA(server, session, envelope)
