import json
import os
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder

from patronflow.members.queries import library_for_command
from patronflow.operations.contacts import contacts_of, erase_contact, export_contact
from patronflow.privacy.audit import default_operator


class Command(BaseCommand):
    help = (
        "The rights of somebody who signed up for a list without being a member: export "
        "everything held about their address, or erase it (audit-logged)."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        export = actions.add_parser("export", help="Everything held about the address, as JSON.")
        erase = actions.add_parser("erase", help="Remove everything held about the address.")
        for action in (export, erase):
            action.add_argument("email", metavar="EMAIL", help="The address that signed up.")
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

    def handle(self, *args, action: str, email: str, library: str, by: str, **options):
        scope = library_for_command(library)
        if not contacts_of(scope, email).exists():
            raise CommandError(
                f"{library} holds no sign-up of {email} (a member's data: `patronflow member`)"
            )
        if action == "export":
            text = json.dumps(
                export_contact(scope, email, operator=by),
                cls=DjangoJSONEncoder,
                ensure_ascii=False,
                indent=2,
            )
            output = options["output"]
            if output is None:
                self.stdout.write(text)
                return
            # Personal data: the file is created readable by its owner only.
            descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                file.write(text + "\n")
            self.stdout.write(f"Wrote everything held about {email} to {output}.")
            return
        if not options["yes"] and sys.stdin.isatty():
            answer = input(f"Erase everything held about {email}? This cannot be undone [y/N] ")
            if answer.strip().lower() not in {"y", "yes", "j", "ja"}:
                raise CommandError("nothing erased")
        removed = erase_contact(scope, email, operator=by)
        rows = ", ".join(f"{n} {label}" for label, n in sorted(removed.items()))
        self.stdout.write(f"Erased {email}: {rows}.")
