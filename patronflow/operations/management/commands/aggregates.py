from django.core.management.base import BaseCommand, CommandError

from patronflow.members.activity import rebuild
from patronflow.members.queries import library_for_command


class Command(BaseCommand):
    help = (
        "The libraries' activity counts (loans and visits per day; borrowers, visitors and "
        "active members per month) that the reports read. Imports keep them current; "
        "--rebuild recounts them all from the stored loans and visits (after a restore, or "
        "rows written by other means). What the purge and erasures removed stays counted."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--rebuild", action="store_true", help="Recount every day and month from the rows."
        )
        parser.add_argument("--library", metavar="CODE", help="Only this library.")

    def handle(self, *args, library: str | None, **options):
        if not options["rebuild"]:
            raise CommandError("nothing to do: say --rebuild to recount the activity counts")
        ids = [library_for_command(library).pk] if library else None
        counted = rebuild(libraries=ids)
        self.stdout.write(
            f"Recounted the activity of {counted} "
            f"librar{'y' if counted == 1 else 'ies'} from their loans and visits."
        )
