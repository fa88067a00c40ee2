"""`patronflow import {members,items,loans} FILE --library CODE`.

Exit status: 0 every row loaded; 3 some rows rejected (the others loaded); 1 nothing loaded
(unknown library, unreadable file, missing columns); 4 a snapshot refused, nothing loaded.
See docs/import-format.md.
"""

import argparse
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from patronflow.members.import_columns import KINDS
from patronflow.members.import_snapshots import MAX_ENDED_SHARE, SnapshotRefused, percent
from patronflow.members.import_summary import ImportFileError, ImportSummary
from patronflow.members.queries import library_for_command
from patronflow.members.tables import import_counts_table
from patronflow.operations.imports import Imported, import_and_refresh

EXIT_ROWS_REJECTED = 3
EXIT_SNAPSHOT_REFUSED = 4
SHOWN_REJECTIONS = 100
PROGRESS_FROM_BYTES = 1 << 20
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}


class RowsColumn(ProgressColumn):
    """Rows read so far and rows per second: what an operator compares between nights."""

    def render(self, task: Task) -> Text:
        rows = task.fields.get("rows", 0)
        elapsed = task.elapsed or 0
        rate = f"{rows / elapsed:,.0f}/s" if elapsed and rows else "…/s"
        return Text(f"{rows:,} rows {rate}", style="progress.data.speed")


def share(value: str) -> float:
    """A percentage from 0 to 100, with or without its % sign: 25% is 0.25."""
    try:
        number = float(value.strip().removesuffix("%"))
    except ValueError:
        number = -1.0
    if not 0 <= number <= 100:
        raise argparse.ArgumentTypeError(f"{value!r} is not a percentage from 0 to 100 (e.g. 25%)")
    return number / 100


class Command(BaseCommand):
    help = (
        "Import members, items, loans or visits from a library-system CSV export (upsert on "
        "the library's own ids; a visit is stored once per member, day and channel). "
        "Exit status: 0 all rows loaded, 3 some rows rejected, 1 fatal, "
        "4 snapshot refused."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=list(KINDS), help="What the file holds.")
        parser.add_argument("file", type=Path, help="The CSV file (see docs/import-format.md).")
        parser.add_argument("--library", metavar="CODE", required=True, help="The library's code.")
        parser.add_argument(
            "--encoding",
            help="The file's encoding (e.g. utf-8, cp1252, latin-1); detected when left out.",
        )
        parser.add_argument(
            "--preset",
            metavar="NAME|PATH",
            help="A library system's column-mapping preset: a shipped name or a TOML file.",
        )
        parser.add_argument(
            "--rejects",
            metavar="PATH",
            type=Path,
            help="Where rejected rows go (default: FILE.rejects.csv beside the file).",
        )
        parser.add_argument(
            "--snapshot",
            action="store_true",
            help="Members only: the file is the complete membership; members absent from it "
            "get their membership ended today (never deleted). Default: the file is a delta.",
        )
        parser.add_argument(
            "--max-ended",
            metavar="PERCENT",
            type=share,
            help="With --snapshot: refuse it (exit 4, nothing imported) when it would end more "
            f"than this share of the library's running memberships (default "
            f"{percent(MAX_ENDED_SHARE)}).",
        )
        parser.add_argument(
            "--force-snapshot",
            action="store_true",
            help="With --snapshot: import it even when it would end more than --max-ended or "
            "shares few ids with the library's members.",
        )

    def handle(self, *args, kind: str, file: Path, library: str, **options):
        tenant = library_for_command(library)
        max_ended = options["max_ended"]
        if not options["snapshot"] and (options["force_snapshot"] or max_ended is not None):
            raise CommandError("--max-ended and --force-snapshot go with --snapshot only.")
        options["max_ended"] = MAX_ENDED_SHARE if max_ended is None else max_ended
        try:
            imported = self._import(tenant, kind, file, options)
        except SnapshotRefused as refusal:
            raise CommandError(f"{refusal}.", returncode=EXIT_SNAPSHOT_REFUSED) from None
        except ImportFileError as error:
            raise CommandError(f"{error}.") from None
        summary = imported.summary
        console = Console(file=self.stdout, width=max(Console().width, 80), highlight=False)
        delimiter = DELIMITER_NAMES.get(summary.delimiter, repr(summary.delimiter))
        what = "snapshot of members" if summary.snapshot else kind
        console.print(
            f"Imported {what} into {tenant.code} from {summary.source} "
            f"({summary.encoding}, {delimiter}-separated)",
            soft_wrap=True,
        )
        console.print(_summary_table(summary))
        if summary.ignored_columns:
            ignored = ", ".join(summary.ignored_columns)
            console.print(f"Ignored columns (not in the format): {ignored}", soft_wrap=True)
        if summary.rejects_file:
            console.print(f"Rejected rows, with their text: {summary.rejects_file}", soft_wrap=True)
        if imported.profiles_recomputed is not None:
            console.print(f"Reading profiles recomputed: {imported.profiles_recomputed:,}")
        for rejection in summary.rejections[:SHOWN_REJECTIONS]:
            self.stderr.write(str(rejection))
        if summary.rejected > SHOWN_REJECTIONS:
            self.stderr.write(f"... and {summary.rejected - SHOWN_REJECTIONS} more")
        if summary.rejected:
            rows = "row" if summary.rejected == 1 else "rows"
            self.stderr.write(
                f"{summary.rejected:,} {rows} rejected (all in {summary.rejects_file}); the other "
                "rows were loaded. Correct the rejected rows and import the file again: loaded "
                "rows will count as unchanged."
            )
            sys.exit(EXIT_ROWS_REJECTED)

    def _import(self, tenant, kind: str, file: Path, options: dict) -> Imported:
        large = file.is_file() and file.stat().st_size >= PROGRESS_FROM_BYTES
        columns = (
            TextColumn(f"importing {kind}"),
            BarColumn(bar_width=24),
            DownloadColumn(),
            RowsColumn(),
            TimeRemainingColumn(),
        )
        with Progress(
            *columns, console=Console(stderr=True), transient=True, disable=not large
        ) as bar:
            task = bar.add_task(kind, total=None, rows=0)
            return import_and_refresh(
                tenant,
                kind,
                file,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
                on_rows=lambda rows: bar.update(task, rows=rows),
                encoding=options["encoding"],
                preset=options["preset"],
                rejects=options["rejects"],
                snapshot=options["snapshot"],
                max_ended=options["max_ended"],
                force_snapshot=options["force_snapshot"],
            )


def _summary_table(summary: ImportSummary) -> Table:
    table = import_counts_table(summary)
    if summary.snapshot:
        ended = f"{summary.memberships_ended:,}"
        table.add_row("memberships ended (absent from the snapshot)", ended)
    if summary.members_with_new_loans:
        table.add_row("members with new loans", f"{len(summary.members_with_new_loans):,}")
    return table
