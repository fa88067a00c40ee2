"""Staff switching a journey or broadcast on (for a broadcast: scheduling it), behind guard
rails: a privacy link and a sender to mail with, someone in reach, and a confirmation for an
audience of everyone.

Only the staff screens come this way. `patronflow library add` installs the standard
journeys active for a library that has no members yet, and the YAML import and the command
line's `journey activate` keep the journey's own lifecycle rules (journeys/services.py).
"""

import datetime as dt
from enum import StrEnum

from django.utils import timezone

from patronflow.journeys.approvals import ask_for_activation, waits_for_approval
from patronflow.journeys.models import ApprovalRequest, Journey
from patronflow.journeys.services import LifecycleError, check_transition
from patronflow.operations.lifecycle import change_status
from patronflow.operations.reach import anyone_mailed
from patronflow.privacy.audit import Actor


class Missing(StrEnum):
    """What a journey needs before staff may switch it on."""

    PRIVACY_LINK = "privacy_link"  # every mail links to the library's privacy statement
    SENDER = "sender"  # the address mails leave from
    REACH = "reach"  # a mailable member of its audience who is not held out


class ActivationRefused(LifecycleError):
    """The journey lacks what `missing` names; a screen says each in the user's words."""

    def __init__(self, journey: Journey, missing: tuple[Missing, ...]) -> None:
        super().__init__(f"{journey} cannot be activated: missing {', '.join(missing)}")
        self.missing = missing


class ConfirmationNeeded(LifecycleError):
    """Activating a journey whose audience is everyone mailable waits for a confirmation."""


def missing(journey: Journey, *, now: dt.datetime) -> tuple[Missing, ...]:
    """What keeps staff from activating `journey` at `now`, in the order a screen lists it.
    Someone in reach is asked of a draft being switched on for the first time: a paused
    journey was in reach when it started, and members may be on their way in it."""
    library = journey.library
    found = []
    if not library.privacy_url:
        found.append(Missing.PRIVACY_LINK)
    if not library.sender_email:
        found.append(Missing.SENDER)
    if journey.status == Journey.Status.DRAFT and not anyone_mailed(journey, now=now):
        found.append(Missing.REACH)
    return tuple(found)


def sends_to_everyone(journey: Journey) -> bool:
    """An empty entry rule: every mailable member of the library enters (not so for a
    journey that starts on an event: only members an event arrives for enter it)."""
    version = journey.current_version
    return not version.entry and not version.on_event


def activate(
    journey: Journey, *, now: dt.datetime, actor: Actor, confirmed: bool = False
) -> Journey | ApprovalRequest:
    """Switch the journey on (a broadcast: schedule it) for a staff member, logged as their
    change: refused with ActivationRefused when something it needs is missing, and with
    ConfirmationNeeded for an audience of everyone unless `confirmed`. In a four-eyes
    library it is asked for instead, as the ApprovalRequest returned (journeys/approvals.py)."""
    check_transition(journey, Journey.Status.ACTIVE)
    if found := missing(journey, now=now):
        raise ActivationRefused(journey, found)
    if sends_to_everyone(journey) and not confirmed:
        raise ConfirmationNeeded(f"{journey} mails every mailable member: confirm first")
    if waits_for_approval(journey.library, actor=actor):
        return ask_for_activation(journey, actor=actor)
    return change_status(journey, Journey.Status.ACTIVE, timezone.localdate(now), actor=actor)
