"""Four eyes on screen: the changes waiting for approval, and one change with what it would
change, approved or declined by the library's other staff member (or a network admin)."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from patronflow.journeys.approvals import changed_since, pending
from patronflow.journeys.diffs import definition_changes
from patronflow.journeys.models import ApprovalRequest
from patronflow.journeys.services import LifecycleError
from patronflow.operations.activation import Missing
from patronflow.operations.approvals import APPLIED, STALE, NotYours, approve, decline
from patronflow.staff.access import get_scoped, scoped, staff_view
from patronflow.staff.review_forms import DecisionForm
from patronflow.staff.templatetags.staff import status_label

RECENT = 20
# What an activation that is approved but refused by its guard rails lacks, in words.
MISSING = {
    Missing.PRIVACY_LINK: _lazy("a link to the privacy statement (library settings)"),
    Missing.SENDER: _lazy("a sender address (library settings)"),
    Missing.REACH: _lazy("a member in reach"),
}


@staff_view
def approval_list(request: HttpRequest) -> HttpResponse:
    decided = scoped(request, ApprovalRequest.objects.exclude(state="pending"))
    return render(
        request,
        "staff/approvals.html",
        {
            "waiting": pending(request.library),
            "decided": decided.select_related("journey", "requested_by", "decided_by")[:RECENT],
        },
    )


def what_changes(approval: ApprovalRequest) -> list:
    """What approving a new version does, in the diff's words: the definition against the
    journey as it was when asked (an activation's page says the status it changes)."""
    if approval.change == ApprovalRequest.Change.VERSION:
        return definition_changes(approval.base, approval.definition)
    return []


@staff_view
def approval_detail(request: HttpRequest, pk: int) -> HttpResponse:
    approval = get_scoped(
        request, ApprovalRequest.objects.select_related("journey", "requested_by"), pk=pk
    )
    form = DecisionForm(request.POST or None)
    pending_now = approval.state == ApprovalRequest.State.PENDING
    if request.method == "POST" and pending_now and form.is_valid():
        return _decide(request, approval, form.cleaned_data["note"])
    return render(
        request,
        "staff/approval.html",
        {
            "approval": approval,
            "changes": what_changes(approval),
            "stale": pending_now and changed_since(approval),
            "may_decide": pending_now and approval.requested_by_id != request.user.pk,
            "was_status": status_label(approval.base.get("status", "")),
            "moment": parse_datetime(approval.base.get("send_at") or ""),
            "form": form,
        },
    )


def _decide(request: HttpRequest, approval: ApprovalRequest, note: str) -> HttpResponse:
    name = approval.journey.name
    choice = request.POST.get("decision")
    if choice not in ("approve", "decline"):
        return redirect("staff:approval", pk=approval.pk)
    try:
        if choice == "approve":
            decision = approve(approval, actor=request.user, now=timezone.now(), note=note)
        else:
            decline(approval, actor=request.user, note=note)
            decision = None
    except NotYours:
        messages.error(request, _("You asked for this change: your colleague approves it."))
        return redirect("staff:approval", pk=approval.pk)
    except LifecycleError:
        messages.error(request, _("This change was already decided."))
        return redirect("staff:approval", pk=approval.pk)
    if decision is None:
        messages.success(request, _("Declined: %(name)s stays as it was.") % {"name": name})
    elif decision.outcome == APPLIED:
        messages.success(request, _("Approved: the change to %(name)s is active.") % {"name": name})
    elif decision.outcome == STALE:
        messages.error(
            request,
            _(
                "Not applied: %(name)s changed after this change was asked for, so approving "
                "it would undo that. Ask your colleague to make the change again."
            )
            % {"name": name},
        )
    elif decision.missing:
        lacking = ", ".join(str(MISSING[reason]) for reason in decision.missing)
        messages.error(
            request,
            _("Not applied yet: the journey needs %(missing)s first. The change keeps waiting.")
            % {"missing": lacking},
        )
    else:
        messages.error(
            request,
            _("Not applied yet: %(problem)s The change keeps waiting.")
            % {"problem": decision.problem},
        )
    return redirect("staff:approval", pk=approval.pk)


def asked_for_approval(request: HttpRequest, approval: ApprovalRequest) -> HttpResponse:
    """Where a change that waits for four eyes leaves its requester: the journey's page,
    saying who decides now."""
    messages.success(
        request,
        _(
            "Asked for approval: %(name)s changes only when the library's other staff member "
            "(or a network admin) approves it."
        )
        % {"name": approval.journey.name},
    )
    return redirect("staff:journey", pk=approval.journey.pk)
