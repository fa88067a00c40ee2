"""What an operator's monitoring sees: a health check and Prometheus metrics."""

import datetime as dt
import re

from django.utils import timezone

from patronflow.mail.models import Bounce, Message
from patronflow.operations.tick import tick
from tests.factories import TODAY, LibraryFactory, MemberFactory, at


def samples(text: str) -> dict[str, float]:
    """Prometheus text format → {'name{labels}': value}; comment lines checked for form."""
    found = {}
    for line in text.splitlines():
        if line.startswith("#"):
            assert re.fullmatch(r"# (HELP \w+ .+|TYPE \w+ (gauge|counter))", line), line
            continue
        key, value = line.rsplit(" ", 1)
        assert re.fullmatch(r'\w+\{(\w+="[^"]*",?)+\}', key), line
        found[key] = float(value)
    return found


def test_health_check_answers_ok_when_the_database_does(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "not configured"}


def test_health_check_fails_when_the_broker_is_down(client, settings, db):
    settings.BROKER_URL = "redis://127.0.0.1:9/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"].startswith("failing")


def test_metrics_count_the_outbox_per_library(client, library, smtp_server):
    members = [MemberFactory(library=library, registered_on=TODAY) for _ in range(4)]
    smtp_server.reject(members[0].email, "550 5.1.1 No such user")
    smtp_server.reject(members[1].email, "451 4.3.0 Try again later")
    tick(at(TODAY))
    Message.objects.filter(status="queued").update(  # the retry: due in an hour
        next_attempt_at=timezone.now() + dt.timedelta(hours=1)
    )
    Bounce.objects.create(
        library=library, email=members[2].email, kind="complaint", received_at=timezone.now()
    )
    LibraryFactory(code="aalst", sending_paused_at=timezone.now())

    response = client.get("/metrics")

    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    figures = samples(response.content.decode())
    assert figures['patronflow_sent_total{library="gent"}'] == 2
    assert figures['patronflow_failed_total{library="gent"}'] == 1
    assert figures['patronflow_deferred_messages{library="gent"}'] == 1
    assert figures['patronflow_queue_depth{library="gent"}'] == 0
    assert figures['patronflow_messages{library="gent",status="queued"}'] == 1
    assert figures['patronflow_uncertain_messages{library="gent"}'] == 0
    assert figures['patronflow_bounces_total{library="gent",kind="complaint"}'] == 1
    assert figures['patronflow_sending_paused{library="aalst"}'] == 1
    assert figures['patronflow_sending_paused{library="gent"}'] == 0
    assert Message.objects.count() == 4


def test_metrics_can_require_a_token(client, settings, db):
    settings.METRICS_TOKEN = "scrape-me"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-me").status_code == 200
