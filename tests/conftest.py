"""Real servers as fixtures: an aiosmtpd SMTP server on a free port that keeps what it receives."""

import email
import email.policy
import os
import socket
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller


class RecordingHandler:
    """Keeps every message the server accepted, as parsed e-mail messages."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        parsed = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        self.messages.append(parsed)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


class SmtpServer:
    def __init__(self, controller: Controller, handler: RecordingHandler) -> None:
        self.controller = controller
        self.handler = handler
        self.url = f"smtp://{controller.hostname}:{controller.port}"

    @property
    def messages(self) -> list[EmailMessage]:
        return self.handler.messages

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"].addresses[0].addr_spec == address]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server; settings.SMTP_URL points at it for the test's duration."""
    handler = RecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    server = SmtpServer(controller, handler)
    settings.SMTP_URL = server.url
    yield server
    controller.stop()


@pytest.fixture(autouse=True)
def _base_url(settings):
    settings.BASE_URL = "https://mail.example-network.be"


def running_on_postgresql() -> bool:
    return os.environ.get("PATRONFLOW_DATABASE_URL", "").startswith("postgres")
