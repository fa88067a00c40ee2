"""`patronflow serve` lets Django answer only so many requests at once per process: each holds
a database connection, and a burst must not take the connections the tick and the send
workers need."""

import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.conf import settings
from django.db import connection

from tests.api.factories import token
from tests.conftest import subprocess_environment
from tests.factories import LibraryFactory
from tests.tracking.test_serve import SERVE, _free_port, _wait_until_answering

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="counting the server's database connections needs PostgreSQL (CI always runs it)",
    ),
]


def connections_now() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def test_a_burst_of_api_calls_holds_no_more_connections_than_allowed_and_keeps_none(tmp_path):
    library = LibraryFactory(code="gent")
    headers = {"Authorization": f"Bearer {token(library, ['read'])}"}
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "serve.log"
    environment = subprocess_environment() | {"PATRONFLOW_SERVE_DJANGO_REQUESTS": "3"}
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [*SERVE, "--bind", f"127.0.0.1:{port}", "--workers", "1"],
            env=environment, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    peak, done = [0], threading.Event()

    def watch() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], connections_now())
            time.sleep(0.01)

    try:
        _wait_until_answering(base_url, server, log_path)
        before = connections_now()
        watcher = threading.Thread(target=watch)
        watcher.start()
        with ThreadPoolExecutor(40) as clients:
            answers = list(
                clients.map(
                    lambda _: requests.get(
                        f"{base_url}/api/v1/journeys", headers=headers, timeout=60
                    ),
                    range(160),
                )
            )
        done.set()
        watcher.join()
        time.sleep(1)  # the last requests' connections close
        after = connections_now()
    finally:
        done.set()
        server.terminate()
        server.wait(timeout=30)

    assert [answer.status_code for answer in answers] == [200] * 160
    assert peak[0] - before <= 3 + 1, (before, peak[0])  # one may be closing as one opens
    assert after - before <= 1, (before, after)  # none stays open with its request's thread
