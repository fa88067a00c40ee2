"""The journey editor: a new journey or broadcast (blank, from a preset or as a copy) and a
change to an existing one, saved through the same install as a YAML import
(operations/publishing.py)."""

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from patronflow.choices.queries import lists_of
from patronflow.journeys.definitions import (
    MAX_HOLDOUT_PERCENT,
    InvalidJourney,
    export_definition,
    normalise,
)
from patronflow.journeys.diffs import definition_changes
from patronflow.journeys.models import ApprovalRequest, Enrolment, Journey
from patronflow.members.models import Library
from patronflow.operations.publishing import Published, save_definition
from patronflow.staff import queries
from patronflow.staff.access import scoped, staff_view
from patronflow.staff.holdout_power import HoldoutPower, holdout_power
from patronflow.staff.journey_forms import (
    REVIEW,
    JourneyEditor,
    blank_definition,
    change_lines,
)
from patronflow.staff.journey_presets import PRESETS, preset_definition
from patronflow.staff.views.approvals import asked_for_approval
from patronflow.staff.views.journeys import saved_message, scoped_journey


@staff_view
def studio_start(request: HttpRequest) -> HttpResponse:
    """Where a new journey or broadcast starts: a preset, or a copy of one of the library's."""
    journeys = scoped(request, Journey.objects.all()).order_by("name")
    return render(
        request,
        "staff/studio_start.html",
        {
            "presets": PRESETS.values(),
            "languages": settings.LANGUAGES,
            "journeys": journeys,
        },
    )


@staff_view
def studio_new(request: HttpRequest) -> HttpResponse:
    """A new draft: blank (?kind=broadcast for a broadcast) or from ?preset= in ?language=."""
    preset = request.GET.get("preset")
    language = request.GET.get("language", settings.LANGUAGE_CODE)
    if language not in dict(settings.LANGUAGES):
        raise Http404
    if preset:
        if preset not in PRESETS:
            raise Http404
        initial = preset_definition(preset, language)
        initial["key"] = free_key(request.library, initial["key"])
    else:
        kind = Journey.Kind.BROADCAST if request.GET.get("kind") == "broadcast" else "journey"
        initial = blank_definition(kind, language)
    heading = _("New broadcast") if initial["kind"] == Journey.Kind.BROADCAST else _("New journey")
    return _edit(request, initial=initial, journey=None, heading=heading)


@staff_view
def studio_copy(request: HttpRequest, pk: int) -> HttpResponse:
    """A copy of one of the library's journeys as a new draft, under a key of its own."""
    original = scoped_journey(request, pk)
    initial = export_definition(original)
    initial["key"] = free_key(request.library, f"{original.key}-copy")
    initial["name"] = _("Copy of %(name)s") % {"name": original.name}
    heading = _("Copy of %(name)s") % {"name": original.name}
    return _edit(request, initial=initial, journey=None, heading=heading)


@staff_view
def studio_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The whole journey in one form; saving makes a new version once members are in it."""
    journey = scoped_journey(request, pk)
    if journey.status == Journey.Status.ARCHIVED:
        messages.error(request, _("An archived journey cannot be changed; copy it instead."))
        return redirect("staff:journey", pk=journey.pk)
    if journey.current_version.entry_closed_at is not None:
        # A new version of a broadcast that went out would go out again to whoever joined
        # its audience since.
        messages.error(request, _("This broadcast has gone out; copy it for a new one."))
        return redirect("staff:journey", pk=journey.pk)
    heading = _("Change %(name)s") % {"name": journey.name}
    return _edit(request, initial=export_definition(journey), journey=journey, heading=heading)


def free_key(library: Library, wanted: str) -> str:
    """`wanted`, or with -2, -3, … after it: a key no journey of the library has."""
    taken = set(Journey.objects.filter(library=library).values_list("key", flat=True))
    key, number = wanted, 1
    while key in taken:
        number += 1
        key = f"{wanted}-{number}"
    return key


def _edit(
    request: HttpRequest, *, initial: dict, journey: Journey | None, heading: str
) -> HttpResponse:
    running = 0
    if journey is not None:
        running = journey.enrolments.filter(status=Enrolment.Status.ACTIVE).count()
    editor = JourneyEditor(
        request.POST if request.method == "POST" else None,
        library=request.library,
        initial=initial,
        kind=journey.kind if journey else initial["kind"],
        journey=journey,
        members_on_their_way=running,
    )
    changes = None
    if editor.wants_definition:
        definition = editor.definition()
        if definition is not None and _key_is_free(request, editor, definition):
            if editor.action == REVIEW:
                changes = _review(editor, definition, initial)
            else:
                published = _save(request, editor, definition)
                if isinstance(published, ApprovalRequest):
                    return asked_for_approval(request, published)
                if published is not None:
                    return redirect("staff:journey", pk=published.installed.journey.pk)
    return render(
        request,
        "staff/studio_editor.html",
        {
            "editor": editor,
            "journey": journey,
            "heading": heading,
            "changes": changes,
            "power": _power(editor, journey),
        },
    )


def _power(editor: JourneyEditor, journey: Journey | None) -> HoldoutPower | None:
    """What the holdout share in the form can find out, for a journey that has a past."""
    if journey is None:
        return None
    typed = str(editor.settings_form["holdout_percent"].value() or "")
    percent = journey.current_version.holdout_percent
    if typed.isdigit() and int(typed) <= MAX_HOLDOUT_PERCENT:
        percent = int(typed)
    return holdout_power(journey, percent=percent, today=queries.today())


def _key_is_free(request: HttpRequest, editor: JourneyEditor, definition: dict) -> bool:
    """A new journey must not land on an existing one (the install would make it a version)."""
    if not editor.is_new:
        return True
    if not scoped(request, Journey.objects.filter(key=definition["key"])).exists():
        return True
    editor.add_problem(
        "key",
        _("This library already has a journey with the key %(key)s; choose another.")
        % {"key": definition["key"]},
    )
    return False


def _review(editor: JourneyEditor, definition: dict, initial: dict) -> list[tuple[str, str]] | None:
    """What saving would change, or None when the definition is refused (on its field)."""
    try:
        changes = definition_changes(normalise(initial), normalise(definition))
    except InvalidJourney as problem:
        editor.refuse(problem)
        return None
    segments = dict(editor.library.segments.values_list("key", "name"))
    lists = {mailing_list.key: mailing_list.name_in() for mailing_list in lists_of(editor.library)}
    return change_lines(changes, segments, lists)


def _save(
    request: HttpRequest, editor: JourneyEditor, definition: dict
) -> Published | ApprovalRequest | None:
    try:
        published = save_definition(
            request.library,
            definition,
            actor=request.user,
            move_members=editor.move_members,
            today=queries.today(),
        )
    except InvalidJourney as problem:
        editor.refuse(problem)
        return None
    if isinstance(published, ApprovalRequest):
        return published
    installed = published.installed
    if installed.outcome == "created":
        messages.success(
            request,
            _("%(name)s is saved as a draft; activate it on this page when it is ready.")
            % {"name": installed.journey.name},
        )
    elif published.moved:
        messages.success(
            request,
            ngettext(
                "Saved as version %(number)d; %(count)d member on their way moved onto it.",
                "Saved as version %(number)d; %(count)d members on their way moved onto it.",
                published.moved,
            )
            % {"number": installed.version.number, "count": published.moved},
        )
    else:
        messages.success(request, saved_message(installed))
    return published
