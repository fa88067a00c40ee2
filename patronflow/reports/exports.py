"""The whole report as one value, and as JSON or CSV: what `patronflow report` writes and the
HTML report draws. Aggregates only, as published (reports/published.py): no count from 1 to 9,
nor a figure that gives one away."""

import datetime as dt
import io
import json
from dataclasses import dataclass

from django.utils import timezone

from patronflow.members.models import Library
from patronflow.reports.baseline import baseline
from patronflow.reports.benchmark import Suppressed, cross_library_benchmark
from patronflow.reports.comparison import LibraryComparison, comparison_of
from patronflow.reports.outcomes import effect_by_journey
from patronflow.reports.published import (
    PublishedEffect,
    PublishedRow,
    json_ready,
    published_campaign,
    published_effects,
    published_months,
)
from patronflow.reports.suppression import Withheld
from patronflow.spreadsheets import SpreadsheetWriter

TABLES = ("results", "metrics", "weekly", "effect", "baseline", "comparison", "benchmark")


@dataclass(frozen=True)
class Report:
    as_of: dt.date
    library: str | None
    metrics: list[PublishedRow]
    weekly: list[PublishedRow]
    funnel: list[PublishedRow]
    effects: list[PublishedEffect]
    baselines: list[PublishedRow]
    benchmark: Suppressed | None
    since: dt.date | None = None  # None: since the launch
    until: dt.date | None = None  # None: up to the report day and beyond
    # Every library side by side: the network admin's (a library's own report has only
    # itself against the rest, `benchmark`).
    network: Suppressed | None = None
    # This library against the libraries the network admin chose (a library's report only).
    comparison: LibraryComparison | None = None


def build_report(
    library: Library | None = None,
    *,
    as_of: dt.date | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    baseline_from: dt.date | None = None,
) -> Report:
    """Everything the report shows, for one library or (None) the network, on the report day
    `as_of` (today), for the period from `since` (None: the launch) to `until` (None: no
    end), both included: the mails sent in it, the members whose clock started in it. A
    library sees the benchmark as itself against the rest of the network."""
    as_of = as_of or timezone.localdate()
    campaign = published_campaign(library, since=since, until=until)
    libraries = [library] if library else list(Library.objects.order_by("code"))
    baselines = [
        month
        for each in libraries
        for month in baseline(
            each, as_of=as_of, since=since, until=until, baseline_from=baseline_from
        )
    ]
    benchmark = None
    if Library.objects.exists():
        benchmark = cross_library_benchmark(as_of, since=since, until=until)
    if benchmark is not None and library is not None:
        benchmark = benchmark.versus_rest(library.code)
    return Report(
        as_of=as_of,
        library=library.code if library else None,
        metrics=campaign.variants,
        weekly=campaign.weekly,
        funnel=campaign.steps,
        effects=published_effects(effect_by_journey(library, as_of, since=since, until=until)),
        baselines=published_months(baselines),
        benchmark=benchmark,
        since=since,
        until=until,
        comparison=comparison_of(library, as_of=as_of, since=since, until=until)
        if library
        else None,
    )


def verdict_of(effect: PublishedEffect) -> str:
    """Did the journey work? `worked`, `backfired`, `no_effect_shown`, `not_enough_data` or
    `no_control_group`, from its headline comparison as published (docs/reports.md)."""
    headline = effect.headline
    if not effect.has_control_group:
        return "no_control_group"
    if headline is None or not headline.enough_data:
        return "not_enough_data"
    if headline.claimed:
        lift = headline.lift if headline.adjusted_lift is None else headline.adjusted_lift
        return "worked" if lift > 0 else "backfired"
    return "no_effect_shown"


RESULT_FIGURES = ("mailed_n", "held_out_n", "mailed", "held_out", "lift", "low", "high", "p_value")
RESULT_FIGURES += ("adjusted_lift", "adjusted_low", "adjusted_high", "narrower")


def result_rows(effects: list[PublishedEffect]) -> list[dict]:
    """One row per journey and broadcast: the results card's verdict, its headline figures and
    how long to wait (`wait`: weeks, more_than_a_year or cannot_tell; `weeks_more`)."""
    rows = []
    for effect in effects:
        headline = effect.headline
        row = {
            "library": effect.library,
            "journey": effect.journey,
            "journey_name": effect.journey_name,
            "kind": effect.kind,
            "verdict": verdict_of(effect),
            "enrolments": effect.enrolments,
            "held_out_enrolments": effect.held_out,
            "outcome": headline.outcome if headline else None,
            "window": headline.window if headline else None,
            "measure": headline.measure if headline else None,
            "rate_kind": headline.kind if headline else None,
        }
        row |= {name: getattr(headline, name) if headline else None for name in RESULT_FIGURES}
        row["wait"] = effect.wait.kind if effect.wait else None
        row["weeks_more"] = effect.wait.weeks if effect.wait else None
        rows.append(row)
    return rows


