"""The report as one self-contained HTML file: Chart.js (vendored from the npm registry into
reports/static, MIT licence beside it) and the data are inlined, so the file opens offline
and makes no request of its own — a report may be mailed around or archived."""

from pathlib import Path

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe

from patronflow.reports.exports import Report
from patronflow.reports.page import results_context

CHART_JS = Path(__file__).parent / "static" / "reports" / "chart.umd.min.js"


def _static(path: str) -> str:
    """A static file's text, to inline: the staff page links the same files."""
    found = finders.find(path)
    return Path(found).read_text(encoding="utf-8") if found else ""


def render_html(report: Report, *, language: str = "en") -> str:
    """The results page as one file in `language`: the staff page's template and data
    (reports/page.py), its stylesheets and scripts inlined."""
    with translation.override(language):
        return render_to_string(
            "reports/report.html",
            results_context(report)
            | {
                "links": False,
                "css": mark_safe(_static("staff/staff.css") + _static("reports/results.css")),
                "chart_js": mark_safe(CHART_JS.read_text(encoding="utf-8")),
                "charts_js": mark_safe(_static("staff/report-charts.js")),
            },
        )
