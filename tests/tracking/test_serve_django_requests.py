"""`patronflow serve` lets Django answer only so many requests at once per process: each holds
a database connection, and a burst must not take the connections the tick and the send
workers need."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.conf import settings
from django.db import connection

from tests.api.factories import token
from tests.factories import LibraryFactory
from tests.tracking.test_serve import serving

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


def get(base_url: str, headers: dict) -> requests.Response:
    return requests.get(f"{base_url}/api/v1/journeys", headers=headers, timeout=60)


def test_a_burst_of_api_calls_holds_no_more_connections_than_allowed_and_keeps_none(tmp_path):
    library = LibraryFactory(code="gent")
    headers = {"Authorization": f"Bearer {token(library, ['read'])}"}
    peak, done = [0], threading.Event()

    def watch() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], connections_now())
            time.sleep(0.01)

    environment = {"PATRONFLOW_SERVE_DJANGO_REQUESTS": "3"}
    with serving(tmp_path, environment=environment) as base_url:
        before = connections_now()
        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            with ThreadPoolExecutor(40) as clients:
                answers = list(clients.map(lambda _: get(base_url, headers), range(160)))
        finally:
            done.set()
            watcher.join()
        time.sleep(1)  # the last requests' connections close
        after = connections_now()

    assert [answer.status_code for answer in answers] == [200] * 160
    assert peak[0] - before <= 3 + 1, (before, peak[0])  # one may be closing as one opens
    assert after - before <= 1, (before, after)  # none stays open with its request's thread
