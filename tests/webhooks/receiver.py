"""A library system's webhook receiver for the tests: a real HTTP server on a free port in a
thread, answering with the statuses it is told (then 200), keeping what it received."""

import http.server
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Receiver:
    url: str
    answers: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    # Where a 3xx answer sends the deliverer.
    location: str = ""
    # Seconds each answer takes.
    delay: float = 0.0
    # The body of each answer.
    says: bytes = b"ok"

    def wait_for(self, count: int, timeout: float) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.received


@contextmanager
def receiving(
    *answers: int,
    location: str = "",
    delay: float = 0.0,
    says: bytes = b"ok",
    tls: ssl.SSLContext | None = None,
) -> Iterator[Receiver]:
    """A receiver whose first answers are `answers` (e.g. 500, 500), then 200 each time,
    each saying `says`; over https with the `tls` server context."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    if tls:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    scheme = "https" if tls else "http"
    receiver = Receiver(
        f"{scheme}://127.0.0.1:{server.server_address[1]}/hooks/patronflow",
        answers=list(answers),
        location=location,
        delay=delay,
        says=says,
    )
    server.receiver = receiver
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        receiver: Receiver = self.server.receiver
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        receiver.received.append(Received(self.path, dict(self.headers), body, time.time()))
        status = receiver.answers.pop(0) if receiver.answers else 200
        time.sleep(receiver.delay)
        self.send_response(status)
        if receiver.location:
            self.send_header("Location", receiver.location)
        self.send_header("Content-Length", str(len(receiver.says)))
        self.end_headers()
        self.wfile.write(receiver.says)

    def log_message(self, *args) -> None:
        pass


@contextmanager
def hanging() -> Iterator[str]:
    """An address that accepts connections and never answers; yields its URL."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/hooks"
    finally:
        stop.set()
        thread.join()
        for connection in held:
            connection.close()
        listener.close()


@contextmanager
def dripping() -> Iterator[str]:
    """A receiver that reads the request and then answers one byte a second, for ever (a
    status line that never ends); yields its URL."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    stop = threading.Event()

    def drip() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                connection = listener.accept()[0]
            except OSError:
                continue
            with connection:
                connection.recv(65536)
                for byte in b"HTTP/1.1 200 OK" * 100:
                    if stop.wait(1):
                        break
                    try:
                        connection.sendall(bytes([byte]))
                    except OSError:
                        break

    thread = threading.Thread(target=drip, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/hooks"
    finally:
        stop.set()
        thread.join()
        listener.close()
