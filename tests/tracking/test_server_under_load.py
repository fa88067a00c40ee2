"""The real server (`patronflow serve`, Granian) under load: every pixel and click it answered
is in the database, also when it is told to stop in the middle of the load."""

import http.client
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from patronflow.tracking.models import Event
from tests.conftest import subprocess_environment
from tests.factories import MessageFactory
from tests.tracking.links import click_link, open_link
from tests.tracking.test_serve import SERVE, _free_port, _wait_until_answering


def _start(port: int, log_path: Path) -> subprocess.Popen:
    with log_path.open("wb") as log:
        return subprocess.Popen(
            [*SERVE, "--bind", f"127.0.0.1:{port}", "--workers", "2"],
            env=subprocess_environment(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )


class Member(threading.Thread):
    """Loads pixels and clicks links over one keep-alive connection until the server stops;
    counts the answers that acknowledged an event."""

    def __init__(self, port: int, paths: list[str]) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.paths = paths
        self.acknowledged = 0

    def run(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        n = 0
        while True:
            try:
                connection.request("GET", self.paths[n % len(self.paths)])
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                return
            if response.status in {200, 302}:
                self.acknowledged += 1
            n += 1


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_every_acknowledged_event_is_stored_across_a_graceful_shutdown_under_load(tmp_path):
    messages = MessageFactory.create_batch(5, enrolment__journey__library__track_opens=True)
    paths = [p for m in messages for p in (open_link(m.id), click_link(m.id, 0))]
    port = _free_port()
    log_path = tmp_path / "serve.log"
    server = _start(port, log_path)
    try:
        _wait_until_answering(f"http://127.0.0.1:{port}", server, log_path)
        members = [Member(port, paths) for _ in range(12)]
        for member in members:
            member.start()
        time.sleep(2)
        server.send_signal(signal.SIGTERM)  # in the middle of the load
        server.wait(timeout=60)
        for member in members:
            member.join(timeout=15)
    finally:
        if server.poll() is None:
            server.kill()

    acknowledged = sum(member.acknowledged for member in members)
    stored = Event.objects.filter(kind__in=["open", "click"]).count()
    assert acknowledged > 100, log_path.read_text()
    # Stored may exceed acknowledged by the answers the server sent as its sockets closed.
    assert acknowledged <= stored <= acknowledged + len(members)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_server_answers_pixels_and_clicks_like_the_views(tmp_path):
    message = MessageFactory(
        enrolment__journey__library__track_opens=True,
        links=["https://gent.be/a", "https://gent.be/b", "https://gent.be/c"],
    )
    port = _free_port()
    log_path = tmp_path / "serve.log"
    server = _start(port, log_path)
    try:
        _wait_until_answering(f"http://127.0.0.1:{port}", server, log_path)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        answers = {}
        for name, method, path in [
            ("pixel", "GET", open_link(message.id)),
            ("click", "GET", click_link(message.id, 1)),
            ("head", "HEAD", click_link(message.id, 0)),
            ("index not in mail", "GET", click_link(message.id, 9)),
            ("forged", "GET", "/t/c/bm90LW91cnM:forged"),
        ]:
            connection.request(method, path, headers={"User-Agent": "Mozilla/5.0 (X11)"})
            response = connection.getresponse()
            answers[name] = (response.status, response.getheader("Location"), response.read())
            assert response.getheader("Cache-Control") == "no-store, private", name
            assert response.getheader("Set-Cookie") is None, name
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)

    assert answers["pixel"][0] == 200 and answers["pixel"][2].startswith(b"GIF89a")
    assert answers["click"][:2] == (302, message.links[1])
    assert answers["head"][:2] == (302, message.links[0])
    assert answers["index not in mail"][0] == 404
    assert "Deze link werkt niet" in answers["forged"][2].decode()
    assert sorted(Event.objects.values_list("kind", "link_index", "machine")) == [
        ("click", 0, "head"),
        ("click", 1, ""),
        ("open", None, ""),
    ]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_an_event_the_database_could_not_store_is_not_acknowledged(tmp_path):
    from django.db import connection

    message = MessageFactory(enrolment__journey__library__track_opens=True)
    port = _free_port()
    log_path = tmp_path / "serve.log"
    server = _start(port, log_path)
    try:
        _wait_until_answering(f"http://127.0.0.1:{port}", server, log_path)
        pixel = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        with connection.cursor() as cursor:  # the events table goes away for a moment
            cursor.execute("ALTER TABLE tracking_event RENAME TO tracking_event_away")
        try:
            pixel.request("GET", open_link(message.id))
            refused = pixel.getresponse()
            refused.read()
        finally:
            with connection.cursor() as cursor:
                cursor.execute("ALTER TABLE tracking_event_away RENAME TO tracking_event")
        pixel.request("GET", open_link(message.id))
        stored = pixel.getresponse()
        stored.read()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)

    assert (refused.status, refused.getheader("Retry-After")) == (503, "1")
    assert stored.status == 200
    assert Event.objects.count() == 1
