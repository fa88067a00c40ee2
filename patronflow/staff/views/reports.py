"""The results page: did each journey and broadcast work, the figures per mail and week, the
baseline and the library against the network, for a chosen period; its CSV and its print
view. The figures are those of `patronflow report` (reports/page.py renders both)."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from patronflow.reports.exports import TABLES, report_csv
from patronflow.reports.page import results_context
from patronflow.staff import queries
from patronflow.staff.access import staff_view
from patronflow.staff.report_page import PeriodForm, comment_links


def _results(request: HttpRequest):
    form = PeriodForm(request.GET or None)
    period = form.chosen(queries.today())
    built = queries.report(request.library, network=request.staff.is_admin, period=period)
    return form, period, built


def _page(request: HttpRequest, *, printable: bool) -> HttpResponse:
    form, period, built = _results(request)
    context = results_context(built, comments=comment_links(request.library))
    return render(
        request,
        "staff/report.html",
        context
        | {
            "form": form,
            "period": period,
            "query": request.GET.urlencode(),
            "links": not printable,
            "printable": printable,
            "csv_tables": TABLES,
        },
    )


@staff_view
def report(request: HttpRequest) -> HttpResponse:
    return _page(request, printable=False)


@staff_view
def report_print(request: HttpRequest) -> HttpResponse:
    """The page for the library's board: no menu or controls, a title naming the library
    and the period; the browser prints it or saves it as PDF (staff.css: @media print)."""
    return _page(request, printable=True)


@staff_view
def report_export(request: HttpRequest) -> HttpResponse:
    """One table of the page as CSV, for the same period: `patronflow report --format csv`."""
    table = request.GET.get("table", "results")
    if table not in TABLES:
        raise Http404
    _, period, built = _results(request)
    response = HttpResponse(report_csv(built, table), content_type="text/csv; charset=utf-8")
    name = f"patronflow-{request.library.code}-{table}-{period.until:%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
