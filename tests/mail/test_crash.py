"""The crash test: many mails through two Celery workers on PostgreSQL, one killed (SIGKILL)
mid-run and started again. Every member gets exactly one mail, except the messages of the
batch the killed worker was sending: those are reported uncertain and never sent twice.

Slow (half a minute or more); the number of mails is PATRONFLOW_CRASH_TEST_MAILS (2,000).
"""

import os
import signal
import time
from collections import Counter

import pytest
from django.db import connection

from patronflow.mail.models import Message
from patronflow.operations.tick import tick
from tests.factories import TODAY, MemberFactory, at
from tests.mail.workers import start_worker, stop, wait_for

MAILS = int(os.environ.get("PATRONFLOW_CRASH_TEST_MAILS", "2000"))
BATCH = 50
LEASE_SECONDS = 5

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the crash test runs workers on PostgreSQL "
        "(PATRONFLOW_DATABASE_URL=postgresql://...); SQLite takes one writer at a time",
    ),
]


def kill(worker) -> None:
    """SIGKILL the worker and its pool processes: no cleanup, no goodbye."""
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_run_sends_nothing_twice(
    library, smtp_server, broker, tmp_path, monkeypatch
):
    broker.SEND_BATCH_SIZE = BATCH
    broker.SEND_LEASE_SECONDS = LEASE_SECONDS
    monkeypatch.setenv("PATRONFLOW_SEND_LEASE_SECONDS", str(LEASE_SECONDS))
    MemberFactory.create_batch(MAILS, library=library, registered_on=TODAY)
    library.member_weekly_cap = None
    library.save()

    workers = [start_worker(broker, tmp_path, name) for name in ("a", "b")]
    try:
        tick(at(TODAY))
        wait_for(lambda: len(smtp_server.messages) >= MAILS // 3, seconds=120)
        kill(workers[0])
        workers[0] = start_worker(broker, tmp_path, "a-again")
        # The operator's cron keeps ticking: once the dead worker's lease has run out, its
        # batch is settled as uncertain and what it never claimed is handed out again.
        deadline = time.monotonic() + 300
        while Message.objects.filter(status__in=["queued", "sending"]).exists():
            assert time.monotonic() < deadline, "the outbox did not empty"
            time.sleep(LEASE_SECONDS / 2)
            tick(at(TODAY))
        time.sleep(1)  # the last tasks find nothing to claim
    finally:
        for worker in workers:
            stop(worker)

    received = Counter(mail["To"].addresses[0].addr_spec for mail in smtp_server.messages)
    statuses = dict(Message.objects.values_list("enrolment__member__email", "status"))
    uncertain = {email for email, status in statuses.items() if status == "uncertain"}
    assert len(statuses) == MAILS
    assert max(received.values()) == 1, "a member got the same mail twice"
    for email, status in statuses.items():
        if email not in uncertain:
            assert (status, received[email]) == ("sent", 1), email
    assert len(uncertain) <= BATCH
    assert Message.objects.filter(library=library, status=Message.Status.UNCERTAIN).count() == len(
        uncertain
    )
