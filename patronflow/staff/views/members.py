"""Looking up one member, and (admins) their export and erasure: every member shown is
written to the audit log."""

import json
import re

from django.contrib import messages
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from patronflow.members.models import Member
from patronflow.operations.erasure import erase_member, export_member
from patronflow.privacy.audit import record
from patronflow.staff import queries
from patronflow.staff.access import get_scoped, staff_view
from patronflow.staff.forms import (
    EraseForm,
    LookupForm,
)


def _operator(request: HttpRequest) -> str:
    return f"staff:{request.user.get_username()}"


@staff_view
def member_lookup(request: HttpRequest) -> HttpResponse:
    form = LookupForm(request.GET or None)
    found = []
    if form.is_valid():
        found = list(queries.find_members(request.library, form.cleaned_data["q"]))
        for member in found:
            record("viewed", operator=_operator(request), library=request.library,
                   external_id=member.external_id)  # fmt: skip
    return render(request, "staff/members.html", {"form": form, "found": found})


@staff_view
def member_detail(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_scoped(request, Member.objects.select_related("reading_profile"), pk=pk)
    record("viewed", operator=_operator(request), library=request.library,
           external_id=member.external_id)  # fmt: skip
    enrolments = member.enrolments.select_related("journey").order_by("-entered_on")
    return render(
        request,
        "staff/member.html",
        {
            "member": member,
            "segment": queries.segment_of(member),
            "enrolments": enrolments,
            "may_exercise_rights": request.staff.is_admin,
        },
    )


@staff_view(admin=True)
@require_POST
def member_export(request: HttpRequest, pk: int) -> HttpResponse:
    """The right of access, for the network admin: everything held about the member as the
    JSON `patronflow member export` writes; operations.erasure logs it. A POST, so that no
    prefetching browser writes an audit entry nobody asked for."""
    member = get_scoped(request, Member.objects.select_related("library"), pk=pk)
    text = json.dumps(
        export_member(member, _operator(request)),
        cls=DjangoJSONEncoder,
        ensure_ascii=False,
        indent=2,
    )
    name = re.sub(r"[^A-Za-z0-9_-]", "_", f"member-{member.library.code}-{member.external_id}")
    response = HttpResponse(text, content_type="application/json; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.json"'
    return response


@staff_view(admin=True)
def member_erase(request: HttpRequest, pk: int) -> HttpResponse:
    """The right to erasure, for the network admin: a page that asks to type the member id,
    then operations.erasure.erase_member (which logs it)."""
    member = get_scoped(request, Member.objects.select_related("library"), pk=pk)
    form = EraseForm(member.external_id, request.POST or None)
    if request.method == "POST" and form.is_valid():
        erase_member(member, _operator(request))
        messages.success(
            request,
            _("Member %(id)s is erased: nothing about them is left, the counts stay.")
            % {"id": member.external_id},
        )
        return redirect("staff:members")
    return render(request, "staff/member_erase.html", {"member": member, "form": form})
