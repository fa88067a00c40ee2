from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from patronflow.celery import configure


class Command(BaseCommand):
    help = "Run a Celery send worker: it takes the send batches that `tick` dispatches."

    def add_arguments(self, parser):
        parser.add_argument(
            "--concurrency", type=int, default=1, help="Worker processes (default 1 per core)."
        )
        parser.add_argument("--loglevel", default="INFO")

    def handle(self, *args, concurrency: int, loglevel: str, **options):
        if not settings.BROKER_URL:
            raise CommandError(
                "PATRONFLOW_BROKER_URL is not set (e.g. redis://127.0.0.1:6379/0): without a "
                "broker `tick` sends inline and needs no worker."
            )
        connections.close_all()  # forked worker processes open their own
        configure().worker_main(
            [
                "worker",
                f"--concurrency={concurrency}",
                f"--loglevel={loglevel}",
                f"--queues={settings.SEND_QUEUE}",
                "--without-gossip",
                "--without-mingle",
            ]
        )
