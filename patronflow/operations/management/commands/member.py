import json
import os
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder
from rich.console import Console
from rich.table import Table

from patronflow.members.queries import library_for_command
from patronflow.operations.erasure import erase_member, export_member
from patronflow.privacy.audit import default_operator
from patronflow.privacy.queries import audit_entries_about, member_for_command


class Command(BaseCommand):
    help = (
        "A member's rights: export everything held about them, or erase it (audit-logged); "
        "list the audit entries about them."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        export = actions.add_parser("export", help="Everything held about the member, as JSON.")
        erase = actions.add_parser("erase", help="Remove everything held about the member.")
        audit = actions.add_parser(
            "audit", help="Who exported, erased or viewed the member's data, and when."
        )
        for action in (export, erase, audit):
            action.add_argument("member_id", metavar="ID", help="The library's own member id.")
            action.add_argument("--library", metavar="CODE", required=True)
            action.add_argument(
                "--by", default=default_operator(), help="Who asks, for the audit log."
            )
        export.add_argument(
            "--output",
            "-o",
            type=Path,
            help="File to write (only you can read it); default: stdout.",
        )
        erase.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")

    def handle(self, *args, action: str, member_id: str, library: str, by: str, **options):
        scope = library_for_command(library)
        if action == "audit":  # also for members already erased or purged
            self._audit(scope, member_id)
            return
        member = member_for_command(scope, member_id)
        if action == "export":
            self._export(member, by, options["output"])
        else:
            self._erase(member, by, options["yes"])

    def _export(self, member, by: str, output: Path | None) -> None:
        text = json.dumps(
            export_member(member, by), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2
        )
        if output is None:
            self.stdout.write(text)
            return
        # Personal data: the file is created readable by its owner only.
        descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text + "\n")
        self.stdout.write(f"Wrote everything held about {member} to {output}.")

    def _audit(self, library, member_id: str) -> None:
        entries = audit_entries_about(library, member_id)
        table = Table(title=f"Audit entries about {library.code}:{member_id}", title_justify="left")
        for column in ("when", "who", "action", "rows"):
            table.add_column(column)
        for entry in entries:
            rows = ", ".join(f"{n} {label}" for label, n in sorted(entry.counts.items()))
            table.add_row(f"{entry.at:%Y-%m-%d %H:%M}", entry.operator, entry.action, rows)
        Console(file=self.stdout, width=max(Console().width, 100)).print(table)

    def _erase(self, member, by: str, yes: bool) -> None:
        if not yes and sys.stdin.isatty():
            answer = input(f"Erase everything held about {member}? This cannot be undone [y/N] ")
            if answer.strip().lower() not in {"y", "yes", "j", "ja"}:
                raise CommandError("nothing erased")
        name = str(member)
        removed = erase_member(member, by)
        rows = ", ".join(f"{n} {label}" for label, n in sorted(removed.items()))
        self.stdout.write(f"Erased {name}: {rows}.")
