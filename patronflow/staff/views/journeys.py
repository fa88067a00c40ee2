"""The journeys of a library: the list and one journey's page."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from patronflow.journeys import services as journey_services
from patronflow.journeys.definitions import MAX_HOLDOUT_PERCENT
from patronflow.journeys.diffs import version_changes
from patronflow.journeys.models import Journey
from patronflow.staff import queries
from patronflow.staff.access import get_scoped, staff_view
from patronflow.staff.forms import (
    HoldoutForm,
)
from patronflow.staff.holdout_power import holdout_power
from patronflow.staff.journey_forms import EXIT_LABELS, change_lines, describe_audience


@staff_view
def journey_list(request: HttpRequest) -> HttpResponse:
    return render(request, "staff/journeys.html", {"cards": queries.dashboard(request.library)})


DEFAULT_SEGMENT = "default"  # the fallback variant (segment '') in URLs


def scoped_journey(request: HttpRequest, pk: int) -> Journey:
    return get_scoped(request, Journey.objects.select_related("library"), pk=pk)


@staff_view
def journey_detail(request: HttpRequest, pk: int) -> HttpResponse:
    journey = scoped_journey(request, pk)
    version = journey.current_version
    failures = queries.template_failures(journey)
    comments = queries.comment_counts(journey)
    segments = dict(request.library.segments.values_list("key", "name"))
    steps = [
        (
            step,
            failures.get(step.position),
            [(v, comments.get((step.position, v.segment), 0)) for v in step.variants.all()],
        )
        for step in queries.steps_of(journey)
    ]
    return render(
        request,
        "staff/journey.html",
        {
            "journey": journey,
            "version": version,
            "steps": steps,
            # The latest version's changes only: an older one's are a link away
            # (journey_version_changes), not two exported definitions each on every load.
            "versions": [
                (v, change_lines(version_changes(journey, v.number), segments) if i == 0 else [])
                for i, v in enumerate(journey.versions.order_by("-number"))
            ],
            "entry_text": describe_audience(version.entry, segments),
            "exit_labels": [EXIT_LABELS.get(reason, reason) for reason in version.exit_when],
            "actions": lifecycle_actions(journey),
            "may_archive": may_archive(journey),
            "default_segment": DEFAULT_SEGMENT,
            "holdout_form": HoldoutForm(initial={"holdout_percent": version.holdout_percent}),
            "power": holdout_power(
                journey,
                percent=_percent_shown(request, version.holdout_percent),
                today=queries.today(),
            ),
        },
    )


def _percent_shown(request: HttpRequest, saved: int) -> int:
    """The holdout share the power hint is for: one being typed (?holdout_percent=, which
    the page asks for as the field changes), else the saved one."""
    typed = request.GET.get("holdout_percent", "")
    if typed.isdigit() and int(typed) <= MAX_HOLDOUT_PERCENT:
        return int(typed)
    return saved


@staff_view
def journey_version_changes(request: HttpRequest, pk: int) -> HttpResponse:
    """What one version (?version=N, else the current one) changed against the one before,
    asked for from the journey page's list of versions."""
    journey = scoped_journey(request, pk)
    number = request.GET.get("version", str(journey.current_version.number))
    version = journey.versions.filter(number=number).first() if number.isdigit() else None
    if version is None:
        raise Http404(number)
    segments = dict(request.library.segments.values_list("key", "name"))
    changes = change_lines(version_changes(journey, version.number), segments)
    return render(
        request,
        "staff/journey_version_changes.html",
        {"journey": journey, "version": version, "changes": changes},
    )


def lifecycle_actions(journey: Journey) -> list[tuple[str, str]]:
    """The lifecycle buttons that make sense now (the service still decides); archiving is
    a link to its confirmation page."""
    labels = {"active": _("Activate"), "paused": _("Pause")}
    return [
        (status, labels[status])
        for status in journey_services.allowed_transitions(journey)
        if status != Journey.Status.ARCHIVED
    ]


def may_archive(journey: Journey) -> bool:
    return Journey.Status.ARCHIVED in journey_services.allowed_transitions(journey)


def saved_message(installed) -> str:
    number = installed.version.number
    if installed.outcome == "new version":
        return _(
            "Saved as version %(number)d. Members already on their way finish on version "
            "%(previous)d; new members get this one."
        ) % {"number": number, "previous": number - 1}
    if installed.outcome == "unchanged":
        return _("Nothing changed.")
    return _("Saved (version %(number)d: nobody has entered it yet).") % {"number": number}
