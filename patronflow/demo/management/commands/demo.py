"""`patronflow demo`: the demo network run from scratch in its own database, and its report."""

import shutil
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from patronflow.demo.simulation import (
    HOLDOUT_PERCENT,
    MINIMUM_NETWORK,
    NETWORK,
    DemoOutcome,
    TrueEffects,
    network_sizes,
    run_demo,
)
from patronflow.members.models import Library
from patronflow.reports.exports import Report, build_report
from patronflow.reports.html import render_html
from patronflow.reports.tables import (
    baseline_table,
    benchmark_table,
    effect_table,
    print_figures,
)
from patronflow.staff.services import add_staff


class Command(BaseCommand):
    help = (
        "Build a network of three synthetic libraries in ./var/demo (its own SQLite database), "
        "import it, run both journeys over simulated days with a real SMTP server and tracking "
        "endpoints, and print the report (also written as report.html)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--members", type=int, default=5000, help="Members of the whole network (5000)."
        )
        parser.add_argument("--days", type=int, default=60, help="Days to simulate (60).")
        parser.add_argument("--seed", type=int, default=2026, help="Random seed (2026).")

    def handle(self, *args, members: int, days: int, seed: int, **options):
        if members < MINIMUM_NETWORK or days < 1:
            raise CommandError(f"use at least {MINIMUM_NETWORK} members and 1 day")
        started = time.perf_counter()
        directory = settings.DEMO_DIR
        database = directory / "patronflow.sqlite3"
        if connection.settings_dict["NAME"] != str(database):
            raise CommandError("run the demo as `patronflow demo`: it uses its own database")
        _remove_earlier_run(directory)
        console = Console(file=self.stdout, width=max(Console().width, 140))
        sizes = network_sizes(members)
        libraries = ", ".join(
            f"{library.code} {sizes[library.code]}"
            + ("" if library.runs_dormant else " (does not run the dormant journey)")
            for library in NETWORK
        )
        console.print(
            f"[bold]patronflow demo[/]: a network of {members} members ({libraries}), "
            f"{days} days, in {directory}",
            highlight=False,
            soft_wrap=True,
        )
        call_command("migrate", verbosity=0)

        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TimeElapsedColumn(),
        )
        effects = TrueEffects()
        with Progress(*columns, console=console) as progress:
            outcome = run_demo(directory, members, days, seed, progress, effects)

        _print_imports(console, outcome)
        clock = time.perf_counter()
        report = build_report()
        html = directory / "report.html"
        html.write_text(render_html(report), encoding="utf-8")
        outcome.seconds["report"] = time.perf_counter() - clock
        _print_report(console, report)
        _print_simulation(console, outcome, effects, days)
        timings = ", ".join(
            f"{phase} {seconds:.1f} s" for phase, seconds in outcome.seconds.items()
        )
        console.print(f"Took {time.perf_counter() - started:.1f} s ({timings}).")
        console.print(f"\nThe report as one HTML file, with its charts: [bold]{html}[/]")
        console.print(f"The mails are in the maildir [bold]{outcome.maildir}[/] (new/).")
        for journey, path in outcome.examples.items():
            console.print(f"  first {journey} mail: {path} (and {path.with_suffix('.eml')})")
        console.print(
            "Explore the data: PATRONFLOW_DATABASE_URL=sqlite:///"
            f"{database} .venv/bin/patronflow report [--library CODE]",
            highlight=False,
        )
        _staff_hint(console, database)


def _print_imports(console: Console, outcome: DemoOutcome) -> None:
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


def _print_report(console: Console, report: Report) -> None:
    """What `patronflow report` prints for the network."""
    print_figures(console, report.metrics)
    for effect in report.effects:
        console.print(effect_table(effect))
    for code in dict.fromkeys(month.library for month in report.baselines):
        console.print(baseline_table([m for m in report.baselines if m.library == code]))
    if report.benchmark is not None:
        console.print(benchmark_table(report.benchmark))


def _print_simulation(
    console: Console, outcome: DemoOutcome, effects: TrueEffects, days: int
) -> None:
    """What the simulated members did, and the true effect the report's comparison of mailed
    and held-out members should find."""
    interactions = ", ".join(f"{n} {what}" for what, n in sorted(outcome.interactions.items()))
    console.print(
        f"\n{outcome.mails} mails delivered; simulated members {interactions} "
        "through the tracking endpoints."
    )
    console.print(
        f"In the {days} days, mailed and held out together, {outcome.came_back} dormant members "
        f"came back and borrowed, {outcome.borrowed_again} new members borrowed again after "
        f"the day they registered and {outcome.made_a_profile} made their online profile; "
        "every other member kept borrowing as before."
    )
    holdouts = ", ".join(f"{journey} {share}%" for journey, share in HOLDOUT_PERCENT.items())
    console.print(f"The true effect of the mails (held out: {holdouts}), mailed against held out:")
    for effect, what in (
        (effects.coming_back, "dormant members who come back within 21 days"),
        (effects.borrowing_again, "new members who borrow again within 30 days"),
        (effects.making_a_profile, "new members without a profile who make one within 14 days"),
    ):
        console.print(
            f"  {what}: {effect.mailed:.0%} against {effect.held_out:.0%} "
            f"({effect.lift * 100:+.0f} points)",
            highlight=False,
        )


# The demo's own logins, in the demo's own database only; printed for a first look.
DEMO_PASSWORD = "patronflow-demo"
DEMO_MARKETER = "demo"
DEMO_ADMIN = "netwerk"


def _staff_hint(console: Console, database) -> None:
    """A marketer login on the largest library, a network admin login, and how to open the
    staff web application."""
    library = Library.objects.get(code=NETWORK[0].code)
    add_staff(
        DEMO_MARKETER,
        email="demo@example.org",
        password=DEMO_PASSWORD,
        role="marketer",
        library=library,
    )
    add_staff(DEMO_ADMIN, email="netwerk@example.org", password=DEMO_PASSWORD, role="admin")
    console.print(
        "\n[bold]The staff web application[/] on the demo data: run\n"
        f"  PATRONFLOW_DATABASE_URL=sqlite:///{database} .venv/bin/patronflow serve "
        "--bind 127.0.0.1:8000\n"
        f"and open http://127.0.0.1:8000/staff/ — user name [bold]{DEMO_MARKETER}[/] "
        f"(a marketer of {library.name}) or [bold]{DEMO_ADMIN}[/] (the network admin, who "
        f"also sees the libraries side by side), password [bold]{DEMO_PASSWORD}[/].",
        highlight=False,
        soft_wrap=True,
    )


def _remove_earlier_run(directory) -> None:
    connection.close()
    for name in ("patronflow.sqlite3", "patronflow.sqlite3-wal", "patronflow.sqlite3-shm"):
        (directory / name).unlink(missing_ok=True)
    (directory / "report.html").unlink(missing_ok=True)
    for folder in ("mail", "exports", "examples"):
        shutil.rmtree(directory / folder, ignore_errors=True)
    directory.mkdir(parents=True, exist_ok=True)
