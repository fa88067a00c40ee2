import signal
import threading

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from patronflow.webhooks.delivery import deliver_due


class Command(BaseCommand):
    help = (
        "Deliver the webhook notices that are due. Once (cron), or with --follow as a "
        "service that delivers within seconds and stops cleanly on SIGTERM."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--follow", action="store_true", help="Keep delivering until stopped (SIGTERM)."
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=2.0,
            help="Seconds between looks for due notices with --follow (default 2).",
        )

    def handle(self, *args, follow: bool, interval: float, **options):
        if not follow:
            self.stdout.write(deliver_due().describe())
            return
        stopping = threading.Event()
        for number in (signal.SIGTERM, signal.SIGINT):
            signal.signal(number, lambda *_: stopping.set())
        self.stdout.write(f"Delivering webhook notices every {interval:g} s; SIGTERM stops.")
        self.stdout.flush()
        while not stopping.is_set():
            close_old_connections()
            done = deliver_due()
            if done.delivered or done.retried or done.failed or done.paused:
                self.stdout.write(done.describe())
                self.stdout.flush()
            stopping.wait(interval)
        self.stdout.write("Stopped.")
