"""`patronflow serve`: the tracking endpoints, the API and the staff application under Granian, a
production server (Rust HTTP, Python only for the application), with the lean fronts of
api/front.py and tracking/asgi.py (patronflow/asgi.py)."""

import os

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

# No client address or user agent: the paths hold message tokens, and an IP next to them would
# make the access log a record of who read what.
ACCESS_LOG_FORMAT = '"%(method)s %(path)s %(protocol)s" %(status)d %(dt_ms).1fms'
# Granian's own messages and the access log both on stdout, formatted like the rest of
# patronflow's log.
GRANIAN_LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "stream": "ext://sys.stdout",
        }
    },
    "loggers": {
        "_granian": {"level": "INFO", "handlers": ["stdout"], "propagate": False},
        "granian.access": {"level": "INFO", "handlers": ["stdout"], "propagate": False},
    },
}


def default_workers() -> int:
    """One process per core: each runs an event loop, and waiting for the database costs
    it nothing."""
    return os.cpu_count() or 1


def split_bind(bind: str) -> tuple[str, int]:
    host, _, port = bind.rpartition(":")
    if not host or not port.isdigit():
        raise CommandError(f"--bind takes HOST:PORT, e.g. 127.0.0.1:8000, not {bind!r}")
    return host.strip("[]"), int(port)


class Command(BaseCommand):
    help = "Serve the tracking endpoints (open, click, unsubscribe, feedback) with Granian."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--bind", default="127.0.0.1:8000", help="HOST:PORT to listen on (default: %(default)s)"
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=default_workers(),
            help="worker processes (default: one per core, %(default)s)",
        )
        parser.add_argument(
            "--access-log",
            action="store_true",
            help="log every request (method, path, status, time; never the client address)",
        )
        parser.add_argument(
            "--target", default="patronflow.asgi:application", help="ASGI application"
        )

    def handle(
        self, *args, bind: str, workers: int, access_log: bool, target: str, **options
    ) -> None:
        from granian import Granian
        from granian.constants import Interfaces

        if workers < 1:
            raise CommandError("--workers must be at least 1")
        host, port = split_bind(bind)
        # Workers start from this process: they must not inherit its database connection.
        connections.close_all()
        Granian(
            target,
            address=host,
            port=port,
            interface=Interfaces.ASGI,
            workers=workers,
            log_dictconfig=GRANIAN_LOGGING,
            log_access=access_log,
            log_access_format=ACCESS_LOG_FORMAT,
            respawn_failed_workers=True,
            workers_kill_timeout=30,
        ).serve()
