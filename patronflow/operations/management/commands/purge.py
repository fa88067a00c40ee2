from django.core.management.base import BaseCommand
from django.utils import timezone
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from patronflow.arguments import iso_date
from patronflow.members.queries import library_for_command
from patronflow.operations.purge import LOAN_HISTORY, PurgeSummary, purge
from patronflow.privacy.audit import default_operator


class Command(BaseCommand):
    help = (
        "Remove everything about members whose membership ended more than the library's "
        "retention period ago (default 730 days), loans older than its loan history "
        "(default 36 months), erased members the library system no longer lists, and audit "
        "entries past their period. Safe to schedule daily."
    )

    def add_arguments(self, parser):
        parser.add_argument("--library", metavar="CODE", help="Only this library.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would go; change nothing."
        )
        parser.add_argument(
            "--now", type=iso_date, help="Act as if today were this ISO date (default: today)."
        )
        parser.add_argument(
            "--by", default=default_operator(), help="Who runs it, for the audit log."
        )

    def handle(self, *args, library: str | None, dry_run: bool, now, by: str, **options):
        scope = library_for_command(library) if library else None
        console = Console(file=self.stdout)
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console, transient=True) as progress:
            task = progress.add_task("Removing ex-members", total=None)

            def moved(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            summary = purge(
                now or timezone.localdate(),
                operator=by,
                library=scope,
                dry_run=dry_run,
                on_progress=moved,
            )
        total = summary.total
        if +total:
            console.print(summary_table(summary))
        verb = "Would remove" if dry_run else "Removed"
        console.print(
            f"{verb} {total['members.member']} ex-members, {total[LOAN_HISTORY]} loans older "
            f"than the loan history and {total['privacy.auditentry']} expired audit entries."
            + (" Nothing was changed (dry run)." if dry_run else "")
        )


def summary_table(summary: PurgeSummary) -> Table:
    title = "Would be purged (dry run)" if summary.dry_run else "Purged"
    table = Table(title=title, title_justify="left")
    table.add_column("library")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for code, counts in sorted(summary.libraries.items()):
        for label, rows in sorted(counts.items()):
            if rows:
                table.add_row(code, label, str(rows))
    return table
