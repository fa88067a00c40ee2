"""The four-eyes and network-template notices other pages carry (the dashboard, a journey's
page), and the labels of an approval request, in the user's language."""

from django import template
from django.utils.translation import gettext_lazy as _

from patronflow.journeys.approvals import pending
from patronflow.journeys.models import Adoption, ApprovalRequest, Journey, NetworkTemplate
from patronflow.operations.network_templates import newer_version

register = template.Library()

STATE_LABELS = {
    ApprovalRequest.State.PENDING: _("waiting"),
    ApprovalRequest.State.APPROVED: _("approved"),
    ApprovalRequest.State.DECLINED: _("declined"),
    ApprovalRequest.State.STALE: _("not applied: the journey changed since"),
}


@register.filter
def change_label(approval: ApprovalRequest) -> str:
    if approval.change == ApprovalRequest.Change.VERSION:
        return _("a new version")
    if approval.journey.kind == Journey.Kind.BROADCAST:
        return _("scheduling the broadcast")
    return _("activating the journey")


@register.filter
def state_label(approval: ApprovalRequest) -> str:
    return STATE_LABELS[approval.state]


@register.simple_tag(takes_context=True)
def approvals_for_me(context: template.Context) -> list[ApprovalRequest]:
    """The library's waiting changes that someone else asked for: the user's to decide."""
    request = context["request"]
    return list(pending(request.library).exclude(requested_by=request.user))


@register.simple_tag(takes_context=True)
def journey_notices(context: template.Context, journey: Journey) -> dict:
    """What a journey's page says about four eyes and templates: its waiting changes, the
    template it was adopted from with a newer version if any, and (for the network admin)
    the template it is the source of."""
    adoption = Adoption.objects.filter(journey=journey).select_related("template").first()
    return {
        "waiting": list(pending(journey.library).filter(journey=journey)),
        "adoption": adoption,
        "newer": newer_version(adoption) if adoption else None,
        "template": NetworkTemplate.objects.filter(source=journey).first(),
    }
