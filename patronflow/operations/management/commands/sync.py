"""`patronflow sync --library CODE [--connector NAME] [--since DATE] [--config FILE]`.

Exit status as for import: 0 all loaded; 3 some rows rejected (the others loaded); 1 nothing
done (unknown library, bad configuration, the library system unreachable or refusing).
See docs/library-systems.md.
"""

import datetime as dt
import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from rich.console import Console
from rich.table import Table

from patronflow.members.connectors.base import ConnectorError
from patronflow.members.connectors.config import config_path, library_connector
from patronflow.members.import_summary import ImportFileError
from patronflow.members.parsing import DATE_FORMS, parse_date
from patronflow.members.queries import library_for_command
from patronflow.members.tables import import_counts_table
from patronflow.operations.sync import SyncSummary, sync_members

EXIT_ROWS_REJECTED = 3
SHOWN_REJECTIONS = 100


class Command(BaseCommand):
    help = (
        "Fetch the members changed and ended since a day from the library system's API (or a "
        "file drop) and upsert them; ended memberships are ended, never deleted."
    )

    def add_arguments(self, parser):
        parser.add_argument("--library", metavar="CODE", required=True, help="The library's code.")
        parser.add_argument(
            "--connector", metavar="NAME", help="Which configured connector (if more than one)."
        )
        parser.add_argument(
            "--since",
            metavar="DATE",
            help="Changes on or after this day (default: yesterday, for a nightly run).",
        )
        parser.add_argument(
            "--config",
            metavar="FILE",
            help="Connector settings (TOML); default: the file PATRONFLOW_CONNECTORS_FILE names.",
        )

    def handle(self, *args, library: str, connector, since, config, **options):
        tenant = library_for_command(library)
        today = timezone.localdate()
        first_day = _since(since) if since else today - dt.timedelta(days=1)
        try:
            _, feed = library_connector(config_path(config), tenant.code, connector)
            summary = sync_members(tenant, feed, first_day, today)
        except (ConnectorError, ImportFileError) as error:
            raise CommandError(f"{error}") from None
        console = Console(file=self.stdout, width=max(Console().width, 80), highlight=False)
        console.print(
            f"Synced members of {tenant.code} from {summary.source} "
            f"(changes since {summary.since.isoformat()})",
            soft_wrap=True,
        )
        console.print(_summary_table(summary))
        members = summary.members
        if members.ignored_columns:
            ignored = ", ".join(members.ignored_columns)
            console.print(f"Ignored columns (not in the format): {ignored}", soft_wrap=True)
        for rejection in members.rejections[:SHOWN_REJECTIONS]:
            self.stderr.write(str(rejection))
        if members.rejected > SHOWN_REJECTIONS:
            self.stderr.write(f"... and {members.rejected - SHOWN_REJECTIONS} more")
        if members.rejected:
            self.stderr.write(
                f"{members.rejected:,} rejected (line = position in the feed); the other "
                "members were loaded. Correct them in the library system: the next sync picks "
                "them up."
            )
            sys.exit(EXIT_ROWS_REJECTED)


def _since(text: str) -> dt.date:
    try:
        day = parse_date(text)
    except ValueError as error:
        raise CommandError(f"--since: {error}") from None
    if day is None:
        raise CommandError(f"--since needs a date ({DATE_FORMS})")
    return day


def _summary_table(summary: SyncSummary) -> Table:
    ended = summary.ended
    table = import_counts_table(summary.members, read="changed members read")
    table.add_row("memberships ended", f"{ended.ended:,}")
    table.add_row("already ended", f"{ended.already_ended:,}")
    if ended.unknown:
        table.add_row("ended, but not a member here", f"{ended.unknown:,}")
    return table
