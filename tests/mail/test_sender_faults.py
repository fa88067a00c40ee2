"""Senders killed or hung at any moment, against a real SMTP server that records what it
accepted: nothing is sent twice, nothing that never reached the server stays unsent, and at
most one group of mails (PATRONFLOW_SEND_HANDOVER_GROUP) per dead sender is left uncertain.

Each sender is a real `patronflow tick` process, SIGKILLed at a random moment of its run.
"""

import asyncio
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from django.utils import timezone

from patronflow.mail.models import Message
from patronflow.mail.records import reclaim_expired_leases
from patronflow.members.models import Member
from patronflow.operations.tick import tick
from tests.conftest import RecordingHandler, subprocess_environment
from tests.factories import TODAY, MemberFactory, at
from tests.mail.servers import running

PATRONFLOW = str(Path(sys.executable).parent / "patronflow")
KILLS = 20
LEASE_SECONDS = 2
# Mails kept waiting in the outbox, so that every killed sender has work in hand.
OUTBOX = 600

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def accepted_by(server) -> Counter:
    return Counter(mail["To"].addresses[0].addr_spec for mail in server.messages)


def queue_welcome_mails(library, count: int) -> None:
    """New members whose welcome mails wait in the outbox (queued by a tick while the
    library's sending is paused)."""
    first = Member.objects.count()
    Member.objects.bulk_create(
        MemberFactory.build(library=library, registered_on=TODAY, external_id=f"K{first + n:07d}")
        for n in range(count)
    )
    library.sending_paused_at = timezone.now()
    library.save()
    tick(at(TODAY))
    library.sending_paused_at = None
    library.save()


def start_sender(server, tmp_path, name: str) -> subprocess.Popen:
    environment = subprocess_environment(server.url) | {
        "PATRONFLOW_SEND_LEASE_SECONDS": str(LEASE_SECONDS),
        "PATRONFLOW_SEND_BATCH_SIZE": "200",
    }
    return subprocess.Popen(
        [PATRONFLOW, "tick", "--now", at(TODAY).isoformat()],
        env=environment,
        stdout=(tmp_path / f"{name}.log").open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_until(condition, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"not within {seconds}s"
        time.sleep(0.02)


def claimed_any() -> bool:
    return Message.objects.filter(status=Message.Status.SENDING).exists()


def settle_dead_senders() -> int:
    """What the next tick does first, once the dead sender's lease ran out."""
    time.sleep(LEASE_SECONDS + 0.2)
    return reclaim_expired_leases()


def assert_nothing_lost_nothing_twice(server) -> None:
    accepted = accepted_by(server)
    outcomes = dict(Message.objects.values_list("enrolment__member__email", "status"))
    assert max(accepted.values()) == 1, "a member got the same mail twice"
    assert set(accepted) <= set(outcomes)
    for email, status in outcomes.items():
        if status == Message.Status.SENT:
            assert accepted[email] == 1, f"{email} is recorded as sent but never arrived"
        else:
            assert status == Message.Status.UNCERTAIN, f"{email} was left {status}"


def test_senders_killed_at_random_moments_send_nothing_twice_and_lose_nothing(
    library, tmp_path, settings
):
    library.member_weekly_cap = None
    library.save()
    handler = RecordingHandler()
    seed = random.randrange(1_000_000)
    moments = random.Random(seed)
    uncertain_per_kill = []
    with running(handler) as server:
        settings.SMTP_URL = server.url
        for run in range(KILLS):
            waiting = Message.objects.filter(status=Message.Status.QUEUED).count()
            if waiting < OUTBOX:
                queue_welcome_mails(library, OUTBOX - waiting)
            handler.offers_pipelining = run % 2 == 0  # as Postfix does, or one mail at a time
            sender = start_sender(server, tmp_path, f"run{run}")
            # From its first claim, the sender renders, marks, sends and records: kill it at
            # any moment of that, or a little before.
            wait_until(lambda sender=sender: sender.poll() is not None or claimed_any())
            time.sleep(moments.uniform(0, 1.2))
            os.killpg(sender.pid, signal.SIGKILL)
            sender.wait()
            uncertain_per_kill.append(settle_dead_senders())
        assert sum(accepted_by(server).values()) > 0
        # The operator's cron goes on ticking, with no sender killed any more.
        while Message.objects.filter(status__in=["queued", "sending"]).exists():
            tick(at(TODAY))
        assert_nothing_lost_nothing_twice(server)

    never_arrived = Message.objects.filter(status=Message.Status.UNCERTAIN).exclude(
        enrolment__member__email__in=list(accepted_by(server))
    )
    print(
        f"seed {seed}: {KILLS} kills, {Message.objects.count()} mails, "
        f"{sum(accepted_by(server).values())} accepted, duplicates 0, lost 0, "
        f"uncertain after each kill {uncertain_per_kill} ({never_arrived.count()} never arrived)"
    )
    assert max(uncertain_per_kill) <= settings.SEND_HANDOVER_GROUP, f"seed {seed}"
    assert sum(uncertain_per_kill) == Message.objects.filter(status="uncertain").count()
    assert never_arrived.count() <= settings.SEND_HANDOVER_GROUP * KILLS


class StallsOnce(RecordingHandler):
    """Takes mails as usual, but holds the answer to one mail's text until released: a
    server (or network) that hangs in the middle of a sender's batch."""

    def __init__(self, stall_at: int) -> None:
        super().__init__()
        self.stall_at = stall_at
        self.stalled = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        if len(self.messages) == self.stall_at and not self.stalled.is_set():
            self.stalled.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
        return await super().handle_DATA(server, session, envelope)


def test_a_hung_sender_that_wakes_up_records_the_truth_and_sends_nothing_it_gave_up(
    library, tmp_path, settings
):
    library.member_weekly_cap = None
    library.save()
    queue_welcome_mails(library, 300)
    handler = StallsOnce(stall_at=20)
    with running(handler) as server:
        settings.SMTP_URL = server.url
        hung = start_sender(server, tmp_path, "hung")
        wait_until(handler.stalled.is_set)
        # Its lease runs out while it hangs: the next tick takes over what it never handed
        # to the server, and holds what it did as uncertain.
        time.sleep(LEASE_SECONDS + 0.2)
        tick(at(TODAY))
        in_doubt = Message.objects.filter(status=Message.Status.UNCERTAIN).count()
        handler.release.set()
        assert hung.wait(timeout=60) == 0
        assert_nothing_lost_nothing_twice(server)

    assert 1 <= in_doubt <= settings.SEND_HANDOVER_GROUP
    # Woken up, the hung sender recorded what the server said to the mails it had sent.
    assert Message.objects.filter(status=Message.Status.SENT).count() == 300
