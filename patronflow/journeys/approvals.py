"""Four eyes: in a library that asks for it, a new version of a running journey or an
activation made by a staff member is stored as a request, and goes active only when the
library's other staff member approves it (operations/approvals.py applies it).

Changes made on the command line (no user) or by an approval itself (named in words) are not
held: four eyes is a rule between the two people on the staff screens.
"""

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import QuerySet

from patronflow.journeys.definitions import export_definition, normalise
from patronflow.journeys.models import ApprovalRequest, Journey
from patronflow.members.models import Library
from patronflow.privacy.audit import Actor, record_change


def waits_for_approval(library: Library, *, actor: Actor) -> bool:
    """Whether a change by `actor` that would go active must wait for a second person."""
    return library.four_eyes and isinstance(actor, AbstractBaseUser)


def version_waits(journey: Journey, *, actor: Actor) -> bool:
    """A save over a running journey is a change that goes active at once; over a draft or a
    paused one it is not (its activation or resumption waits instead)."""
    return journey.status == Journey.Status.ACTIVE and waits_for_approval(
        journey.library, actor=actor
    )


@transaction.atomic
def ask_for_version(
    journey: Journey, definition: dict, *, actor: AbstractBaseUser, move_members: bool
) -> ApprovalRequest:
    """Store a definition for the journey as a request: checked now (InvalidJourney, like a
    save), installed only on approval."""
    definition = normalise(definition)
    return _ask(journey, ApprovalRequest.Change.VERSION, actor, definition, move_members)


@transaction.atomic
def ask_for_activation(journey: Journey, *, actor: AbstractBaseUser) -> ApprovalRequest:
    """Store the activation (or resumption) of a journey, or the scheduling of a broadcast,
    as a request."""
    return _ask(journey, ApprovalRequest.Change.ACTIVATION, actor, {}, False)


def _ask(
    journey: Journey, change: str, actor: AbstractBaseUser, definition: dict, move_members: bool
) -> ApprovalRequest:
    request = ApprovalRequest.objects.create(
        library=journey.library,
        journey=journey,
        change=change,
        definition=definition,
        move_members=move_members,
        base=export_definition(journey),
        requested_by=actor,
    )
    record_change(
        f"journey {journey.key}",
        {f"approval request {request.pk}": (None, f"{change}, asked")},
        actor=actor,
        library_code=journey.library.code,
    )
    return request


def pending(library: Library) -> QuerySet[ApprovalRequest]:
    return library.approvals.filter(state=ApprovalRequest.State.PENDING).select_related(
        "journey", "requested_by"
    )


def changed_since(request: ApprovalRequest) -> bool:
    """Whether the journey is no longer what it was when the change was asked for (its
    content, name or status): applying the request would overwrite that change unseen."""
    return export_definition(request.journey) != request.base