def effect_rows(effects: list[PublishedEffect]) -> list[dict]:
    return [
        {
            "library": effect.library,
            "journey": effect.journey,
            "journey_name": effect.journey_name,
            **c.as_row(),
        }
        for effect in effects
        for c in effect.comparisons
    ]


DID_FIGURES = ("own_change", "others_change", "difference", "low", "high")


def comparison_rows(comparison: LibraryComparison | None) -> list[dict]:
    """Per measure, this library's totals in the baseline and the measured period, its
    change and its comparison libraries' (relative: 0.12 = +12%), the difference with its
    95% interval (valid however often the report is read) and the libraries left out for
    fewer than 10 members. Another library's own figures are never in it. Where this
    library's own members are too few, its figures are withheld."""
    if comparison is None:
        return []
    rows = []
    for each in comparison.measures:
        estimate = each.estimate
        row = {
            "library": comparison.library,
            "measure": each.measure,
            "first_month": comparison.first_month.isoformat(),
            "last_month": comparison.last_month.isoformat(),
            "baseline_first": comparison.baseline_first.isoformat(),
            "baseline_last": comparison.baseline_last.isoformat(),
            "look": comparison.look,
            "libraries": len(comparison.compared_with) - each.left_out - each.not_counted,
            "left_out": each.left_out,
            "not_counted": each.not_counted,
            "withheld_because": each.withheld_because,
            "counted_from": each.counted_from.isoformat() if each.counted_from else None,
        }
        if estimate is None:
            row |= dict.fromkeys(("own_before", "own_after", *DID_FIGURES), Withheld.HIDDEN)
            row |= {"enough_data": False, "claimed": False, "verdict": ""}
        else:
            row |= {
                "own_before": estimate.own.before,
                "own_after": estimate.own.after,
                **{name: getattr(estimate, name) for name in DID_FIGURES},
                "enough_data": estimate.enough_data,
                "claimed": estimate.claimed,
                "verdict": estimate.verdict,
            }
        rows.append(row)
    return rows


def table_rows(report: Report, table: str) -> list[dict]:
    if table == "results":
        return result_rows(report.effects)
    if table == "metrics":
        return [row.as_row() for row in report.metrics]
    if table == "weekly":
        return [row.as_row() for row in report.weekly]
    if table == "effect":
        return effect_rows(report.effects)
    if table == "baseline":
        return [month.as_row() for month in report.baselines]
    if table == "comparison":
        return comparison_rows(report.comparison)
    if table == "benchmark":
        return report.benchmark.as_rows() if report.benchmark else []
    raise ValueError(f"unknown table {table!r}: one of {', '.join(TABLES)}")


def report_data(report: Report) -> dict:
    """The report as plain JSON-ready data, one key per table. A withheld figure is null and
    named in its row's `suppressed` list. `benchmark_unmailed`: the libraries left out of the
    benchmark because they have mailed nothing yet; `compared_with`: the names of the
    comparison libraries, `comparison_reason` why nothing is compared (or null)."""
    tables = {table: table_rows(report, table) for table in TABLES}
    tables["funnel"] = [row.as_row() for row in report.funnel]
    return {
        "as_of": report.as_of.isoformat(),
        "since": report.since.isoformat() if report.since else None,
        "until": report.until.isoformat() if report.until else None,
        "library": report.library,
        **{
            table: rows if table == "benchmark" else [json_ready(row) for row in rows]
            for table, rows in tables.items()
        },
        "benchmark_unmailed": list(report.benchmark.unmailed) if report.benchmark else [],
        **({"network": report.network.as_rows()} if report.network else {}),
        "compared_with": list(report.comparison.compared_with) if report.comparison else [],
        "comparison_reason": report.comparison.reason if report.comparison else None,
    }


def report_json(report: Report) -> str:
    """Strict JSON (no NaN or Infinity, which many readers refuse)."""
    return json.dumps(report_data(report), indent=2, ensure_ascii=False, allow_nan=False)


def report_csv(report: Report, table: str = "metrics") -> str:
    """One table as CSV with a header row; a withheld figure as its marker ("< 10", "·"), an
    empty cell where a figure is not recorded or the benchmark hides it. Made to be opened in
    a spreadsheet: a name that starts like a formula is written as text
    (patronflow.spreadsheets); numbers stay numbers."""
    rows = table_rows(report, table)
    output = io.StringIO()
    if not rows:
        return ""
    columns = list(rows[0])
    writer = SpreadsheetWriter(output, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([row[column] for column in columns] for row in rows)
    return output.getvalue()
