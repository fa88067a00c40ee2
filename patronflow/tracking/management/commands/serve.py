"""`patronflow serve`: the tracking endpoints under gunicorn, a production WSGI server."""

import os

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections
from gunicorn.app.base import BaseApplication

# No client address or user agent: the paths hold message tokens, and an IP next to them would
# make the access log a record of who read what.
ACCESS_LOG_FORMAT = '"%(r)s" %(s)s %(b)s %(M)sms'
# Gunicorn's own messages and the access log both on stdout (gunicorn's default puts its own
# on stderr), formatted like the rest of patronflow's log. The root logger is left as it was.
GUNICORN_LOGGING = {
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
        "gunicorn.error": {"level": "INFO", "handlers": ["stdout"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["stdout"], "propagate": False},
    },
    "root": {"level": "WARNING", "handlers": []},
}


class TrackingServer(BaseApplication):
    def __init__(self, options: dict) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)
        # Gunicorn 25.1+ also opens a control socket at one fixed path per user, which a second
        # instance (the demo, a test) would take over; the tracking server needs no runtime control.
        if "control_socket_disable" in self.cfg.settings:
            self.cfg.set("control_socket_disable", True)

    def load(self):
        from patronflow.wsgi import application

        return application


def default_workers() -> int:
    """Gunicorn's rule of thumb: two per core plus one."""
    return 2 * (os.cpu_count() or 1) + 1


class Command(BaseCommand):
    help = "Serve the tracking endpoints (open, click, unsubscribe, feedback) with gunicorn."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--bind", default="127.0.0.1:8000", help="HOST:PORT to listen on (default: %(default)s)"
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=default_workers(),
            help="worker processes (default: %(default)s)",
        )

    def handle(self, *args, bind: str, workers: int, **options) -> None:
        if workers < 1:
            raise CommandError("--workers must be at least 1")
        # Workers are forked from this process: they must not inherit its database connection.
        connections.close_all()
        TrackingServer(
            {
                "bind": bind,
                "workers": workers,
                "proc_name": "patronflow-serve",
                "accesslog": "-",
                "access_log_format": ACCESS_LOG_FORMAT,
                "logconfig_dict": GUNICORN_LOGGING,
            }
        ).run()
