from django.core.management.base import BaseCommand
from rich.console import Console

from patronflow.members.queries import library_for_command
from patronflow.reports.queries import figures_by_variant
from patronflow.reports.tables import print_figures


class Command(BaseCommand):
    help = "Per journey, step and variant: sent, unique opens and clicks, unsubscribes, feedback."

    def add_arguments(self, parser):
        parser.add_argument("--library", metavar="CODE", help="Only this library.")

    def handle(self, *args, library: str | None, **options):
        scope = library_for_command(library) if library else None
        console = Console(file=self.stdout, width=max(Console().width, 110))
        print_figures(console, figures_by_variant(scope))
