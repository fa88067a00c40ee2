"""Saving a journey built on screen: the same install as a YAML import, and, when staff ask
for it, the members on their way moved onto the new version at once.

One transaction: either the definition is saved and (when asked) its members moved, or
nothing changes. Both steps write their own audit entries, naming the actor.
"""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from patronflow.journeys.approvals import ask_for_version, version_waits
from patronflow.journeys.definitions import Installed, export_definition, install_journey
from patronflow.journeys.models import ApprovalRequest
from patronflow.journeys.services import migrate_enrolments
from patronflow.mail.images import refuse_foreign_images
from patronflow.members.models import Library
from patronflow.privacy.audit import Actor


@dataclass(frozen=True)
class Published:
    """What saving did: the install's outcome, and how many members moved onto the new
    version (0 when they finish on theirs, or when no new version was needed)."""

    installed: Installed
    moved: int


@transaction.atomic
def save_definition(
    library: Library,
    definition: dict,
    *,
    actor: Actor,
    move_members: bool,
    today: dt.date | None = None,
) -> Published | ApprovalRequest:
    """Install `definition` for the library (refused with InvalidJourney as the import is);
    when that made a new version and `move_members` is set, move every member still on an
    older version onto it, as `patronflow journey migrate` does: no mail is repeated. Over
    a running journey of a four-eyes library it is asked for instead, as the ApprovalRequest
    returned (journeys/approvals.py). A changed mail showing an image that is not the
    library's own is refused too (mail/images.py): it would leave the image out unsaid."""
    check_images(library, definition)
    journey = library.journeys.filter(key=definition.get("key")).first()
    if journey is not None and version_waits(journey, actor=actor):
        return ask_for_version(journey, definition, actor=actor, move_members=move_members)
    installed = install_journey(library, definition, actor=actor)
    moved = 0
    if move_members and installed.outcome == "new version":
        moved = migrate_enrolments(installed.journey, today or timezone.localdate(), actor=actor)
    return Published(installed, moved)


def check_images(library: Library, definition: dict) -> None:
    """Refuse (InvalidJourney) a definition whose new or changed mail shows an image that
    is not one of the library's: an import, a save, an adopted network template. The
    journeys layer checks the rest but cannot know the mail layer's images."""
    key = definition.get("key")
    journey = library.journeys.filter(key=key).first() if isinstance(key, str) else None
    before = export_definition(journey) if journey is not None else None
    refuse_foreign_images(library, definition, before=before)
