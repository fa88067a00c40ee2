"""The demo's real servers, in-process: an SMTP server writing a maildir, and the tracking
endpoints served over HTTP, so simulated members click exactly what a member would."""

import logging
import mailbox
import socket
import threading
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from django.core.servers.basehttp import ThreadedWSGIServer
from django.core.wsgi import get_wsgi_application


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class MaildirSmtpServer:
    """aiosmtpd storing every accepted mail in a maildir a person can open."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.controller = Controller(Mailbox(directory), hostname="127.0.0.1", port=free_port())

    @property
    def url(self) -> str:
        return f"smtp://{self.controller.hostname}:{self.controller.port}"

    @property
    def maildir(self) -> mailbox.Maildir:
        return mailbox.Maildir(self.directory, create=False)

    def __enter__(self) -> "MaildirSmtpServer":
        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's per-mail chatter
        self.controller.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.controller.stop()


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


class TrackingServer:
    """patronflow's own WSGI application on a free local port, in a thread."""

    def __init__(self) -> None:
        self.port = free_port()
        self.httpd = ThreadedWSGIServer(("127.0.0.1", self.port), _QuietHandler)
        self.httpd.set_app(get_wsgi_application())
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "TrackingServer":
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
