import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from patronflow.tracking.models import Event
from tests.conftest import subprocess_environment
from tests.factories import MessageFactory
from tests.tracking.links import open_link

SERVE = [sys.executable, "-m", "patronflow.cli", "serve"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_answering(base_url: str, server: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert server.poll() is None, f"serve exited early:\n{log_path.read_text()}"
        try:
            urllib.request.urlopen(f"{base_url}/t/o/not-a-token.gif", timeout=2)
        except urllib.error.HTTPError:
            return  # it answered (404): the server is up
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"serve did not answer within 30 s:\n{log_path.read_text()}")


@contextmanager
def serving(
    tmp_path: Path, *, workers: int = 1, environment: dict[str, str] | None = None
) -> Iterator[str]:
    """`patronflow serve` on a free port, with `workers` processes and the test's settings
    (plus `environment`), until the block ends (a graceful stop: SIGTERM); its base URL."""
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [*SERVE, "--bind", f"127.0.0.1:{port}", "--workers", str(workers)],
            env=subprocess_environment() | (environment or {}),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_answering(base_url, server, log_path)
        yield base_url
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_serve_runs_the_tracking_endpoints_under_granian(tmp_path):
    message = MessageFactory(enrolment__journey__library__track_opens=True)
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "serve.log"

    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [*SERVE, "--bind", f"127.0.0.1:{port}", "--workers", "1", "--access-log"],
            env=subprocess_environment(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_answering(base_url, server, log_path)
        with urllib.request.urlopen(base_url + open_link(message.id), timeout=10) as response:
            assert response.status == 200
            assert response.headers["Content-Type"] == "image/gif"
            assert response.read().startswith(b"GIF89a")
    finally:
        server.terminate()
        server.wait(timeout=15)

    assert Event.objects.filter(message=message, kind=Event.Kind.OPEN).count() == 1
    log_lines = log_path.read_text().splitlines()
    [access_line] = [line for line in log_lines if f"GET {open_link(message.id)}" in line]
    assert "127.0.0.1" not in access_line  # no client addresses in the access log
