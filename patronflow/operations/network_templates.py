"""Network templates: a journey or broadcast the network admin builds once, in any library's
editor, and offers to all or chosen libraries. A library adopts it as its own copy (a draft
under a free key, which remembers the template and its version), changes what it likes, and
when the template has a newer version takes it over as a new version of its copy, or leaves
it (no notice again until a newer one).
"""

import datetime as dt

from django.db import transaction
from django.db.models import Q, QuerySet

from patronflow.journeys.definitions import (
    export_definition,
    install_journey,
    normalise,
    with_a_list_of,
)
from patronflow.journeys.models import (
    Adoption,
    ApprovalRequest,
    Journey,
    NetworkTemplate,
    TemplateVersion,
)
from patronflow.members.models import Library
from patronflow.operations.publishing import Published, check_images, save_definition
from patronflow.privacy.audit import Actor, record_change

MAX_KEY = Journey._meta.get_field("key").max_length


def _as_template(journey: Journey) -> dict:
    """The journey's current definition as a template holds it: a draft, whatever the
    source's status (an adopting library activates its copy itself)."""
    return {**export_definition(journey), "status": Journey.Status.DRAFT}


def _free_key(taken: set[str], key: str) -> str:
    """`key`, or `key-2`, `key-3`, … : the first one not taken."""
    number = 1
    candidate = key
    while candidate in taken:
        number += 1
        suffix = f"-{number}"
        candidate = key[: MAX_KEY - len(suffix)] + suffix
    return candidate


@transaction.atomic
def offer_journey(journey: Journey, *, actor: Actor) -> TemplateVersion:
    """Make the journey a network template (version 1), or add its current definition as
    the template's next version when it already is one; the same content adds nothing."""
    template = NetworkTemplate.objects.select_for_update().filter(source=journey).first()
    definition = _as_template(journey)
    if template is None:
        taken = set(NetworkTemplate.objects.values_list("key", flat=True))
        template = NetworkTemplate.objects.create(
            key=_free_key(taken, journey.key),
            name=journey.name,
            kind=journey.kind,
            source=journey,
        )
        latest = None
    else:
        latest = template.latest
        if latest.definition == definition:
            return latest
    number = latest.number + 1 if latest else 1
    version = TemplateVersion.objects.create(
        template=template, number=number, definition=definition
    )
    template.name = journey.name
    template.save(update_fields=["name"])
    record_change(
        f"template {template.key}",
        {"version": (latest.number if latest else None, number)},
        actor=actor,
    )
    return version


@transaction.atomic
def set_offer(
    template: NetworkTemplate, *, to_all: bool, libraries: list[Library], actor: Actor
) -> NetworkTemplate:
    """Offer the template to every library, or to the ones chosen."""
    before = _offered_text(template)
    template.offered_to_all = to_all
    template.save(update_fields=["offered_to_all"])
    template.libraries.set([] if to_all else libraries)
    after = _offered_text(template)
    if before != after:
        record_change(f"template {template.key}", {"offered to": (before, after)}, actor=actor)
    return template


def _offered_text(template: NetworkTemplate) -> str:
    if template.offered_to_all:
        return "all libraries"
    return ", ".join(template.libraries.order_by("code").values_list("code", flat=True)) or "none"


def offered_templates(library: Library) -> QuerySet[NetworkTemplate]:
    """The templates a library may adopt: offered to all, or to it."""
    return (
        NetworkTemplate.objects.filter(versions__isnull=False)
        .filter(Q(offered_to_all=True) | Q(libraries=library))
        .distinct()
    )


@transaction.atomic
def adopt(template: NetworkTemplate, library: Library, *, actor: Actor) -> Adoption:
    """Install the template's latest version in the library as a draft of its own, under
    the template's key or the first free one after it; the copy remembers where it came from."""
    latest = template.latest
    taken = set(library.journeys.values_list("key", flat=True))
    key = _free_key(taken, template.key)
    definition = with_a_list_of(library, {**latest.definition, "key": key})
    check_images(library, definition)  # the images of the library that wrote it: refused
    installed = install_journey(library, definition, actor=actor)
    adoption = Adoption.objects.create(
        template=template, journey=installed.journey, version_number=latest.number
    )
    record_change(
        f"journey {key}",
        {"template": (None, f"{template.key} version {latest.number}")},
        actor=actor,
        library_code=library.code,
    )
    return adoption


