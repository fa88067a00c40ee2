"""`patronflow bounces --maildir DIR | --listen HOST:PORT [--feedback-address ADDRESS …]`.

See docs/sending.md (bounces, complaints and the suppression list).
"""

import argparse
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from patronflow.mail.inbound import MAX_SIZE, serve
from patronflow.operations.bounces import bounce_inbox, read_maildir


def host_and_port(value: str) -> tuple[str, int]:
    """HOST:PORT, with an IPv6 host in brackets: [::1]:2525."""
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"{value!r} is not HOST:PORT, e.g. 127.0.0.1:2525")
    return host.strip("[]"), int(port)


class Command(BaseCommand):
    help = (
        "Read bounces (RFC 3464), spam complaints (ARF) and unsubscribe mails sent to "
        "bounces+…@ and unsubscribe+…@ of the sender domains; suppress, unsubscribe and pause "
        "as they call for. Either from a maildir (run it from cron every few minutes) or as an "
        "SMTP listener the MTA delivers them to (a service: stops on SIGTERM)."
    )

    def add_arguments(self, parser):
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--maildir", type=Path, help="The maildir to read.")
        source.add_argument(
            "--listen",
            type=host_and_port,
            metavar="HOST:PORT",
            help="Receive them over SMTP on this address, e.g. 127.0.0.1:2525.",
        )
        parser.add_argument(
            "--feedback-address",
            action="append",
            default=[],
            metavar="ADDRESS",
            help="With --listen: also take mail for this address, the one registered at the "
            "providers' feedback loops (repeatable).",
        )
        parser.add_argument(
            "--max-size",
            type=int,
            default=MAX_SIZE,
            help=f"With --listen: larger mails are refused (552). Default {MAX_SIZE} bytes.",
        )

    def handle(self, *args, maildir, listen, feedback_address, max_size, **options):
        if feedback_address and not listen:
            raise CommandError("--feedback-address is for --listen; a maildir takes any address")
        if listen:
            host, port = listen
            serve(host, port, bounce_inbox(feedback_address), max_size)
            return
        if not (maildir / "new").is_dir():
            raise CommandError(f"{maildir} is not a maildir (it has no new/ folder)")
        summary = read_maildir(maildir)
        self.stdout.write(summary.describe())
        for paused in summary.paused or []:
            self.stdout.write(self.style.WARNING(f"Sending paused for {paused}"))
