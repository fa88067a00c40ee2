"""The report as one self-contained HTML file: Chart.js (vendored from the npm registry into
reports/static, MIT licence beside it) and the data are inlined, so the file opens offline
and makes no request of its own — a report may be mailed around or archived."""

from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from patronflow.reports.exports import Report, effect_rows, report_data
from patronflow.reports.published import PublishedRow, combined_click_rate, number

CHART_JS = Path(__file__).parent / "static" / "reports" / "chart.umd.min.js"


def chart_data(report: Report) -> dict:
    """What each chart draws, already aggregated; a withheld figure is not drawn, and no rate
    of fewer than 10 mails is (published.py withholds it). Labels name journeys by their
    name, and the library too where the report is the network's."""

    def named(library: str, name: str) -> str:
        return name if report.library else f"{library} {name}"

    funnel = [
        {
            "label": named(row.library, f"{row.journey_name} {row.step}. {row.step_name}"),
            "library": row.library,
            "sent": number(row.sent),
            "delivered": number(row.delivered),
            "opened": number(row.member_opened) if row.tracks_opens else None,
            "clicked": number(row.member_clicked),
        }
        for row in report.funnel
    ]
    weeks: dict[tuple, list[PublishedRow]] = defaultdict(list)
    for row in report.weekly:
        if row.week is not None:
            weeks[(named(row.library, row.journey_name), row.week)].append(row)
    over_time: dict[str, list] = defaultdict(list)
    for (series, week), rows in sorted(weeks.items(), key=lambda item: item[0][1]):
        over_time[series].append({"x": week.isoformat(), "y": number(combined_click_rate(rows))})
    lift = [
        {
            "label": named(row["library"], f"{row['journey_name']}: {row['measure']}"),
            "library": row["library"],
            "journey_name": row["journey_name"],
            "outcome": row["outcome"],
            "window": row["window"],
            "lift": row["lift"] * 100,
            "low": row["low"] * 100,
            "high": row["high"] * 100,
            "claimed": row["claimed"],
        }
        for row in effect_rows(report.effects)
        if row["kind"] == "rate" and row["enough_data"] and row["lift"] is not None
    ]
    benchmark = report.benchmark.as_rows() if report.benchmark else []
    baseline = baseline_points(report.baselines, named)
    return {
        "funnel": funnel,
        "over_time": over_time,
        "lift": lift,
        "benchmark": benchmark,
        "baseline": baseline,
    }


def baseline_points(months: list, named: Callable[[str, str], str]) -> list[dict]:
    """The baseline chart's points, library after library, with an empty point between two
    libraries: a line is not drawn from one library's last month to another's first, which
    would read as a rise or a fall."""
    points: list[dict] = []
    for row in months:
        if points and points[-1]["library"] != row.library:
            points.append(dict.fromkeys(points[-1]) | {"label": ""})
        points.append(
            {
                "label": named(row.library, f"{row.month:%Y-%m}"),
                "library": row.library,
                "loans": number(row.loans),
                "baseline": number(row.baseline_loans),
                "partial_through": row.partial_through,
                "no_loans_after": row.no_loans_after.isoformat() if row.no_loans_after else None,
            }
        )
    return points


def render_html(report: Report) -> str:
    return render_to_string(
        "reports/report.html",
        {
            "report": report,
            "data": report_data(report),
            "charts": chart_data(report),
            "chart_js": mark_safe(CHART_JS.read_text(encoding="utf-8")),
        },
    )
