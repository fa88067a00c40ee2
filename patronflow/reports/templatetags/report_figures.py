"""Report figures in templates: `{{ row.click_rate|figure:".1%" }}` — "–" where not recorded,
the marker where withheld (reports/published.py), else the figure in the given format."""

from django import template

from patronflow.reports.published import shown
from patronflow.reports.suppression import Figure

register = template.Library()


@register.filter
def figure(value: Figure, spec: str = "") -> str:
    return shown(value, spec)
