"""`patronflow serve`: the tracking endpoints under gunicorn, a production WSGI server."""

import os

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections
from gunicorn.app.base import BaseApplication

# No client address or user agent: the access log must not become a record of who read what.
ACCESS_LOG_FORMAT = '%(t)s "%(r)s" %(s)s %(b)s %(M)sms'


class TrackingServer(BaseApplication):
    def __init__(self, options: dict) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

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
                "errorlog": "-",
                "loglevel": "info",
                "access_log_format": ACCESS_LOG_FORMAT,
            }
        ).run()
