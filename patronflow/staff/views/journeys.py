"""The journeys of a library: the list, one journey's page, its holdout and its status."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from patronflow.journeys import services as journey_services
from patronflow.journeys.definitions import InvalidJourney
from patronflow.journeys.models import Journey
from patronflow.operations import lifecycle
from patronflow.staff import queries, services
from patronflow.staff.access import get_scoped, staff_view
from patronflow.staff.forms import (
    HoldoutForm,
)
from patronflow.staff.templatetags.staff import status_label


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
            "versions": journey.versions.order_by("-number"),
            "actions": _actions(journey),
            "may_archive": _may_archive(journey),
            "default_segment": DEFAULT_SEGMENT,
            "holdout_form": HoldoutForm(initial={"holdout_percent": version.holdout_percent}),
        },
    )


@staff_view
@require_POST
def journey_holdout(request: HttpRequest, pk: int) -> HttpResponse:
    journey = scoped_journey(request, pk)
    form = HoldoutForm(request.POST)
    if not form.is_valid():
        for problems in form.errors.values():
            messages.error(request, " ".join(problems))
        return redirect("staff:journey", pk=journey.pk)
    try:
        installed = services.change_holdout(
            journey, form.cleaned_data["holdout_percent"], actor=request.user
        )
    except InvalidJourney as problem:
        messages.error(request, str(problem))
    else:
        messages.success(request, saved_message(installed))
    return redirect("staff:journey", pk=journey.pk)


def _actions(journey: Journey) -> list[tuple[str, str]]:
    """The lifecycle buttons that make sense now (the service still decides); archiving is
    a link to its confirmation page."""
    labels = {"active": _("Activate"), "paused": _("Pause")}
    return [
        (status, labels[status])
        for status in journey_services.allowed_transitions(journey)
        if status != Journey.Status.ARCHIVED
    ]


def _may_archive(journey: Journey) -> bool:
    return Journey.Status.ARCHIVED in journey_services.allowed_transitions(journey)


@staff_view
@require_POST
def journey_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Activate or pause at a click; archiving, which cannot be undone, asks first."""
    journey = scoped_journey(request, pk)
    if request.POST.get("status") == Journey.Status.ARCHIVED:
        return redirect("staff:journey_archive", pk=journey.pk)
    try:
        lifecycle.change_status(
            journey, request.POST.get("status", ""), queries.today(), actor=request.user
        )
    except (journey_services.LifecycleError, ValueError) as problem:
        messages.error(request, str(problem))
    else:
        messages.success(
            request,
            _("%(name)s is now %(status)s.")
            % {"name": journey.name, "status": status_label(journey.status)},
        )
    return redirect("staff:journey", pk=journey.pk)


@staff_view
def journey_archive(request: HttpRequest, pk: int) -> HttpResponse:
    """Archiving ends a journey for good (its members leave it, it cannot be activated
    again): a page says so, and only its button archives."""
    journey = scoped_journey(request, pk)
    if not _may_archive(journey):
        return redirect("staff:journey", pk=journey.pk)
    if request.method == "POST":
        lifecycle.change_status(
            journey, Journey.Status.ARCHIVED, queries.today(), actor=request.user
        )
        messages.success(
            request,
            _("%(name)s is now %(status)s.")
            % {"name": journey.name, "status": status_label(journey.status)},
        )
        return redirect("staff:journey", pk=journey.pk)
    return render(request, "staff/journey_archive.html", {"journey": journey})


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
