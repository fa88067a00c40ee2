"""The dashboard a marketer or admin lands on, and an admin's choice of library."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from patronflow.members.models import Library
from patronflow.staff import queries
from patronflow.staff.access import SESSION_LIBRARY, scoped, staff_view
from patronflow.webhooks.models import Subscription


@staff_view
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "staff/dashboard.html",
        {
            "cards": queries.dashboard(request.library),
            "warnings": queries.warnings(request.library),
            "loans": queries.loans_of(request.library),
            "libraries": Library.objects.order_by("code") if request.staff.is_admin else [],
            "paused_webhooks": scoped(
                request, Subscription.objects.filter(state=Subscription.State.PAUSED)
            ),
        },
    )


@staff_view(admin=True)
@require_POST
def choose_library(request: HttpRequest) -> HttpResponse:
    library = Library.objects.filter(pk=request.POST.get("library")).first()
    if library is None:
        raise Http404
    request.session[SESSION_LIBRARY] = library.pk
    return redirect("staff:dashboard")
