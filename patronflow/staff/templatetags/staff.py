"""Labels the other apps keep in English, in the marketer's language."""

from django import template
from django.utils.translation import gettext_lazy as _

from patronflow.reports.published import shown
from patronflow.reports.suppression import Figure

register = template.Library()

SEGMENT_LABELS = {
    "": _("Everyone else"),
    "default": _("Everyone else"),
    "fiction_digital": _("Fiction, digital"),
    "fiction_physical": _("Fiction, physical"),
    "nonfiction_digital": _("Non-fiction, digital"),
    "nonfiction_physical": _("Non-fiction, physical"),
    "unknown": _("Too little history"),
}

STATUS_LABELS = {
    "draft": _("draft"),
    "active": _("active"),
    "paused": _("paused"),
    "archived": _("archived"),
}


@register.filter
def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)


@register.filter
def segment_label(segment: str) -> str:
    return SEGMENT_LABELS.get(segment, segment)


@register.filter
def percent(rate: Figure) -> str:
    """A rate as a percentage; "–" where not recorded, "·" where withheld (reports/published.py)."""
    return shown(rate, ".1%")
