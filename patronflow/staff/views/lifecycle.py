"""What staff do to a journey as a whole: its status (activate, pause, archive) and its holdout."""

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
from patronflow.staff.access import staff_view
from patronflow.staff.forms import HoldoutForm
from patronflow.staff.templatetags.staff import status_label
from patronflow.staff.views.journeys import may_archive, saved_message, scoped_journey


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
    if not may_archive(journey):
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
