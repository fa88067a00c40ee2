"""`patronflow import {members,items,loans} FILE --library CODE`.

Exit status: 0 every row loaded; 3 some rows rejected (the others loaded); 1 nothing loaded
(unknown library, unreadable file, missing columns). See docs/import-format.md.
"""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from patronflow.members.imports import KINDS, ImportFileError, ImportSummary, import_file
from patronflow.members.queries import library_for_command

EXIT_ROWS_REJECTED = 3
SHOWN_REJECTIONS = 100
PROGRESS_FROM_BYTES = 1 << 20
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}


class Command(BaseCommand):
    help = (
        "Import members, items or loans from a library-system CSV export (upsert on the "
        "library's own ids). Exit status: 0 all rows loaded, 3 some rows rejected, 1 fatal."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=list(KINDS), help="What the file holds.")
        parser.add_argument("file", type=Path, help="The CSV file (see docs/import-format.md).")
        parser.add_argument("--library", metavar="CODE", required=True, help="The library's code.")

    def handle(self, *args, kind: str, file: Path, library: str, **options):
        tenant = library_for_command(library)
        try:
            summary = self._import(tenant, kind, file)
        except ImportFileError as error:
            raise CommandError(f"{error}.") from None
        console = Console(file=self.stdout, width=max(Console().width, 80), highlight=False)
        delimiter = DELIMITER_NAMES.get(summary.delimiter, repr(summary.delimiter))
        console.print(
            f"Imported {kind} into {tenant.code} from {summary.source} "
            f"({summary.encoding}, {delimiter}-separated)",
            soft_wrap=True,
        )
        console.print(_summary_table(summary))
        if summary.ignored_columns:
            ignored = ", ".join(summary.ignored_columns)
            console.print(f"Ignored columns (not in the format): {ignored}", soft_wrap=True)
        for rejection in summary.rejections[:SHOWN_REJECTIONS]:
            self.stderr.write(str(rejection))
        if summary.rejected > SHOWN_REJECTIONS:
            self.stderr.write(f"... and {summary.rejected - SHOWN_REJECTIONS} more")
        if summary.rejected:
            rows = "row" if summary.rejected == 1 else "rows"
            self.stderr.write(
                f"{summary.rejected:,} {rows} rejected; the other rows were loaded. Correct the "
                "rejected rows and import the file again: loaded rows will count as unchanged."
            )
            sys.exit(EXIT_ROWS_REJECTED)

    def _import(self, tenant, kind: str, file: Path) -> ImportSummary:
        large = file.is_file() and file.stat().st_size >= PROGRESS_FROM_BYTES
        columns = (
            TextColumn(f"importing {kind}"),
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
        )
        with Progress(
            *columns, console=Console(stderr=True), transient=True, disable=not large
        ) as bar:
            task = bar.add_task(kind, total=None)
            return import_file(
                tenant,
                kind,
                file,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )


def _summary_table(summary: ImportSummary) -> Table:
    table = Table(show_header=False)
    table.add_column("what")
    table.add_column("rows", justify="right")
    table.add_row("rows read", f"{summary.rows:,}")
    table.add_row("inserted", f"{summary.inserted:,}")
    table.add_row("updated", f"{summary.updated:,}")
    table.add_row("unchanged", f"{summary.unchanged:,}")
    if summary.repeated:
        table.add_row("repeated id (the last row won)", f"{summary.repeated:,}")
    table.add_row(
        "rejected", f"{summary.rejected:,}", style="bold red" if summary.rejected else None
    )
    return table
