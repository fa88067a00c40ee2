from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from rich.console import Console
from rich.table import Table

from patronflow.members.queries import library_for_command
from patronflow.profiles.models import Segment, TipChoice
from patronflow.profiles.tips import (
    UnknownTitle,
    choose,
    forget,
    tips_per_segment,
    work_in_catalogue,
)


class Command(BaseCommand):
    help = (
        "Reading tips per segment as mails would carry them today, and staff's choices: pin a "
        "title (shown first) or exclude one (never shown), for one segment or all."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        show = actions.add_parser("show", help="The tips of each segment, pins and exclusions.")
        show.add_argument("--library", required=True)
        for name, what in (
            ("pin", "Show a title first in the tips."),
            ("exclude", "Never show a title in the tips."),
            ("forget", "Undo a pin or an exclusion."),
        ):
            action = actions.add_parser(name, help=what)
            action.add_argument("title", nargs="?", default="", help="The title, as catalogued.")
            action.add_argument("--author", help="Needed when two works share the title.")
            action.add_argument("--isbn", default="", help="Instead of the title.")
            action.add_argument("--library", required=True)
            action.add_argument(
                "--segment",
                default="",
                choices=["", *Segment.values],
                help="Only for this segment (default: every segment).",
            )

    def handle(self, *args, action: str, **options):
        library = library_for_command(options["library"])
        if action == "show":
            self._show(library)
            return
        if not (options["title"] or options["isbn"]):
            raise CommandError("Give the title or --isbn.")
        segment = options["segment"]
        where = f"for {segment}" if segment else "for every segment"
        if action == "forget" and not options["isbn"]:
            # As it was stored: the catalogue may spell the title differently by now.
            title, author = options["title"], options["author"]
        else:
            try:
                title, author = work_in_catalogue(
                    library, title=options["title"], author=options["author"], isbn=options["isbn"]
                )
            except UnknownTitle as problem:
                raise CommandError(str(problem)) from None
        if action == "forget":
            if not forget(library, title, author, segment):
                raise CommandError(f"{title!r} was neither pinned nor excluded {where}.")
            self.stdout.write(f"{title!r}: no longer pinned or excluded {where}.")
            return
        choose(library, title, author, action, segment)
        verb = "pinned" if action == TipChoice.Action.PIN else "excluded"
        self.stdout.write(f"{title!r} by {author or 'unknown author'}: {verb} {where}.")

    def _show(self, library) -> None:
        console = Console(file=self.stdout, width=120)
        labels = dict(Segment.choices)
        for segment, shown in tips_per_segment(library, timezone.localdate()).items():
            table = Table(title=f"{library.code}: {labels[segment]}", title_justify="left")
            for column in ("", "title", "author", "catalogue"):
                table.add_column(column)
            for row in shown:
                mark = "" if row.pin is None else "pinned"
                table.add_row(mark, row.tip.title, row.tip.author, row.link)
            console.print(table)
        excluded = library.tip_choices.filter(action=TipChoice.Action.EXCLUDE)
        for choice in excluded:
            console.print(f"excluded ({choice.segment or 'every segment'}): {choice.title}")
