"""The report as one self-contained HTML file: Chart.js (vendored from the npm registry into
reports/static, MIT licence beside it) and the data are inlined, so the file opens offline
and makes no request of its own — a report may be mailed around or archived."""

from collections import defaultdict
from pathlib import Path

from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from patronflow.reports.exports import Report, effect_rows, report_data
from patronflow.reports.published import PublishedRow, combined_click_rate, number

CHART_JS = Path(__file__).parent / "static" / "reports" / "chart.umd.min.js"


def chart_data(report: Report) -> dict:
    """What each chart draws, already aggregated; a withheld figure is not drawn."""
    funnel = [
        {
            "label": f"{row.library} {row.journey} {row.step}. {row.step_name}",
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
            weeks[(f"{row.library} {row.journey}", row.week)].append(row)
    over_time: dict[str, list] = defaultdict(list)
    for (series, week), rows in sorted(weeks.items(), key=lambda item: item[0][1]):
        over_time[series].append({"x": week.isoformat(), "y": number(combined_click_rate(rows))})
    lift = [
        {
            "label": f"{row['library']} {row['journey']}: {row['measure']}",
            "lift": row["lift"] * 100,
            "low": row["low"] * 100,
            "high": row["high"] * 100,
            "claimed": row["claimed"],
        }
        for row in effect_rows(report.effects)
        if row["kind"] == "rate" and row["enough_data"] and row["lift"] is not None
    ]
    benchmark = report.benchmark.as_rows() if report.benchmark else []
    baseline = [
        {
            "label": f"{row.library} {row.month:%Y-%m}",
            "loans": number(row.loans),
            "baseline": number(row.baseline_loans),
        }
        for row in report.baselines
    ]
    return {
        "funnel": funnel,
        "over_time": over_time,
        "lift": lift,
        "benchmark": benchmark,
        "baseline": baseline,
    }


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
