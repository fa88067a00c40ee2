"""Report figures in templates: `{{ row.click_rate|figure:".1%" }}` — "–" where not recorded,
the marker where withheld (reports/published.py), else the figure in the given format;
`{% rate_cell row "click_rate" ".1%" %}` a table cell with the rate, or where it is withheld
the two counts it is made of, greyed ("< 10 / 37"); `{{ value|cell:".1%" }}` a benchmark cell."""

from django import template
from django.utils.html import format_html

from patronflow.reports.metrics import RATE_COUNTS
from patronflow.reports.published import PublishedRow, shown
from patronflow.reports.suppression import Figure, Withheld

register = template.Library()


@register.filter
def figure(value: Figure, spec: str = "") -> str:
    return shown(value, spec)


def made_of(row: PublishedRow, rate: str) -> str:
    part, whole = RATE_COUNTS[rate]
    return f"{shown(getattr(row, part))} / {shown(getattr(row, whole))}"


@register.simple_tag
def rate_cell(row: PublishedRow, rate: str, spec: str) -> str:
    """A table cell with a rate; where the rate is withheld (too few mails, or a count that
    would give one away), the two counts it is made of instead, greyed."""
    value = getattr(row, rate)
    if isinstance(value, Withheld):
        return format_html('<td class="num withheld">{}</td>', made_of(row, rate))
    return format_html('<td class="num">{}</td>', shown(value, spec))


@register.filter
def cell(value: Figure, spec: str = "") -> str:
    """A benchmark cell: · where hidden (None: the benchmark does not tell a small cell from
    one hidden to protect it), else the figure."""
    return "·" if value is None else shown(value, spec)
