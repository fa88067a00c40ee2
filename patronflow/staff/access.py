"""Who sees what: every staff view finds its library and its rows through these helpers.

A marketer's library is fixed by the profile; a network admin picks one (kept in the session).
Rows of another library are simply not found (404), so ids from elsewhere reveal nothing.
"""

from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import urlencode

from patronflow.members.models import Library
from patronflow.staff.models import StaffProfile
from patronflow.staff.services import has_second_factor

SESSION_LIBRARY = "staff_library"
M = TypeVar("M", bound=Model)


def profile_of(request: HttpRequest) -> StaffProfile | None:
    if not request.user.is_authenticated:
        return None
    return StaffProfile.objects.select_related("library").filter(user=request.user).first()


def current_library(request: HttpRequest) -> Library | None:
    """The library the request works on: the marketer's own, or the admin's choice."""
    profile = request.staff
    if not profile.is_admin:
        return profile.library
    chosen = request.session.get(SESSION_LIBRARY)
    libraries = Library.objects.order_by("code")
    return libraries.filter(pk=chosen).first() or libraries.first()


def scoped(request: HttpRequest, queryset: QuerySet[M], field: str = "library") -> QuerySet[M]:
    """The rows of `queryset` that belong to the request's library (`field` leads there)."""
    return queryset.filter(**{field: request.library})


def get_scoped(
    request: HttpRequest, queryset: QuerySet[M], field: str = "library", **lookup: object
) -> M:
    return get_object_or_404(scoped(request, queryset, field), **lookup)


def staff_view(view: Callable | None = None, *, admin: bool = False) -> Callable:
    """Login required, the second factor too when the user has turned it on, a staff
    profile required (403 otherwise), and `request.staff` and `request.library` set for the
    view."""

    def decorate(function: Callable) -> Callable:
        @wraps(function)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), "staff:login")
            if not request.user.is_verified() and has_second_factor(request.user):
                query = urlencode({"next": request.get_full_path()})
                return redirect(f"{reverse('staff:verify')}?{query}")
            profile = profile_of(request)
            if profile is None or (admin and not profile.is_admin):
                raise PermissionDenied
            request.staff = profile
            request.library = current_library(request)
            if request.library is None and not admin:
                raise PermissionDenied
            return function(request, *args, **kwargs)

        return wrapper

    return decorate(view) if view is not None else decorate
