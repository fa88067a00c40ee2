import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.table import Table

from patronflow.arguments import iso_date
from patronflow.journeys.queries import journey_for_command
from patronflow.members.queries import library_for_command
from patronflow.operations.dry_run import simulate


def _time(value: str) -> dt.time:
    try:
        return dt.time.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"{value!r} is not a time (HH:MM)") from error


class Command(BaseCommand):
    help = (
        "Dry run: day by day, how many members would enter a journey, get each mail, leave "
        "or be held out — over the real data, sending nothing and changing nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("journey", help="The journey's (or broadcast's) key.")
        parser.add_argument("--library", required=True)
        parser.add_argument("--from", dest="first", type=iso_date, required=True)
        parser.add_argument("--to", dest="last", type=iso_date, required=True)
        parser.add_argument(
            "--at", type=_time, default=dt.time(10, 0), help="When tick runs each day (10:00)."
        )

    def handle(self, *args, journey: str, library: str, first, last, at, **options):
        if last < first:
            raise CommandError("--to comes before --from")
        journey = journey_for_command(library_for_command(library), journey)
        days = simulate(journey, first, last, at)
        labels = sorted({label for day in days for label in day.mails})
        table = Table(
            title=f"Dry run of {journey} ({journey.status}), {first} to {last}, tick at {at:%H:%M}",
            title_justify="left",
        )
        table.add_column("day")
        for column in ("entered", "held out", *(f"mail {label}" for label in labels)):
            table.add_column(column, justify="right")
        for column in ("not mailable", "waiting", "left", "completed"):
            table.add_column(column, justify="right")
        for day in days:
            left = ", ".join(f"{n} {reason}" for reason, n in sorted(day.exited.items())) or "0"
            table.add_row(
                day.day.isoformat(),
                str(day.entered),
                str(day.held_out),
                *(str(day.mails[label]) for label in labels),
                str(day.not_mailable),
                str(day.waiting),
                left,
                str(day.completed),
            )
        table.add_section()
        table.add_row(
            "total",
            str(sum(d.entered for d in days)),
            str(sum(d.held_out for d in days)),
            *(str(sum(d.mails[label] for d in days)) for label in labels),
            str(sum(d.not_mailable for d in days)),
            "",
            str(sum(sum(d.exited.values()) for d in days)),
            str(sum(d.completed for d in days)),
        )
        console = Console(file=self.stdout, width=max(120, 60 + 12 * len(labels)))
        console.print(table)
        console.print("Nothing was sent and nothing was changed.")
