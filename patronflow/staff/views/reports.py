"""The report page: the library's campaign figures, effect and benchmark."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from patronflow.staff import queries, report_page
from patronflow.staff.access import staff_view


@staff_view
def report(request: HttpRequest) -> HttpResponse:
    network = request.staff.is_admin
    built = queries.report(request.library, network=network)
    charts = report_page.charts(built)
    return render(
        request,
        "staff/report.html",
        {
            "report": built,
            "effects": [report_page.effect_section(effect) for effect in built.effects],
            "charts": charts,
            "drawn": report_page.drawn(charts),
            "chart_labels": _chart_labels(),
            "network": network,
        },
    )


def _chart_labels() -> dict[str, str]:
    """The charts' words in the user's language, for report-charts.js."""
    return {
        "sent": _("Sent"),
        "delivered": _("Delivered"),
        "opened": _("Opened"),
        "clicked": _("Clicked"),
        "interval": _("95% interval (percentage points)"),
        "lift": _("Lift (percentage points)"),
        "loans": _("Loans"),
        "baseline": _("Loans in the baseline period"),
        "partial": _("to day %(day)s: partial"),
        "click_rate": _("Click rate"),
        "dormant_mailed_rate": _("Dormant members back, mailed"),
        "dormant_held_out_rate": _("Dormant members back, held out"),
        "total": pgettext("all libraries", "Network"),
    }
