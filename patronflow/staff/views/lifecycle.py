"""What staff do to a journey as a whole: its status (activate or schedule, pause, archive,
cancel a broadcast), its holdout, and how many members it reaches."""

import datetime as dt

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from patronflow.journeys import services as journey_services
from patronflow.journeys.definitions import InvalidJourney
from patronflow.journeys.models import ApprovalRequest, Journey
from patronflow.operations import activation, lifecycle, reach
from patronflow.operations.activation import Missing
from patronflow.staff import queries, services
from patronflow.staff.access import staff_view
from patronflow.staff.forms import HoldoutForm
from patronflow.staff.journey_forms import problem_text
from patronflow.staff.templatetags.staff import status_label
from patronflow.staff.views.approvals import asked_for_approval
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
        messages.error(request, problem_text(problem))
    else:
        if isinstance(installed, ApprovalRequest):
            return asked_for_approval(request, installed)
        messages.success(request, saved_message(installed))
    return redirect("staff:journey", pk=journey.pk)


@staff_view
@require_POST
def journey_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Activate or pause at a click; archiving, which cannot be undone, asks first, and so
    do scheduling a broadcast, an audience of everyone and an activation that is refused
    (the activation page says why)."""
    journey = scoped_journey(request, pk)
    status = request.POST.get("status", "")
    if status == Journey.Status.ARCHIVED:
        return redirect("staff:journey_archive", pk=journey.pk)
    try:
        if status == Journey.Status.ACTIVE:
            if journey.kind == Journey.Kind.BROADCAST:
                return redirect("staff:journey_activate", pk=journey.pk)
            activated = activation.activate(journey, now=timezone.now(), actor=request.user)
            if isinstance(activated, ApprovalRequest):
                return asked_for_approval(request, activated)
        else:
            lifecycle.change_status(journey, status, queries.today(), actor=request.user)
    except (activation.ActivationRefused, activation.ConfirmationNeeded):
        return redirect("staff:journey_activate", pk=journey.pk)
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


# What a refusal to activate says, and where the marketer goes to mend it: (text, links).
REFUSALS = {
    Missing.PRIVACY_LINK: (
        _lazy("The library has no link to its privacy statement, and every mail must carry one."),
        (("staff:settings", _lazy("Add it in the library settings")),),
    ),
    Missing.SENDER: (
        _lazy("The library has no sender address for its mails to leave from."),
        (("staff:settings", _lazy("Add it in the library settings")),),
    ),
    Missing.REACH: (
        _lazy(
            "Nobody is in reach: no member of its audience may be mailed now, or all of "
            "them would be held out."
        ),
        (
            ("staff:journey", _lazy("Change its audience")),
            ("staff:imports", _lazy("Import the members")),
        ),
    ),
}


def refusals(journey: Journey, found: tuple[Missing, ...]) -> list[tuple[str, list]]:
    """Each missing thing in words, with links to where it is mended."""
    said = []
    for reason in found:
        text, links = REFUSALS[reason]
        urls = [
            (reverse(name, args=[journey.pk] if name == "staff:journey" else []), label)
            for name, label in links
        ]
        said.append((text, urls))
    return said


def _activated_message(journey: Journey) -> str:
    if journey.kind == Journey.Kind.BROADCAST:
        return _("%(name)s is scheduled.") % {"name": journey.name}
    return _("%(name)s is now %(status)s.") % {
        "name": journey.name,
        "status": status_label(journey.status),
    }


@staff_view
def journey_activate(request: HttpRequest, pk: int) -> HttpResponse:
    """Switching on (a broadcast: scheduling) on a page that shows first who it reaches and
    when, what is missing, and asks to confirm an audience of everyone."""
    journey = scoped_journey(request, pk)
    if Journey.Status.ACTIVE not in journey_services.allowed_transitions(journey):
        return redirect("staff:journey", pk=journey.pk)
    now = timezone.now()
    if request.method == "POST":
        try:
            activated = activation.activate(journey, now=now, actor=request.user, confirmed=True)
            if isinstance(activated, ApprovalRequest):
                return asked_for_approval(request, activated)
        except activation.ActivationRefused:
            pass  # the page below says what is missing
        except journey_services.LifecycleError as problem:
            messages.error(request, str(problem))
        else:
            messages.success(request, _activated_message(journey))
            return redirect("staff:journey", pk=journey.pk)
    return render(
        request,
        "staff/journey_activate.html",
        {
            **reach_context(journey, now),
            "refusals": refusals(journey, activation.missing(journey, now=now)),
            "everyone": activation.sends_to_everyone(journey),
        },
    )


@staff_view
def journey_reach(request: HttpRequest, pk: int) -> HttpResponse:
    """How many members the journey reaches now and when its mails go: the journey page
    loads it with htmx, or links to it as a page of its own."""
    journey = scoped_journey(request, pk)
    context = reach_context(journey, timezone.now())
    if request.headers.get("HX-Request"):
        return render(request, "staff/_journey_reach.html", context)
    return render(request, "staff/journey_reach.html", context)


def cancelled_message(journey: Journey, cancelled: lifecycle.Cancelled) -> str:
    """What cancelling did, in words."""
    if not cancelled.entered:
        return _(
            "%(name)s is no longer scheduled: nobody was mailed. It is a draft again, to "
            "change and schedule anew."
        ) % {"name": journey.name}
    withdrawn = ngettext(
        "%(count)d mail that had not left yet was withdrawn",
        "%(count)d mails that had not left yet were withdrawn",
        cancelled.withdrawn,
    ) % {"count": cancelled.withdrawn}
    gone = ngettext(
        "%(count)d had already gone out.", "%(count)d had already gone out.", cancelled.gone
    ) % {"count": cancelled.gone}
    return _("%(name)s is cancelled: %(withdrawn)s; %(gone)s") % {
        "name": journey.name,
        "withdrawn": withdrawn,
        "gone": gone,
    }


@staff_view
def broadcast_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancelling a scheduled broadcast asks first, on a page that says what will happen."""
    journey = scoped_journey(request, pk)
    if not may_cancel(journey):
        return redirect("staff:journey", pk=journey.pk)
    if request.method == "POST":
        try:
            cancelled = lifecycle.cancel_broadcast(
                journey, today=queries.today(), actor=request.user
            )
        except journey_services.LifecycleError:
            messages.error(request, _("Its mails have all left: there is nothing to cancel."))
        else:
            messages.success(request, cancelled_message(journey, cancelled))
        return redirect("staff:journey", pk=journey.pk)
    return render(request, "staff/broadcast_cancel.html", reach_context(journey, timezone.now()))


def may_cancel(journey: Journey) -> bool:
    """A scheduled broadcast that has not gone out yet, or has mails still to go."""
    if journey.kind != Journey.Kind.BROADCAST or journey.status not in lifecycle.SCHEDULED:
        return False
    return journey.current_version.entry_closed_at is None or lifecycle.mails_to_come(journey)


def reach_context(journey: Journey, now: dt.datetime) -> dict:
    """What the reach partial shows: the estimate, the library's window and caps in the
    user's words, and whether a broadcast's moment has passed."""
    version = journey.current_version
    library = journey.library
    return {
        "journey": journey,
        "version": version,
        "reach": reach.estimate(journey, now=now),
        "window": library.send_window.describe(get_language() or "nl"),
        "library": library,
        "moment_passed": bool(
            version.send_at and version.send_at < now and version.entry_closed_at is None
        ),
    }
