import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from patronflow.mail.services import SendSummary
from patronflow.operations.tick import tick


def parse_now(value: str) -> dt.datetime:
    """An ISO date or date-time; without a zone it is the library's local time."""
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"--now {value!r} is not an ISO date or date-time") from error
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


class Command(BaseCommand):
    help = "Enrol eligible members, advance journeys and send the mails that are due."

    def add_arguments(self, parser):
        parser.add_argument(
            "--now",
            type=parse_now,
            help="Act as if it were this moment (ISO, e.g. 2026-03-01T09:00); default: now.",
        )

    def handle(self, *args, now: dt.datetime | None, **options):
        console = Console(file=self.stdout)
        columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
        with Progress(*columns, console=console, transient=True) as progress:
            task = progress.add_task("Advancing journeys", total=None)
            done = SendSummary()

            def sent_batch(batch: SendSummary) -> None:
                done.add(batch)
                progress.update(task, description=f"Sending: {done.sent} sent")

            summary = tick(now or timezone.now(), on_batch=sent_batch)
        table = Table(title="Journeys", title_justify="left")
        columns = ("library", "journey", "entered", "held out", "left", "mails queued", "completed")
        for column in columns:
            table.add_column(
                column, justify="right" if column not in {"library", "journey"} else "left"
            )
        for journey in summary.journeys:
            left = ", ".join(f"{n} {reason}" for reason, n in journey.exited.items()) or "0"
            table.add_row(
                journey.journey.library.code,
                journey.journey.key,
                str(journey.entered),
                str(journey.held_out),
                left,
                str(journey.queued),
                str(journey.completed),
            )
        console.print(table)
        if summary.failed:
            passed_over = ", ".join(f"{j.library.code} {j.key}" for j in summary.failed)
            count = len(summary.failed)
            journeys = "journey" if count == 1 else "journeys"
            console.print(
                f"Passed over {count} {journeys} that failed to advance (the log says why; "
                f"the others and the sending went on): {passed_over}."
            )
        sending = summary.sending
        if sending.dispatched:
            console.print(f"Handed {sending.dispatched} batches to the send workers.")
            return
        console.print(
            f"Sent {sending.sent}, not sent (member not mailable) {sending.suppressed}, "
            f"retrying later {sending.retrying}, failed {sending.failed}, "
            f"uncertain (not resent) {sending.uncertain}."
        )
