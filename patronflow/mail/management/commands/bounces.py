from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from patronflow.mail.bounces import process_maildir


class Command(BaseCommand):
    help = (
        "Read bounces (RFC 3464), spam complaints (ARF) and unsubscribe mails from a maildir "
        "that receives bounces+…@ and unsubscribe+…@ of the sender domains; suppress, "
        "unsubscribe and pause as they call for. Run it from cron every few minutes."
    )

    def add_arguments(self, parser):
        parser.add_argument("--maildir", required=True, type=Path, help="The maildir to read.")

    def handle(self, *args, maildir: Path, **options):
        if not (maildir / "new").is_dir():
            raise CommandError(f"{maildir} is not a maildir (it has no new/ folder)")
        summary = process_maildir(maildir)
        read = ", ".join(f"{n} {kind}" for kind, n in sorted(summary.read.items())) or "nothing"
        self.stdout.write(
            f"Read {read}; {summary.suppressed} addresses suppressed, "
            f"{summary.unsubscribed} members unsubscribed, {summary.ignored} mails ignored."
        )
        for paused in summary.paused or []:
            self.stdout.write(self.style.WARNING(f"Sending paused for {paused}"))
