"""Network templates on screen: the network admin offers a journey built in any library and
says to whom; a library adopts an offered template as its own copy, and takes over or leaves
a newer version of it, having seen what changed."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from patronflow.journeys.definitions import InvalidJourney, export_definition
from patronflow.journeys.diffs import definition_changes
from patronflow.journeys.models import Adoption, ApprovalRequest, NetworkTemplate
from patronflow.operations import network_templates as service
from patronflow.staff import queries
from patronflow.staff.access import staff_view
from patronflow.staff.journey_forms import problem_text
from patronflow.staff.review_forms import OfferForm, TakeOverForm
from patronflow.staff.views.approvals import asked_for_approval
from patronflow.staff.views.journeys import saved_message, scoped_journey


def visible_templates(request: HttpRequest) -> QuerySet[NetworkTemplate]:
    """All templates for the network admin; a library's marketer only those offered to it."""
    if request.staff.is_admin:
        return NetworkTemplate.objects.filter(versions__isnull=False).distinct()
    return service.offered_templates(request.library)


@staff_view
def template_list(request: HttpRequest) -> HttpResponse:
    templates = visible_templates(request).prefetch_related("versions", "libraries")
    adopted = dict(
        Adoption.objects.filter(journey__library=request.library).values_list(
            "template_id", "journey_id"
        )
    )
    return render(
        request,
        "staff/templates.html",
        {"templates": [(t, t.latest, adopted.get(t.pk)) for t in templates]},
    )


@staff_view
def template_detail(request: HttpRequest, pk: int) -> HttpResponse:
    template = get_object_or_404(visible_templates(request), pk=pk)
    form = None
    if request.staff.is_admin:
        initial = {"to_all": "yes" if template.offered_to_all else "no"}
        form = OfferForm(
            request.POST or None, initial=initial | {"libraries": template.libraries.all()}
        )
        if request.method == "POST" and form.is_valid():
            service.set_offer(
                template,
                to_all=form.cleaned_data["to_all"],
                libraries=list(form.cleaned_data["libraries"]),
                actor=request.user,
            )
            messages.success(request, _("Saved: to whom the template is offered."))
            return redirect("staff:template", pk=template.pk)
    elif request.method == "POST":
        raise PermissionDenied
    latest = template.latest
    return render(
        request,
        "staff/template.html",
        {
            "template": template,
            "latest": latest,
            "versions": template.versions.order_by("-number"),
            "form": form,
            "adopted": Adoption.objects.filter(
                template=template, journey__library=request.library
            ).select_related("journey"),
        },
    )


@staff_view
@require_POST
def template_adopt(request: HttpRequest, pk: int) -> HttpResponse:
    template = get_object_or_404(visible_templates(request), pk=pk)
    try:
        adoption = service.adopt(template, request.library, actor=request.user)
    except InvalidJourney as problem:
        messages.error(request, _("Not adopted: %(problem)s") % {"problem": problem_text(problem)})
        return redirect("staff:template", pk=template.pk)
    messages.success(
        request,
        _("%(name)s is now a draft of your library: change what you like, then activate it.")
        % {"name": adoption.journey.name},
    )
    return redirect("staff:journey", pk=adoption.journey.pk)


@staff_view(admin=True)
@require_POST
def journey_offer(request: HttpRequest, pk: int) -> HttpResponse:
    """Offer the journey as a network template, or its current definition as the template's
    next version."""
    journey = scoped_journey(request, pk)
    version = service.offer_journey(journey, actor=request.user)
    messages.success(
        request,
        _("Network template %(name)s, version %(number)d.")
        % {"name": version.template.name, "number": version.number},
    )
    return redirect("staff:template", pk=version.template.pk)


@staff_view
def journey_template(request: HttpRequest, pk: int) -> HttpResponse:
    """A newer version of the template a library's journey was adopted from: what changed in
    the template, what taking it over changes in the journey; take over, or leave."""
    journey = scoped_journey(request, pk)
    adoption = get_object_or_404(Adoption.objects.select_related("template"), journey=journey)
    newer = service.newer_version(adoption)
    form = TakeOverForm(request.POST or None)
    if request.method == "POST" and newer is not None:
        if request.POST.get("choice") == "leave":
            service.leave(adoption, newer, actor=request.user)
            messages.success(
                request, _("Left: you will hear of the template again at its next version.")
            )
            return redirect("staff:journey", pk=journey.pk)
        if form.is_valid():
            return _take_over(request, adoption, newer, form.cleaned_data["move_members"])
    had = adoption.template.versions.filter(number=adoption.version_number).first()
    latest = adoption.template.latest
    waiting = service.waiting_take_over(adoption, latest) if newer is None else None
    return render(
        request,
        "staff/journey_template.html",
        {
            "journey": journey,
            "adoption": adoption,
            "newer": newer,
            "template_changes": (
                definition_changes(had.definition, newer.definition) if newer and had else []
            ),
            "journey_changes": (
                definition_changes(
                    export_definition(journey), service.template_definition_for(adoption, newer)
                )
                if newer
                else []
            ),
            "form": form,
            "waiting": waiting,
            "waiting_number": latest.number,
        },
    )


def _take_over(request: HttpRequest, adoption: Adoption, newer, move_members: bool):
    journey = adoption.journey
    try:
        saved = service.take_over(
            adoption,
            newer,
            actor=request.user,
            move_members=move_members,
            today=queries.today(),
        )
    except InvalidJourney as problem:
        text = problem_text(problem)
        messages.error(request, _("Not taken over: %(problem)s") % {"problem": text})
        return redirect("staff:journey_template", pk=journey.pk)
    if isinstance(saved, ApprovalRequest):
        return asked_for_approval(request, saved)
    messages.success(request, saved_message(saved.installed))
    return redirect("staff:journey", pk=journey.pk)