def newer_version(adoption: Adoption) -> TemplateVersion | None:
    """The template's latest version when the library has neither taken it over nor left it,
    nor asked to take it over and waits for the approval (offered again if that is declined
    or goes stale)."""
    latest = adoption.template.latest
    if latest.number <= adoption.version_number:
        return None
    if adoption.left_number is not None and latest.number <= adoption.left_number:
        return None
    if waiting_take_over(adoption, latest) is not None:
        return None
    return latest


def template_definition_for(adoption: Adoption, version: TemplateVersion) -> dict:
    """A template version as a definition of the library's copy: its key and status kept."""
    journey = adoption.journey
    definition = {**version.definition, "key": journey.key, "status": journey.status}
    return with_a_list_of(journey.library, definition)


def waiting_take_over(adoption: Adoption, version: TemplateVersion) -> ApprovalRequest | None:
    """The approval request, still waiting, that takes this version over into the copy."""
    definition = normalise(template_definition_for(adoption, version))
    waiting = adoption.journey.approvals.filter(
        state=ApprovalRequest.State.PENDING, change=ApprovalRequest.Change.VERSION
    )
    return next((request for request in waiting if request.definition == definition), None)


def note_approved_take_over(request: ApprovalRequest, *, actor: Actor) -> None:
    """An approved new version of an adopted copy that is a template version's: that version
    is taken over now (operations/approvals.py calls this once the version is installed)."""
    adoption = Adoption.objects.filter(journey=request.journey).select_related("template").first()
    if adoption is None or request.change != ApprovalRequest.Change.VERSION:
        return
    newer = adoption.template.versions.filter(number__gt=adoption.version_number)
    taken = [
        version.number
        for version in newer.order_by("-number")
        if normalise(template_definition_for(adoption, version)) == request.definition
    ]
    if taken:
        _taken_over(adoption, taken[0], actor=actor)


def _taken_over(adoption: Adoption, number: int, *, actor: Actor) -> None:
    before = adoption.version_number
    adoption.version_number = number
    adoption.save(update_fields=["version_number"])
    journey = adoption.journey
    record_change(
        f"journey {journey.key}",
        {f"template {adoption.template.key}": (f"version {before}", f"version {number}")},
        actor=actor,
        library_code=journey.library.code,
    )


@transaction.atomic
def take_over(
    adoption: Adoption,
    version: TemplateVersion,
    *,
    actor: Actor,
    move_members: bool,
    today: dt.date,
) -> Published | ApprovalRequest:
    """Install a template version into the library's copy through the editor's save
    (operations/publishing.py): a new version when members are on their way, who move onto
    it if asked; the library's own changes to the copy are replaced. Over a running copy in a
    four-eyes library the save waits for approval (the request is returned): the version is
    taken over once approved (note_approved_take_over), and offered again if declined."""
    journey = adoption.journey
    saved = save_definition(
        journey.library,
        template_definition_for(adoption, version),
        actor=actor,
        move_members=move_members,
        today=today,
    )
    if isinstance(saved, ApprovalRequest):
        record_change(
            f"journey {journey.key}",
            {"template version asked for": (None, f"version {version.number}")},
            actor=actor,
            library_code=journey.library.code,
        )
    else:
        _taken_over(adoption, version.number, actor=actor)
    return saved


@transaction.atomic
def leave(adoption: Adoption, version: TemplateVersion, *, actor: Actor) -> Adoption:
    """Keep the library's copy as it is: no notice of this version (or an older) again."""
    adoption.left_number = version.number
    adoption.save(update_fields=["left_number"])
    record_change(
        f"journey {adoption.journey.key}",
        {"template version left": (None, f"{adoption.template.key} version {version.number}")},
        actor=actor,
        library_code=adoption.journey.library.code,
    )
    return adoption
