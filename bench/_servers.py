"""What the HTTP benchmarks share: a scratch PostgreSQL database, `patronflow serve` started on a
free port, and wrk's figures read back."""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def scratch_database(url: str, *, create: bool) -> None:
    """(Re)create, or drop, the PostgreSQL database the URL names: the benchmark's own."""
    from urllib.parse import urlsplit

    import psycopg

    name = urlsplit(url).path.lstrip("/")
    server = urlsplit(url)._replace(path="/postgres").geturl()
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            admin.execute(f'CREATE DATABASE "{name}"')


def serve(
    port: int, workers: int, log: Path, *, target: str | None = None, probe: str = "/healthz"
) -> subprocess.Popen:
    """`patronflow serve` on `port`, once it answers `probe` (any HTTP status will do)."""
    command = [sys.executable, "-m", "patronflow.cli", "serve", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", str(workers)]
    if target:
        command += ["--target", target]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent)}
    server = subprocess.Popen(command, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"serve exited:\n{log.read_text()}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{probe}", timeout=1)
            return server
        except urllib.error.HTTPError:
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit(f"serve did not answer:\n{log.read_text()}")


def wrk(
    port: int, script: Path, *, connections: int, seconds: int, threads: int = 2
) -> dict[str, float | int | str]:
    """Run wrk with a Lua script at `connections` for `seconds`: requests/s, p50 and p99 in
    ms, the responses that were 2xx or 3xx, and socket errors."""
    output = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency",
         "-s", str(script), f"http://127.0.0.1:{port}"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: (.*)", output)
    return {
        "rate": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": _ms(re.search(r"50%\s+([\d.]+\w+)", output).group(1)),
        "p99": _ms(re.search(r"99%\s+([\d.]+\w+)", output).group(1)),
        "acknowledged": requests - (int(bad.group(1)) if bad else 0),
        "rejected": int(bad.group(1)) if bad else 0,
        "errors": errors.group(1) if errors else "none",
    }


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(\w+)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
