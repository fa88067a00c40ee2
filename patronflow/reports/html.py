"""The report as one self-contained HTML file: Chart.js (vendored from the npm registry into
reports/static, MIT licence beside it) and the data are inlined, so the file opens offline
and makes no request of its own — a report may be mailed around or archived."""

import shutil
import subprocess
import tempfile
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


BROWSERS = ("chromium", "chromium-browser", "google-chrome")


class NoBrowser(Exception):
    """No headless browser installed to print the report with."""


def write_pdf(html: str, path: Path) -> None:
    """The report file printed to PDF by a headless Chromium, if one is installed (nothing is
    downloaded): the browser lays the page out as it does for its own "Save as PDF", print
    stylesheet and charts included."""
    browser = next((found for name in BROWSERS if (found := shutil.which(name))), None)
    if browser is None:
        raise NoBrowser("no Chromium installed")
    with tempfile.TemporaryDirectory() as folder:
        page = Path(folder) / "report.html"
        page.write_text(html, encoding="utf-8")
        subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",  # as root in a container; the page is our own and fetches nothing
                "--disable-gpu",
                f"--user-data-dir={folder}/profile",
                "--no-pdf-header-footer",
                f"--print-to-pdf={Path(path).resolve()}",
                page.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
