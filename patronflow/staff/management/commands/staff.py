"""`patronflow staff add|list|remove`: staff logins for the web application."""

import getpass
import sys

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from patronflow.members.queries import library_for_command
from patronflow.staff.models import StaffProfile
from patronflow.staff.queries import staff_accounts
from patronflow.staff.services import StaffError, add_staff, remove_staff


class Command(BaseCommand):
    help = "Add, list or remove staff logins (network admins and library marketers)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        add = actions.add_parser("add", help="Add a login; asks for the password")
        add.add_argument("username")
        add.add_argument("--role", choices=StaffProfile.Role.values, default="marketer")
        add.add_argument("--library", help="Library code (marketers)")
        add.add_argument("--email", default="", help="Where 'send a test to me' goes")
        add.add_argument(
            "--password-stdin",
            action="store_true",
            help="Read the password from the first line of standard input (for scripts)",
        )
        actions.add_parser("list", help="List the logins")
        remove = actions.add_parser("remove", help="Remove a login (frees its seat)")
        remove.add_argument("username")

    def handle(self, *args, action: str, **options) -> None:
        getattr(self, f"_{action}")(**options)

    def _add(self, *, username, role, library, email, password_stdin, **_options) -> None:
        tenant = library_for_command(library) if library else None
        if password_stdin or not sys.stdin.isatty():
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("the passwords differ")
        try:
            add_staff(username, email=email, password=password, role=role, library=tenant)
        except StaffError as problem:
            raise CommandError(str(problem)) from None
        where = f" of {tenant.code}" if tenant else ""
        self.stdout.write(f"Added {username} ({role}{where}): log in at /staff/")

    def _list(self, **_options) -> None:
        for profile in staff_accounts():
            where = profile.library.code if profile.library else "-"
            self.stdout.write(f"{profile.user.username}\t{profile.role}\t{where}")

    def _remove(self, *, username, **_options) -> None:
        user = get_user_model().objects.filter(username=username, staff_profile__isnull=False)
        if not user.exists():
            raise CommandError(f"no staff login {username!r}")
        remove_staff(user.get())
        self.stdout.write(f"Removed {username}")
