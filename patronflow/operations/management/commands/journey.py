from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from rich.console import Console
from rich.table import Table

from patronflow.journeys.definitions import (
    InvalidJourney,
    dump_definition,
    export_definition,
    install_journey,
    read_definition,
)
from patronflow.journeys.queries import journey_for_command, journeys_overview
from patronflow.journeys.services import LifecycleError, migrate_enrolments
from patronflow.members.queries import library_for_command
from patronflow.operations.lifecycle import change_status
from patronflow.operations.publishing import check_images

STATUS_ACTIONS = {
    "activate": "active",
    "pause": "paused",
    "resume": "active",
    "archive": "archived",
}


class Command(BaseCommand):
    help = "List, import, export, switch on or off, and migrate a library's journeys."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        listing = actions.add_parser("list", help="The library's journeys and broadcasts.")
        listing.add_argument("--library", required=True)
        load = actions.add_parser(
            "import",
            help="Install a definition (YAML or JSON): a new journey, or a new version of one.",
        )
        load.add_argument("file", type=Path)
        load.add_argument("--library", required=True)
        export = actions.add_parser("export", help="Write a journey's definition.")
        export.add_argument("key")
        export.add_argument("--library", required=True)
        export.add_argument("--version", type=int, help="Which version (default: the current).")
        export.add_argument("--format", choices=["yaml", "json"], default="yaml")
        export.add_argument("--output", "-o", type=Path, help="File to write (default: stdout).")
        for action, status in STATUS_ACTIONS.items():
            change = actions.add_parser(action, help=f"Make the journey {status}.")
            change.add_argument("key")
            change.add_argument("--library", required=True)
        migrate = actions.add_parser(
            "migrate", help="Move members on older versions onto the current version."
        )
        migrate.add_argument("key")
        migrate.add_argument("--library", required=True)
        migrate.add_argument("--from-version", type=int, help="Only members on this version.")

    def handle(self, *args, action: str, **options):
        library = library_for_command(options["library"])
        today = timezone.localdate()
        try:
            if action == "list":
                self._list(library)
            elif action == "import":
                self._import(library, options["file"])
            elif action == "export":
                journey = journey_for_command(library, options["key"])
                text = dump_definition(
                    export_definition(journey, options["version"]), options["format"]
                )
                if options["output"]:
                    options["output"].write_text(text, "utf-8")
                    self.stdout.write(f"Wrote {journey} to {options['output']}.")
                else:
                    self.stdout.write(text, ending="")
            elif action in STATUS_ACTIONS:
                journey = journey_for_command(library, options["key"])
                change_status(journey, STATUS_ACTIONS[action], today)
                self.stdout.write(f"{journey} is now {journey.status}.")
            elif action == "migrate":
                journey = journey_for_command(library, options["key"])
                moved = migrate_enrolments(journey, today, options["from_version"])
                number = journey.current_version.number
                self.stdout.write(f"Moved {moved} members of {journey} onto version {number}.")
        except (InvalidJourney, LifecycleError) as problem:
            raise CommandError(str(problem)) from None

    def _import(self, library, path: Path) -> None:
        if not path.exists():
            raise CommandError(f"{path}: no such file")
        definition = read_definition(path)
        check_images(library, definition)
        installed = install_journey(library, definition)
        journey, version = installed.journey, installed.version
        messages = {
            "created": f"Created {journey} ({journey.status}), version 1.",
            "replaced": f"Replaced version {version.number} of {journey}: nobody had entered it.",
            "new version": f"Added version {version.number} of {journey}: new members enter it; "
            f"members already on their way finish on theirs "
            f"(`patronflow journey migrate {journey.key} --library {library.code}` moves them).",
            "unchanged": f"{journey} already is this definition (version {version.number}).",
        }
        self.stdout.write(messages[installed.outcome])

    def _list(self, library) -> None:
        table = Table(title=f"Journeys of {library.code}", title_justify="left")
        for column in ("key", "name", "kind", "status", "version", "holdout", "running", "done"):
            table.add_column(column)
        for row in journeys_overview(library):
            table.add_row(
                row.key,
                row.name,
                row.kind,
                row.status,
                str(row.version),
                f"{row.holdout_percent}%",
                str(row.running),
                str(row.finished),
            )
        Console(file=self.stdout, width=120).print(table)
