"""Real Celery worker processes for the tests: started as an operator would, stopped after."""

import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import subprocess_environment

PATRONFLOW = str(Path(sys.executable).parent / "patronflow")


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
