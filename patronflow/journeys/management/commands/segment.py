from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from rich.console import Console
from rich.table import Table

from patronflow.journeys.audiences import InvalidAudience
from patronflow.journeys.definitions import InvalidJourney, parse_definition, save_segment
from patronflow.journeys.queries import segment_sizes
from patronflow.members.queries import library_for_command


class Command(BaseCommand):
    help = "Save and list a library's segments: named audiences for journeys and broadcasts."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        listing = actions.add_parser("list", help="Segments with how many members they hold.")
        listing.add_argument("--library", required=True)
        save = actions.add_parser(
            "save", help="Create or change a segment from a YAML/JSON file (key, name, conditions)."
        )
        save.add_argument("file", type=Path)
        save.add_argument("--library", required=True)

    def handle(self, *args, action: str, **options):
        library = library_for_command(options["library"])
        if action == "save":
            path = options["file"]
            if not path.exists():
                raise CommandError(f"{path}: no such file")
            try:
                spec = parse_definition(path.read_text("utf-8-sig"), str(path))
                segment = save_segment(
                    library, spec.get("key", ""), spec.get("name", ""), spec.get("conditions")
                )
            except (InvalidJourney, InvalidAudience) as problem:
                raise CommandError(str(problem)) from None
            self.stdout.write(f"Saved segment {segment}.")
            return
        table = Table(title=f"Segments of {library.code}", title_justify="left")
        for column in ("key", "name", "members", "of whom mailable"):
            table.add_column(column, justify="right" if column[0] == "m" else "left")
        for row in segment_sizes(library, timezone.localdate()):
            table.add_row(row.key, row.name, str(row.members), str(row.mailable))
        Console(file=self.stdout, width=120).print(table)
