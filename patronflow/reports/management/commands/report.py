from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from rich.console import Console

from patronflow.arguments import iso_date
from patronflow.members.queries import library_for_command
from patronflow.reports.exports import (
    TABLES,
    build_report,
    report_csv,
    report_json,
    result_rows,
)
from patronflow.reports.html import NoBrowser, render_html, write_pdf
from patronflow.reports.tables import (
    baseline_table,
    benchmark_table,
    comparison_table,
    effect_table,
    print_figures,
    results_table,
)


class Command(BaseCommand):
    help = (
        "Per journey, step and variant: sent, delivered, members' opens and clicks (rates of "
        "mails delivered), unsubscribes, feedback; "
        "the effect on members against the holdout group, the baseline and the benchmark. "
        "As a terminal table (default), CSV, JSON or a self-contained HTML file."
    )

    def add_arguments(self, parser):
        parser.add_argument("--library", metavar="CODE", help="Only this library.")
        parser.add_argument(
            "--format", choices=("table", "csv", "json"), default="table", help="Output (table)."
        )
        parser.add_argument(
            "--table",
            choices=TABLES,
            default="metrics",
            help="With --format csv: which table (metrics; weekly: per week of sending).",
        )
        parser.add_argument("--html", metavar="FILE", help="Also write the HTML report here.")
        parser.add_argument(
            "--pdf",
            metavar="FILE",
            help="Also print the HTML report to PDF here, with the Chromium installed (if any).",
        )
        parser.add_argument(
            "--language",
            choices=[code for code, _ in settings.LANGUAGES],
            default="en",
            help="The HTML report's language (en); nl for a Dutch board.",
        )
        parser.add_argument("--as-of", type=iso_date, help="Report day (today).")
        parser.add_argument("--since", type=iso_date, help="Start of the measured period (launch).")
        parser.add_argument(
            "--until",
            type=iso_date,
            help="Last day of the measured period (none): mails sent and members whose clock "
            "started after it are left out. The staff results page passes its period's end.",
        )
        parser.add_argument(
            "--baseline-from",
            type=iso_date,
            help="First month of the baseline period (default: a year before the measured one).",
        )

    def handle(self, *args, library: str | None, format: str, table: str, **options):
        scope = library_for_command(library) if library else None
        console = Console(file=self.stdout, width=max(Console().width, 140))
        html = options["html"]
        report = build_report(
            scope,
            as_of=options["as_of"],
            since=options["since"],
            until=options["until"],
            baseline_from=options["baseline_from"],
        )
        if html or options["pdf"]:
            page = render_html(report, language=options["language"])
        if html:
            Path(html).write_text(page, encoding="utf-8")
            self.stderr.write(f"HTML report written to {html}")
        if options["pdf"]:
            try:
                write_pdf(page, Path(options["pdf"]))
            except NoBrowser as error:
                raise CommandError(
                    f"{error}: write --html and print it from a browser (Save as PDF)"
                ) from error
            self.stderr.write(f"PDF report written to {options['pdf']}")
        if format == "csv":
            self.stdout.write(report_csv(report, table), ending="")
        elif format == "json":
            self.stdout.write(report_json(report))
        elif not html and not options["pdf"]:
            print_figures(console, report.metrics)
            if report.effects:
                console.print(results_table(result_rows(report.effects)))
            for effect in report.effects:
                console.print(effect_table(effect))
            libraries = dict.fromkeys(month.library for month in report.baselines)
            for code in libraries:
                console.print(baseline_table([m for m in report.baselines if m.library == code]))
            if report.comparison is not None:
                console.print(comparison_table(report.comparison))
            if report.benchmark is not None and len(report.benchmark.rows) > 1:
                console.print(benchmark_table(report.benchmark))
