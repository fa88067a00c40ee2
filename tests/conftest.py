"""Real servers as fixtures: an aiosmtpd SMTP server on a free port that keeps what it receives."""

import email
import email.policy
import os
import shutil
import socket
from collections.abc import Mapping
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller


class RecordingHandler:
    """Keeps every message the server accepted, as parsed e-mail messages."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        # address → SMTP reply, e.g. "550 5.1.1 No such user" or "451 4.3.0 Try again later"
        self.rejections: dict[str, str] = {}
        self.connections = 0

    # Postfix and most relays offer PIPELINING (RFC 2920); aiosmtpd reads pipelined commands
    # in order but does not say so unless told.
    offers_pipelining = True

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.connections += 1
        session.host_name = hostname
        if self.offers_pipelining:
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.rejections:
            return self.rejections[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
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

    def reject(self, address: str, reply: str) -> None:
        self.handler.rejections[address] = reply

    def accept(self, address: str) -> None:
        self.handler.rejections.pop(address, None)

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


@pytest.fixture
def library(db):
    """A library with the two standard journeys installed, as `library add` leaves it, but
    with no control group, so that every eligible member's mail can be asserted."""
    from patronflow.journeys.definitions import install_standard_journeys
    from patronflow.journeys.models import Version
    from tests.factories import LibraryFactory

    library = LibraryFactory(code="gent", name="Bibliotheek Gent")
    install_standard_journeys(library)
    Version.objects.filter(journey__library=library).update(holdout_percent=0)
    return library


@pytest.fixture(autouse=True)
def _base_url(settings):
    settings.BASE_URL = "https://mail.example-network.be"


@pytest.fixture(autouse=True)
def _reports_exact(settings):
    """Reports recompute their aggregates before each read, so a test sees at once what it
    just made; tests/reports/test_rollup.py turns it off to test the refresh itself."""
    settings.ROLLUP_ON_READ = True


def subprocess_environment(smtp_url: str = "") -> dict[str, str]:
    """Environment for running `patronflow` against the test database (commit your data:
    use django_db(transaction=True))."""
    from django.conf import settings
    from django.db import connection

    database = connection.settings_dict
    if database["ENGINE"].endswith("sqlite3"):
        url = f"sqlite:///{database['NAME']}"
    else:
        host = database["HOST"] or "127.0.0.1"
        url = (
            f"postgresql://{database['USER']}@{host}:{database['PORT'] or 5432}/{database['NAME']}"
        )
    return {
        **os.environ,
        "PATRONFLOW_DATABASE_URL": url,
        "PATRONFLOW_SECRET_KEY": settings.SECRET_KEY,
        "PATRONFLOW_BASE_URL": settings.BASE_URL,
        "PATRONFLOW_SMTP_URL": smtp_url or settings.SMTP_URL,
    }


def system_command(
    name: str, path: str | None = None, environ: Mapping[str, str] = os.environ
) -> str:
    """Where a command from Debian's packages is (chromium, spamassassin), on `path` (default
    PATH). Missing, it skips the test that needs it, saying how to install it, except in CI
    (env CI set), where every test must run and it is an error."""
    found = shutil.which(name, path=path)
    if found:
        return found
    if environ.get("CI"):
        pytest.fail(f"{name} is missing: scripts/system-packages.sh must install it in CI")
    pytest.skip(f"{name} is missing: `sudo scripts/system-packages.sh` installs it")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's chromium, for Playwright (never `playwright install`)."""
    return system_command("chromium")


@pytest.fixture(scope="session")
def spamassassin_path() -> str:
    return system_command("spamassassin")


@pytest.fixture
def redis_url() -> str:
    """A reachable Redis (PATRONFLOW_TEST_REDIS_URL, default the local one); skipped when
    there is none, except in CI (env CI set), where it must be there."""
    from urllib.parse import urlsplit

    url = os.environ.get("PATRONFLOW_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname, parts.port or 6379), timeout=1).close()
    except OSError:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no Redis at {url} (set PATRONFLOW_TEST_REDIS_URL; CI always has one)")
    return url


@pytest.fixture(autouse=True)
def _audit_log_flushable(request):
    """A transactional test ends with a flush, which on SQLite deletes with a plain DELETE
    that the audit log's guard refuses (privacy migration 0002): its entries are expired the
    way the purge does it first. (PostgreSQL flushes with TRUNCATE.)"""
    marker = request.node.get_closest_marker("django_db")
    if not (
        (marker and marker.kwargs.get("transaction"))
        or {"transactional_db", "live_server"} & set(request.fixturenames)
    ):
        yield
        return
    request.getfixturevalue("_django_db_helper")
    yield
    from django.db import connection
    from django.db.models import QuerySet

    from patronflow.privacy.models import AuditEntry, audit_maintenance

    if connection.vendor == "sqlite":
        with audit_maintenance():
            QuerySet.delete(AuditEntry.objects.all())
