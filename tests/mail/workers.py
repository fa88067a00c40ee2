"""Worker processes for the tests: real Celery workers, started as an operator would and
stopped after, and bare senders spawned to share a rate limit.

Spawned processes import this module without Django set up: it imports no model.
"""

import multiprocessing
import subprocess
import sys
import time
from pathlib import Path

from patronflow.mail.smtp import SmtpServer, SmtpSession
from tests.conftest import subprocess_environment

PATRONFLOW = str(Path(sys.executable).parent / "patronflow")
RAW = b"From: nieuws@gent.bibliotheek.be\r\nTo: lezer@example.org\r\nSubject: hi\r\n\r\nhallo\r\n"


def send_as_fast_as_allowed(url: str, redis_url: str, rate: float, start: float, until: float):
    """One worker process: connect, then from `start` send until `until` as the limit lets."""
    sender = f"bounces+{multiprocessing.current_process().name}@gent.bibliotheek.be"
    with SmtpSession(SmtpServer.from_url(url), rate=rate, rate_redis_url=redis_url) as session:
        time.sleep(max(0.0, start - time.time()))
        while time.time() < until:
            session.send(RAW, sender, "lezer@example.org")


def wait_for(condition, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds}s")
        time.sleep(0.2)


def start_worker(settings, tmp_path, name: str, concurrency: int = 1) -> subprocess.Popen:
    environment = subprocess_environment() | {
        "PATRONFLOW_BROKER_URL": settings.BROKER_URL,
        "PATRONFLOW_SEND_QUEUE": settings.SEND_QUEUE,
    }
    log = (tmp_path / f"{name}.log").open("w")
    return subprocess.Popen(
        [PATRONFLOW, "worker", "--concurrency", str(concurrency)],
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(worker: subprocess.Popen) -> None:
    worker.terminate()
    try:
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()
