"""Saved segments: the list with their sizes, creating and editing one with the audience
builder, and the builder's live count (which other screens' builders use too)."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from patronflow.journeys import audience_counts
from patronflow.journeys.definitions import InvalidJourney, save_segment
from patronflow.journeys.models import SavedSegment
from patronflow.staff import queries
from patronflow.staff.access import get_scoped, scoped, staff_view
from patronflow.staff.audience_builder import AudienceBuilder
from patronflow.staff.forms import SegmentForm
from patronflow.staff.journey_forms import problem_text

PREFIX = "audience"


@staff_view
def segment_list(request: HttpRequest) -> HttpResponse:
    """Each saved segment with its size and mailable members today: one query each."""
    today = queries.today()
    rows = [
        (segment, audience_counts.audience_count(request.library, segment.conditions, today))
        for segment in scoped(request, SavedSegment.objects).order_by("name")
    ]
    return render(request, "staff/segments.html", {"rows": rows})


@staff_view
def segment_new(request: HttpRequest) -> HttpResponse:
    return _edit(request, None)


@staff_view
def segment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _edit(request, get_scoped(request, SavedSegment.objects, pk=pk))


def _edit(request: HttpRequest, segment: SavedSegment | None) -> HttpResponse:
    """One screen for a new segment and a changed one; the key stays what it was."""
    data = request.POST if request.method == "POST" else None
    initial = {"name": segment.name, "key": segment.key} if segment else {}
    building = data is not None and bool(data.get(f"{PREFIX}-action"))
    if building:
        # A builder's button: the page comes back as typed, without "this field is required".
        form = SegmentForm(initial={**initial, **{n: data.get(n, "") for n in ("name", "key")}})
    else:
        form = SegmentForm(data, initial=initial)
    if segment is not None:
        form.fields["key"].disabled = True
        form.initial["key"] = segment.key
    builder = AudienceBuilder(
        data=data,
        prefix=PREFIX,
        initial=segment.conditions if segment else {},
        library=request.library,
        allow_saved_segment=False,
    )
    if data is not None and not builder.action_requested:
        form_ok = form.is_valid()
        if builder.is_valid() and form_ok:
            key = form.cleaned_data["key"]
            if segment is None and scoped(request, SavedSegment.objects).filter(key=key).exists():
                form.add_error("key", _("This library already has a segment with this key."))
            else:
                return _save(request, form, builder, segment)
    return render(
        request,
        "staff/segment_edit.html",
        {"form": form, "builder": builder, "segment": segment},
    )


def _save(
    request: HttpRequest, form: SegmentForm, builder: AudienceBuilder, segment: SavedSegment | None
) -> HttpResponse:
    try:
        saved = save_segment(
            request.library,
            form.cleaned_data["key"],
            form.cleaned_data["name"],
            builder.conditions,
            actor=request.user,
        )
    except InvalidJourney as problem:
        form.add_error(None, problem_text(problem))
        return render(
            request,
            "staff/segment_edit.html",
            {"form": form, "builder": builder, "segment": segment},
        )
    messages.success(request, _("The segment “%(name)s” is saved.") % {"name": saved.name})
    return redirect("staff:segments")


@staff_view
@require_POST
def audience_count(request: HttpRequest) -> HttpResponse:
    """The count box of an audience builder, from its fields under the posted prefix."""
    builder = AudienceBuilder(
        data=request.POST, prefix=request.POST.get("prefix", PREFIX), library=request.library
    )
    return render(request, "staff/_audience_count.html", {"builder": builder})
