from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.table import Table

from patronflow.mail.bounces import suppress
from patronflow.members.models import Library
from patronflow.privacy.models import Suppression
from patronflow.privacy.references import address_reference


class Command(BaseCommand):
    help = "List, add or remove the addresses a library never mails (bounced or complained)."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        for name in ("list", "add", "remove"):
            action = actions.add_parser(name)
            action.add_argument("--library", required=True, help="The library's code.")
            if name != "list":
                action.add_argument("email", help="The address.")

    def handle(self, *args, action: str, library: str, email: str = "", **options):
        try:
            found = Library.objects.get(code=library)
        except Library.DoesNotExist:
            raise CommandError(f"no library {library!r}: see `patronflow library list`") from None
        if action == "add":
            added = suppress(found, email, Suppression.Reason.MANUAL)
            self.stdout.write(f"{email} {'suppressed' if added else 'was suppressed already'}.")
        elif action == "remove":
            removed, _ = Suppression.objects.filter(
                library=found, address_ref=address_reference(email)
            ).delete()
            if not removed:
                raise CommandError(f"{email} is not on {library}'s suppression list")
            self.stdout.write(f"{email} removed: it will be mailed again.")
        else:
            self._list(found)

    def _list(self, library: Library) -> None:
        console = Console(file=self.stdout, width=160)
        rows = Suppression.objects.filter(library=library).order_by("-created_at")
        if not rows:
            console.print(f"{library.code} has no suppressed addresses.")
            return
        table = Table(title=f"Suppressed addresses of {library.code}", title_justify="left")
        for column in ("address", "reason", "since", "message"):
            table.add_column(column)
        for row in rows:
            table.add_row(
                row.email,
                row.get_reason_display(),
                f"{row.created_at:%Y-%m-%d %H:%M}",
                str(row.source_message_id or "–"),
            )
        console.print(table)
