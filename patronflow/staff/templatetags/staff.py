"""Labels the other apps keep in English, in the marketer's language."""

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from patronflow.journeys.diffs import segment_name
from patronflow.reports.published import shown
from patronflow.reports.suppression import Figure

register = template.Library()

# Pages that belong under a menu item without being its page: a journey under "Journeys".
MENU_SECTIONS = {
    "journey": "journeys",
    "journey_archive": "journeys",
    "journey_activate": "journeys",
    "journey_reach": "journeys",
    "broadcast_cancel": "journeys",
    "studio_new": "journeys",
    "studio_start": "journeys",
    "studio_edit": "journeys",
    "studio_copy": "journeys",
    "journey_calendar": "journeys",
    "seeds": "settings",
    "mail": "journeys",
    "member": "members",
    "approval": "approvals",
    "template": "templates",
    "journey_template": "journeys",
    "member_erase": "members",
    "segment": "segments",
    "segment_new": "segments",
    "comments": "journeys",
    "journey_version_changes": "journeys",
    "report_print": "report",
    "images": "settings",
    "image": "settings",
    "image_delete": "settings",
    "brand": "settings",
    "network_brand": "settings",
    "list": "lists",
    "survey": "surveys",
    "survey_results": "surveys",
    "survey_print": "surveys",
    "volunteers": "surveys",
    "token_new": "integrations",
    "token_revoke": "integrations",
    "webhook_new": "integrations",
    "webhook": "integrations",
    "webhook_remove": "integrations",
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
    return segment_name(segment)


@register.filter
def percent(rate: Figure) -> str:
    """A rate as a percentage; "–" where not recorded, "·" where withheld (reports/published.py)."""
    return shown(rate, ".1%")


@register.filter
def with_status(cards: list, status: str) -> int:
    """How many of the dashboard's journeys have `status` (its figures: active, drafts)."""
    return sum(1 for card in cards if card.row.status == status)


@register.simple_tag(takes_context=True)
def current(context: template.Context, name: str) -> SafeString:
    """The menu link's aria-current: "page" on the link to the page shown, "true" on its
    section's link for a page within a section, so that a screen reader says where one is
    (staff.css marks both)."""
    match = context["request"].resolver_match
    here = match.url_name if match else None
    if here == name:
        return mark_safe(' aria-current="page"')
    if MENU_SECTIONS.get(here) == name:
        return mark_safe(' aria-current="true"')
    return mark_safe("")
