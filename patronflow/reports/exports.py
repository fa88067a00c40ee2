"""The whole report as one value, and as JSON or CSV: what `patronflow report` writes and the
HTML report draws. Aggregates only; the benchmark already suppressed."""

import datetime as dt
import io
import json
from dataclasses import dataclass

from django.utils import timezone

from patronflow.members.models import Library
from patronflow.reports.baseline import MonthFigures, baseline
from patronflow.reports.benchmark import Suppressed, cross_library_benchmark
from patronflow.reports.effect import JourneyEffect, effect_by_journey
from patronflow.reports.metrics import CampaignMetrics, campaign_metrics, funnel
from patronflow.spreadsheets import SpreadsheetWriter

TABLES = ("metrics", "weekly", "effect", "baseline", "benchmark")


@dataclass(frozen=True)
class Report:
    as_of: dt.date
    library: str | None
    metrics: list[CampaignMetrics]
    weekly: list[CampaignMetrics]
    funnel: list[CampaignMetrics]
    effects: list[JourneyEffect]
    baselines: list[MonthFigures]
    benchmark: Suppressed | None


def build_report(
    library: Library | None = None,
    *,
    as_of: dt.date | None = None,
    since: dt.date | None = None,
    baseline_from: dt.date | None = None,
) -> Report:
    """Everything the report shows, for one library or (None) the network. A library sees the
    benchmark as itself against the rest of the network."""
    as_of = as_of or timezone.localdate()
    metrics = campaign_metrics(library)
    libraries = [library] if library else list(Library.objects.order_by("code"))
    baselines = [
        month
        for each in libraries
        for month in baseline(each, as_of=as_of, since=since, baseline_from=baseline_from)
    ]
    benchmark = cross_library_benchmark(as_of) if Library.objects.exists() else None
    if benchmark is not None and library is not None:
        benchmark = benchmark.versus_rest(library.code)
    return Report(
        as_of=as_of,
        library=library.code if library else None,
        metrics=metrics,
        weekly=campaign_metrics(library, by_week=True),
        funnel=funnel(metrics),
        effects=effect_by_journey(library, as_of),
        baselines=baselines,
        benchmark=benchmark,
    )


def effect_rows(effects: list[JourneyEffect]) -> list[dict]:
    return [
        {
            "library": effect.library,
            "journey": effect.journey,
            "measure": c.measure,
            "kind": c.kind,
            "mailed_n": c.mailed_n,
            "held_out_n": c.held_out_n,
            "mailed": c.mailed,
            "held_out": c.held_out,
            "lift": c.lift,
            "low": c.low,
            "high": c.high,
            "p_value": c.p_value,
            "enough_data": c.enough_data,
            "claimed": c.claimed,
            "verdict": c.verdict,
        }
        for effect in effects
        for c in effect.comparisons
    ]


def table_rows(report: Report, table: str) -> list[dict]:
    if table == "metrics":
        return [row.as_row() for row in report.metrics]
    if table == "weekly":
        return [row.as_row() for row in report.weekly]
    if table == "effect":
        return effect_rows(report.effects)
    if table == "baseline":
        return [month.as_row() for month in report.baselines]
    if table == "benchmark":
        return report.benchmark.as_rows() if report.benchmark else []
    raise ValueError(f"unknown table {table!r}: one of {', '.join(TABLES)}")


def report_data(report: Report) -> dict:
    """The report as plain JSON-ready data, one key per table."""
    return {
        "as_of": report.as_of.isoformat(),
        "library": report.library,
        **{table: table_rows(report, table) for table in TABLES},
        "funnel": [row.as_row() for row in report.funnel],
    }


def report_json(report: Report) -> str:
    return json.dumps(report_data(report), indent=2, ensure_ascii=False)


def report_csv(report: Report, table: str = "metrics") -> str:
    """One table as CSV with a header row; empty cells where a figure is not recorded or is
    suppressed. Made to be opened in a spreadsheet: a name that starts like a formula is
    written as text (patronflow.spreadsheets); numbers stay numbers."""
    rows = table_rows(report, table)
    output = io.StringIO()
    if not rows:
        return ""
    columns = list(rows[0])
    writer = SpreadsheetWriter(output, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([row[column] for column in columns] for row in rows)
    return output.getvalue()
