import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from patronflow.demo.simulation import run_demo
from patronflow.reports.published import published_campaign
from patronflow.reports.tables import print_figures


class Command(BaseCommand):
    help = (
        "Build a synthetic library in ./var/demo (its own SQLite database), import it, run "
        "both journeys over simulated days with a real SMTP server and tracking endpoints, "
        "and print the report."
    )

    def add_arguments(self, parser):
        parser.add_argument("--members", type=int, default=5000, help="Library size (5000).")
        parser.add_argument("--days", type=int, default=60, help="Days to simulate (60).")
        parser.add_argument("--seed", type=int, default=2026, help="Random seed (2026).")

    def handle(self, *args, members: int, days: int, seed: int, **options):
        if members < 50 or days < 1:
            raise CommandError("use at least 50 members and 1 day")
        started = time.perf_counter()
        directory = settings.DEMO_DIR
        database = directory / "patronflow.sqlite3"
        if connection.settings_dict["NAME"] != str(database):
            raise CommandError("run the demo as `patronflow demo`: it uses its own database")
        _remove_earlier_run(directory)
        console = Console(file=self.stdout, width=max(Console().width, 140))
        console.print(f"[bold]patronflow demo[/]: {members} members, {days} days, in {directory}")
        call_command("migrate", verbosity=0)

        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console) as progress:
            outcome = run_demo(directory, members, days, seed, progress)

        imports = Table(title="Imports", title_justify="left")
        for column in ("file", "rows", "inserted", "rejected"):
            imports.add_column(column, justify="left" if column == "file" else "right")
        for summary in outcome.imports:
            imports.add_row(
                summary.source, str(summary.rows), str(summary.inserted), str(summary.rejected)
            )
        console.print(imports)
        for summary in outcome.imports:
            for rejection in summary.rejections:
                console.print(f"  rejected {rejection}", highlight=False)

        print_figures(console, published_campaign().variants)
        interactions = ", ".join(f"{n} {what}" for what, n in sorted(outcome.interactions.items()))
        console.print(
            f"\n{outcome.mails} mails delivered; simulated members {interactions} "
            "through the tracking endpoints."
        )
        console.print(f"{outcome.came_back} dormant members came back and borrowed again.")
        timings = ", ".join(
            f"{phase} {seconds:.1f} s" for phase, seconds in outcome.seconds.items()
        )
        console.print(f"Took {time.perf_counter() - started:.1f} s ({timings}).")
        console.print(f"\nThe mails are in the maildir [bold]{outcome.maildir}[/] (new/).")
        for journey, path in outcome.examples.items():
            console.print(f"  first {journey} mail: {path} (and {path.with_suffix('.eml')})")
        console.print(
            "Explore the data: PATRONFLOW_DATABASE_URL=sqlite:///"
            f"{database} .venv/bin/patronflow report",
            highlight=False,
        )
        _staff_hint(console, database)


# The demo's own login, in the demo's own database only; printed for a first look.
DEMO_STAFF = ("demo", "patronflow-demo")


def _staff_hint(console: Console, database) -> None:
    """A marketer login on the demo library and how to open the staff web application."""
    from patronflow.members.models import Library
    from patronflow.staff.services import add_staff

    username, password = DEMO_STAFF
    library = Library.objects.order_by("pk").first()
    add_staff(
        username, email="demo@example.org", password=password, role="marketer", library=library
    )
    console.print(
        "\n[bold]The staff web application[/] on the demo data: run\n"
        f"  PATRONFLOW_DATABASE_URL=sqlite:///{database} .venv/bin/patronflow serve "
        "--bind 127.0.0.1:8000\n"
        f"and open http://127.0.0.1:8000/staff/ — user name [bold]{username}[/], "
        f"password [bold]{password}[/] (a marketer of {library.name}).",
        highlight=False,
        soft_wrap=True,
    )


def _remove_earlier_run(directory) -> None:
    import shutil

    connection.close()
    for name in ("patronflow.sqlite3", "patronflow.sqlite3-wal", "patronflow.sqlite3-shm"):
        (directory / name).unlink(missing_ok=True)
    for folder in ("mail", "exports", "examples"):
        shutil.rmtree(directory / folder, ignore_errors=True)
    directory.mkdir(parents=True, exist_ok=True)
