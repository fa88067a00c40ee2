"""Four eyes, the second pair: approving or declining a change another staff member asked
for (journeys/approvals.py stores it). An approved change is installed or activated exactly as
it would have been without four eyes; a request whose journey changed meanwhile is refused as
stale. Who asked, who decided and what are written to the audit log.
"""

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from patronflow.journeys.approvals import changed_since
from patronflow.journeys.definitions import Installed, InvalidJourney
from patronflow.journeys.models import ApprovalRequest
from patronflow.journeys.services import LifecycleError, lock_journey
from patronflow.operations.activation import ActivationRefused, Missing, activate
from patronflow.operations.network_templates import note_approved_take_over
from patronflow.operations.publishing import save_definition
from patronflow.privacy.audit import operator_of, record_change

APPLIED, STALE, REFUSED = "applied", "stale", "refused"


class NotYours(PermissionError):
    """The person who asked for a change cannot approve or decline it themselves."""


@dataclass(frozen=True)
class Decision:
    """What an approval did: `outcome` APPLIED (with `installed` for a new version), STALE
    (the journey changed since; nothing applied, the request closed) or REFUSED (`problem`:
    the change does not pass its checks now, e.g. an activation's guard rails, `missing`
    naming what it lacks; it waits on)."""

    request: ApprovalRequest
    outcome: str
    installed: Installed | None = None
    problem: str = ""
    missing: tuple[Missing, ...] = ()


def _locked(request: ApprovalRequest, actor: AbstractBaseUser) -> ApprovalRequest:
    """The request's row, and its journey's, locked until the decision is written: two people
    deciding at once, or two requests for one journey, go one after the other."""
    locked = ApprovalRequest.objects.select_for_update(of=("self",)).select_related(
        "journey__library", "requested_by"
    )
    request = locked.get(pk=request.pk)
    if request.requested_by_id == actor.pk:
        raise NotYours(request)
    lock_journey(request.journey)
    return request


def _close(
    request: ApprovalRequest, state: str, actor: AbstractBaseUser, note: str, reason: str = ""
) -> None:
    request.state = state
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.note = note
    request.save(update_fields=["state", "decided_by", "decided_at", "note"])
    outcome = f"{request.change}, {state}" + (f" ({reason})" if reason else "")
    record_change(
        f"journey {request.journey.key}",
        {f"approval request {request.pk}": (f"{request.change}, asked", outcome)},
        actor=actor,
        library_code=request.library.code,
    )


def _record_refusal(request: ApprovalRequest, actor: AbstractBaseUser, problem: str) -> None:
    """An approval the checks refused changes nothing, but someone tried it: the log says
    who, when and why it was refused; the request keeps waiting."""
    record_change(
        f"journey {request.journey.key}",
        {
            f"approval request {request.pk}": (
                f"{request.change}, asked",
                f"{request.change}, approval refused ({problem})",
            )
        },
        actor=actor,
        library_code=request.library.code,
    )


def approved_by(request: ApprovalRequest, actor: AbstractBaseUser) -> str:
    """How the audit log names the change an approval applies: both people."""
    return f"{operator_of(actor)}, approving {operator_of(request.requested_by)}"


@transaction.atomic
def approve(
    request: ApprovalRequest, *, actor: AbstractBaseUser, now: dt.datetime, note: str = ""
) -> Decision:
    """Apply a waiting change: install the new version (moving members on their way if that
    was asked) or activate the journey. Not when the journey changed since it was asked for
    (STALE: the request is closed), nor when the change no longer passes its checks (REFUSED:
    it keeps waiting, e.g. until the library has a sender address)."""
    request = _locked(request, actor)
    if request.state != ApprovalRequest.State.PENDING:
        raise LifecycleError(f"approval request {request.pk} is {request.state}")
    if changed_since(request):
        _close(request, ApprovalRequest.State.STALE, actor, note, "the journey changed since")
        return Decision(request, STALE)
    by = approved_by(request, actor)
    try:
        with transaction.atomic():
            installed = _apply(request, by, now)
    except ActivationRefused as refused:
        _record_refusal(request, actor, str(refused))
        return Decision(request, REFUSED, problem=str(refused), missing=refused.missing)
    except (InvalidJourney, LifecycleError) as problem:
        _record_refusal(request, actor, str(problem))
        return Decision(request, REFUSED, problem=str(problem))
    _close(request, ApprovalRequest.State.APPROVED, actor, note)
    note_approved_take_over(request, actor=by)
    return Decision(request, APPLIED, installed)


def _apply(request: ApprovalRequest, by: str, now: dt.datetime) -> Installed | None:
    """The change as the requester's screen would have made it: an activation behind the same
    guard rails (the requester confirmed an audience of everyone already)."""
    journey = request.journey
    if request.change == ApprovalRequest.Change.ACTIVATION:
        activate(journey, now=now, actor=by, confirmed=True)
        return None
    published = save_definition(
        journey.library,
        request.definition,
        actor=by,
        move_members=request.move_members,
        today=timezone.localdate(now),
    )
    return published.installed


@transaction.atomic
def decline(request: ApprovalRequest, *, actor: AbstractBaseUser, note: str = "") -> None:
    """Close a waiting change without applying it; the journey stays as it is."""
    request = _locked(request, actor)
    if request.state != ApprovalRequest.State.PENDING:
        raise LifecycleError(f"approval request {request.pk} is {request.state}")
    _close(request, ApprovalRequest.State.DECLINED, actor, note)
