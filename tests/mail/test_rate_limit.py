"""The SMTP rate limit holds in total across worker processes when they share a Redis, and
still holds per process when Redis cannot be reached."""

import logging
import multiprocessing
import time

import pytest
import redis

from patronflow.mail.ratelimit import SharedThrottle, throttle_for
from patronflow.mail.services import send_one_batch
from patronflow.mail.smtp import SmtpServer, SmtpSession
from patronflow.operations.tick import tick
from tests.conftest import RecordingHandler, _free_port
from tests.factories import TODAY, MemberFactory, at
from tests.mail.servers import running
from tests.mail.workers import RAW, send_as_fast_as_allowed


class Arrivals(RecordingHandler):
    """Also notes when each mail arrived, and from whom (the envelope sender)."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals: list[tuple[float, str]] = []

    async def handle_DATA(self, server, session, envelope):
        self.arrivals.append((time.time(), envelope.mail_from))
        return await super().handle_DATA(server, session, envelope)


def test_two_processes_together_keep_to_the_rate(redis_url):
    rate, seconds = 20, 3
    handler = Arrivals()
    with running(handler) as server:
        start = time.time() + 3  # both processes are up and connected by then
        spawn = multiprocessing.get_context("spawn")  # no fork of a threaded test process
        workers = [
            spawn.Process(
                target=send_as_fast_as_allowed,
                args=(server.url, redis_url, rate, start, start + seconds + 1),
                name=f"worker{n}",
            )
            for n in (1, 2)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=60)
        assert [worker.exitcode for worker in workers] == [0, 0]
    redis.Redis.from_url(redis_url).delete(
        throttle_for(f"127.0.0.1:{server.controller.port}", rate, redis_url).key
    )

    window = [sender for moment, sender in handler.arrivals if start <= moment < start + seconds]
    # One schedule for both: about rate × seconds, where two separate limits would let
    # twice that through. The margin is for late wake-ups, not for a second limit.
    assert rate * seconds * 0.6 <= len(window) <= rate * seconds + 5
    assert {sender.split("+")[1].split("@")[0] for sender in window} == {"worker1", "worker2"}


def test_a_batch_waits_for_the_turns_other_workers_took(library, smtp_server, broker):
    """Through the outbox: with the broker's Redis configured, the batch takes its turns
    from the shared schedule, here 2 seconds' worth taken by other workers."""
    broker.SMTP_RATE = 10
    MemberFactory.create_batch(2, library=library, registered_on=TODAY)
    tick(at(TODAY))  # enrols and queues; with a broker, sending is left to the workers
    shared = throttle_for(f"127.0.0.1:{smtp_server.controller.port}", 10, broker.BROKER_URL)
    assert isinstance(shared, SharedThrottle)
    client = redis.Redis.from_url(broker.BROKER_URL)
    seconds, microseconds = client.time()
    client.set(shared.key, (seconds + 2) * 1_000_000 + microseconds, px=10_000)

    started = time.monotonic()
    summary = send_one_batch(at(TODAY))
    elapsed = time.monotonic() - started
    client.delete(shared.key)

    assert summary.sent == 2 and len(smtp_server.messages) == 2
    assert elapsed >= 2


def test_without_redis_each_process_still_keeps_to_the_rate(caplog):
    unreachable = f"redis://127.0.0.1:{_free_port()}/0"
    with running(RecordingHandler()) as server:
        session = SmtpSession(SmtpServer.from_url(server.url), rate=20, rate_redis_url=unreachable)
        started = time.monotonic()
        with caplog.at_level(logging.WARNING, "patronflow.mail.ratelimit"), session:
            for _ in range(11):
                session.send(RAW, "bounces+1@gent.bibliotheek.be", "lezer@example.org")
        elapsed = time.monotonic() - started

    assert len(server.messages) == 11
    assert elapsed >= 10 / 20  # spaced by the process's own limit
    assert caplog.text.count("limiting per process") == 1  # said once, not per mail


@pytest.mark.parametrize("url", ["", "amqp://broker.internal//"])
def test_without_a_redis_url_the_limit_is_per_process(url):
    assert not isinstance(throttle_for("relay.example.org:587", 20, url), SharedThrottle)
