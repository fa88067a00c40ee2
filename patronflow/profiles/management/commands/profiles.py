from django.core.management.base import BaseCommand
from django.utils import timezone
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from patronflow.arguments import iso_date
from patronflow.members.queries import library_for_command
from patronflow.profiles.services import rebuild_profiles, refresh_after_import


def _profiles(count: int) -> str:
    return f"{count} reading profile{'' if count == 1 else 's'}"


class Command(BaseCommand):
    help = "Refresh the reading profiles of a library."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{refresh}")
        refresh = actions.add_parser(
            "refresh",
            help="Recompute the profiles that changed since the last refresh, or all of them.",
        )
        refresh.add_argument("--library", required=True, help="The library's code.")
        refresh.add_argument(
            "--full",
            action="store_true",
            help="Rebuild every profile (after changing the classification policy or tables).",
        )
        refresh.add_argument(
            "--today", type=iso_date, help="Profiles as of this date (default: today)."
        )

    def handle(self, *args, action: str, library: str, full: bool, today, **options):
        tenant = library_for_command(library)
        today = today or timezone.localdate()
        console = Console(file=self.stdout)
        if full:
            with Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=console,
                transient=True,
            ) as progress:
                task = progress.add_task(f"Rebuilding the profiles of {tenant.code}", total=None)

                def report(done: int, total: int) -> None:
                    progress.update(task, completed=done, total=total)

                count = rebuild_profiles(tenant, today, report)
            console.print(f"Rebuilt {_profiles(count)} of {tenant.code} as of {today}.")
        else:
            count = refresh_after_import(tenant, (), today)
            console.print(f"Refreshed {_profiles(count)} of {tenant.code} as of {today}.")
