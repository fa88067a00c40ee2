from django.core.management.base import BaseCommand
from rich.console import Console
from rich.table import Table

from patronflow.members.queries import library_for_command
from patronflow.reports.queries import VariantFigures, figures_by_variant


def _count_and_rate(count: int, rate: float | None) -> str:
    return "–" if rate is None else f"{count} ({rate:.1%})"


def figures_table(figures: list[VariantFigures], title: str) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("journey")
    table.add_column("step")
    table.add_column("variant")
    for column in ("sent", "opened", "clicked", "unsubscribed", "👍", "👎"):
        table.add_column(column, justify="right")
    for row in figures:
        table.add_row(
            row.journey,
            f"{row.step}. {row.step_name}",
            row.segment,
            str(row.sent),
            _count_and_rate(row.opened, row.open_rate),
            _count_and_rate(row.clicked, row.click_rate),
            _count_and_rate(row.unsubscribed, row.unsubscribe_rate),
            str(row.thumbs_up),
            str(row.thumbs_down),
        )
    return table


class Command(BaseCommand):
    help = "Per journey, step and variant: sent, unique opens and clicks, unsubscribes, feedback."

    def add_arguments(self, parser):
        parser.add_argument("--library", metavar="CODE", help="Only this library.")

    def handle(self, *args, library: str | None, **options):
        scope = library_for_command(library) if library else None
        figures = figures_by_variant(scope)
        console = Console(file=self.stdout, width=max(Console().width, 110))
        if not figures:
            console.print("No mails sent yet.")
            return
        for code in dict.fromkeys(row.library for row in figures):
            rows = [row for row in figures if row.library == code]
            console.print(figures_table(rows, title=f"Library {code}"))
        console.print(
            "Opens are unique messages opened (– where the library has open tracking off); "
            "clicks, unsubscribes and votes count each member once per mail."
        )
