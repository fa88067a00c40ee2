"""Staff accounts (admins), and the second factor of a login."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from patronflow.staff import queries, services
from patronflow.staff.access import staff_view
from patronflow.staff.forms import (
    StaffAccountForm,
    TokenForm,
)


@staff_view(admin=True)
def accounts(request: HttpRequest) -> HttpResponse:
    form = StaffAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.add_staff(
                data["username"], email=data["email"], password=data["password"],
                role=data["role"], library=data["library"], actor=request.user,
            )  # fmt: skip
        except services.StaffError as problem:
            form.add_error(None, str(problem))
        else:
            messages.success(request, _("%(username)s can log in now.") % data)
            return redirect("staff:accounts")
    return render(request, "staff/accounts.html", {"form": form, "staff": queries.staff_accounts()})


@staff_view(admin=True)
@require_POST
def remove_account(request: HttpRequest, pk: int) -> HttpResponse:
    user = get_user_model().objects.filter(pk=pk, staff_profile__isnull=False).first()
    if user is None:
        raise Http404
    if user == request.user:
        raise PermissionDenied
    services.remove_staff(user, actor=request.user)
    messages.success(request, _("%(username)s is removed.") % {"username": user.username})
    return redirect("staff:accounts")


WRONG_CODE = gettext_lazy("That code is not right, or no longer: type the one your app shows now.")


def verify(request: HttpRequest) -> HttpResponse:
    """The second step of a login for users who turned the second factor on (staff_view
    sends them here until their session is verified)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), "staff:login")
    target = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("staff:dashboard")
    if request.user.is_verified() or not services.has_second_factor(request.user):
        return redirect(target)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = services.verified_device(request.user, form.cleaned_data["token"])
        if device is not None:
            otp_login(request, device)
            return redirect(target)
        form.add_error("token", WRONG_CODE)
    return render(request, "staff/verify.html", {"form": form, "next": target})


@staff_view
def second_factor(request: HttpRequest) -> HttpResponse:
    """Turn the second factor on (scan, then confirm with a code) or off (with a code)."""
    user = request.user
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["token"]
        if request.POST.get("action") == "stop":
            if services.stop_second_factor(user, token):
                messages.success(request, _("The second factor is off."))
                return redirect("staff:second_factor")
        else:
            device = services.confirm_second_factor(user, token)
            if device is not None:
                otp_login(request, device)
                messages.success(
                    request, _("The second factor is on: from now on, logging in asks a code.")
                )
                return redirect("staff:second_factor")
        form.add_error("token", WRONG_CODE)
    enabled = services.has_second_factor(user)
    return render(
        request,
        "staff/second_factor.html",
        {
            "form": form,
            "enabled": enabled,
            "setup": None if enabled else services.start_second_factor(user),
        },
    )
