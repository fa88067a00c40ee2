from argparse import BooleanOptionalAction

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.table import Table

from patronflow.members.details import DETAILS, SENDING_DETAILS, TEXT_DETAILS
from patronflow.members.queries import libraries_overview, library_for_command
from patronflow.operations.libraries import add_library, change_library

HELP = {
    "name": "The library's name, e.g. 'Bibliotheek Gent'.",
    "sender_name": "Name in the From of mails (default: the library's name).",
    "sender_email": "Address that mails are sent from, e.g. nieuws@gent.bibliotheek.be.",
    "privacy_url": "Web address of the privacy statement (linked in every mail).",
    "profile_url": "Web address where a member creates a 'Mijn Bibliotheek' profile.",
    "survey_url": "Web address of an optional survey linked in mails.",
    "catalogue_url": "Catalogue search that reading tips link to, with {isbn}, {title} or "
    "{author}, e.g. 'https://gent.bibliotheek.be/zoeken?q={isbn}'.",
    "track_opens": "Count opens with a tracking pixel: only with the members' consent "
    "(ePrivacy). Off by default.",
    "track_clicks": "Count clicks by sending links through the tracking server (default: on); "
    "off: links go straight to their destination.",
    "send_window": "Days and hours mails may leave, e.g. 'mon-fri 09:00-18:00' or "
    "'mon,wed,sat 10:00-16:00' (default: 'mon-sat 09:00-20:00').",
    "time_zone": "Time zone of the send window, an IANA name (default: Europe/Brussels).",
    "member_weekly_cap": "At most this many mails to one member in any 7 days, across "
    "journeys (default: 2; 'none' or 0: no cap).",
    "daily_cap": "At most this many mails from the library per day; the rest wait for the "
    "next day (default: none).",
}


def _option(detail: str) -> str:
    return "--" + detail.replace("_", "-")


class Command(BaseCommand):
    help = "Add, list or change libraries (tenants)."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{add,list,set}")
        add = actions.add_parser("add", help="Add a library.")
        add.add_argument("code", help="Short code, e.g. 'gent': what --library takes.")
        for detail in TEXT_DETAILS:
            add.add_argument(_option(detail), required=detail == "name", help=HELP[detail])
        add.add_argument("--track-opens", action=BooleanOptionalAction, help=HELP["track_opens"])
        add.add_argument("--track-clicks", action=BooleanOptionalAction, help=HELP["track_clicks"])
        for detail in SENDING_DETAILS:
            add.add_argument(_option(detail), help=HELP[detail])
        add.add_argument(
            "--language",
            default="nl",
            help="Language of the built-in journeys it gets: nl (default) or en.",
        )
        actions.add_parser("list", help="List the libraries.")
        change = actions.add_parser("set", help="Change a library's details.")
        change.add_argument("code")
        for detail in TEXT_DETAILS:
            change.add_argument(_option(detail), help=HELP[detail] + " '' clears it.")
        change.add_argument("--track-opens", action=BooleanOptionalAction, help=HELP["track_opens"])
        change.add_argument(
            "--track-clicks", action=BooleanOptionalAction, help=HELP["track_clicks"]
        )
        for detail in SENDING_DETAILS:
            change.add_argument(_option(detail), help=HELP[detail])

    def handle(self, *args, action: str, **options):
        if action == "list":
            self._list()
            return
        details = {d: options[d] for d in DETAILS if options.get(d) is not None}
        try:
            if action == "add":
                library = add_library(options["code"], language=options["language"], **details)
                journeys = ", ".join(library.journeys.values_list("key", flat=True))
                self.stdout.write(
                    f"Added library {library.code} ({library.name}) with the journeys {journeys}."
                )
            else:
                library = library_for_command(options["code"])
                if not details:
                    raise CommandError(
                        "nothing to change: give one or more of "
                        + ", ".join(_option(d) for d in DETAILS)
                    )
                change_library(library, **details)
                self.stdout.write(f"Changed {library.code}: {', '.join(details)}.")
        except ValidationError as error:
            raise CommandError(_explain(error)) from None

    def _list(self) -> None:
        console = Console(file=self.stdout, width=max(Console().width, 160))
        libraries = list(libraries_overview())
        if not libraries:
            console.print("No libraries yet. Add one with: patronflow library add CODE --name NAME")
            return
        table = Table(title="Libraries", title_justify="left")
        for column in ("code", "name", "sender", "privacy statement", "Mijn Bibliotheek", "survey"):
            table.add_column(column, overflow="fold")
        table.add_column("opens tracked")
        table.add_column("sends", no_wrap=True)
        table.add_column("members", justify="right")
        for library in libraries:
            table.add_row(
                library.code,
                library.name,
                library.from_address if library.sender_email else "–",
                library.privacy_url or "–",
                library.profile_url or "–",
                library.survey_url or "–",
                "yes" if library.track_opens else "no",
                _sending(library),
                str(library.member_count),
            )
        console.print(table)


def _sending(library) -> str:
    """One line each: window, time zone, cap per member, daily cap."""
    weekly, daily = library.member_weekly_cap, library.daily_cap
    paused = []
    if library.sending_paused_at:
        paused = [
            f"PAUSED since {library.sending_paused_at:%Y-%m-%d %H:%M}: "
            f"{library.sending_paused_reason or 'no reason given'}"
        ]
    return "\n".join(
        [
            *paused,
            library.send_window.describe(),
            library.time_zone,
            f"≤{weekly} per member / 7 days" if weekly else "no cap per member",
            f"≤{daily} a day" if daily else "no daily cap",
        ]
    )


def _explain(error: ValidationError) -> str:
    lines = [
        f"{'CODE' if field == 'code' else _option(field)}: {message}"
        for field, messages in error.message_dict.items()
        for message in messages
    ]
    return "\n".join(lines)
