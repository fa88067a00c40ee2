"""A library's own set-up: its reading tips, imports and settings (segments: segments.py)."""

import tempfile
from pathlib import Path

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from patronflow.members.details import CHANGEABLE
from patronflow.members.import_snapshots import MIN_SHARED_SHARE, SnapshotRefused
from patronflow.members.import_summary import ImportFileError
from patronflow.members.models import Library
from patronflow.operations.import_history import recent_imports
from patronflow.operations.imports import import_and_refresh
from patronflow.operations.libraries import change_library
from patronflow.operations.models import REJECTS_DAYS
from patronflow.profiles import tips
from patronflow.profiles.models import Segment, TipChoice
from patronflow.staff import queries
from patronflow.staff.access import staff_view
from patronflow.staff.comparison_choice import (
    candidates_for,
    choose_comparison_libraries,
    comparison_names,
)
from patronflow.staff.forms import (
    ComparisonLibrariesForm,
    ImportForm,
    LibrarySettingsForm,
    TipChoiceForm,
    TipSearchForm,
)
from patronflow.staff.templatetags.staff import segment_label


@staff_view
def reading_tips(request: HttpRequest) -> HttpResponse:
    """What each segment's mails suggest today, and the titles staff pinned or excluded."""
    library = request.library
    if request.method == "POST":
        form = TipChoiceForm(request.POST)
        if form.is_valid():
            _apply_tip_choice(request, form.cleaned_data)
        return redirect(request.get_full_path())
    search = TipSearchForm(request.GET or None)
    found = tips.find_titles(library, search.cleaned_data["q"]) if search.is_valid() else []
    return render(
        request,
        "staff/tips.html",
        {
            "segments": tips.tips_per_segment(library, queries.today()),
            "excluded": library.tip_choices.filter(action=TipChoice.Action.EXCLUDE),
            "search": search,
            "found": found,
            "segment_choices": [
                ("", _("Every segment")),
                *((segment, segment_label(segment)) for segment in Segment.values),
            ],
        },
    )


def _apply_tip_choice(request: HttpRequest, data: dict) -> None:
    """Only works the catalogue holds can be pinned or excluded (a typo would otherwise
    choose nothing); an undo names the stored choice, however the catalogue spells it now."""
    library = request.library
    if data["action"] == "forget":
        choice = library.tip_choices.filter(pk=data["choice"]).first()
        if choice is None:
            messages.error(request, _("That choice was already undone."))
            return
        tips.forget_choice(choice, actor=request.user)
        messages.success(
            request, _("“%(title)s” is back in its usual place.") % {"title": choice.title}
        )
        return
    try:
        title, author = tips.work_in_catalogue(library, title=data["title"], author=data["author"])
    except tips.UnknownTitle:
        messages.error(
            request, _("“%(title)s” is not in this library's catalogue.") % {"title": data["title"]}
        )
        return
    tips.choose(library, title, author, data["action"], data["segment"], actor=request.user)
    if data["action"] == TipChoice.Action.PIN:
        messages.success(request, _("“%(title)s” is pinned.") % {"title": title})
    else:
        messages.success(request, _("“%(title)s” will not be suggested.") % {"title": title})


@staff_view
def imports(request: HttpRequest) -> HttpResponse:
    summary = None
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        kind = form.cleaned_data["kind"]
        upload = form.cleaned_data["file"]
        with tempfile.TemporaryDirectory(prefix="patronflow-upload-") as folder:
            path = Path(folder) / Path(upload.name).name
            with path.open("wb") as target:
                for chunk in upload.chunks():
                    target.write(chunk)
            try:
                # The screen never forces a snapshot: a refused one goes to the operator.
                summary = import_and_refresh(
                    request.library,
                    kind,
                    path,
                    snapshot=form.cleaned_data["snapshot"],
                    actor=request.user,
                ).summary
            except SnapshotRefused as refusal:
                form.add_error("snapshot", _snapshot_refused(refusal))
            except ImportFileError as problem:
                form.add_error("file", str(problem).replace(str(path), upload.name))
            else:
                summary.source = upload.name
    return render(
        request,
        "staff/imports.html",
        {
            "form": form,
            "summary": summary,
            "history": recent_imports(request.library),
            "rejects_days": REJECTS_DAYS,
        },
    )


def _snapshot_refused(refusal: SnapshotRefused) -> str:
    """The refusal's figures in the user's language and number format."""
    figures = refusal.figures
    return _(
        "Not imported: as the complete membership, this file would end %(ending)s of the "
        "library's %(running)s running memberships (%(ended_share)s; at most %(max_ended)s may "
        "end), and %(shared)s of its %(listed)s member ids are members of this library "
        "(%(shared_share)s; at least %(min_shared)s should be). Is it this library's complete "
        "export? Import it without “The complete membership” to add and update members without "
        "ending any, or ask the operator to import it with patronflow import --snapshot "
        "--force-snapshot."
    ) % {
        "ending": number_format(figures.ending, force_grouping=True),
        "running": number_format(figures.running, force_grouping=True),
        "ended_share": _share(figures.ended_share),
        "max_ended": _share(refusal.max_ended),
        "shared": number_format(figures.shared, force_grouping=True),
        "listed": number_format(figures.listed, force_grouping=True),
        "shared_share": _share(figures.shared_share),
        "min_shared": _share(MIN_SHARED_SHARE),
    }


def _share(value: float) -> str:
    """A share as a percentage in the user's number format: 10%, 12,5%."""
    percent = round(value * 100, 1)
    return f"{number_format(percent, decimal_pos=0 if percent.is_integer() else 1)}%"


@staff_view
def library_settings(request: HttpRequest) -> HttpResponse:
    library = request.library
    form = LibrarySettingsForm(
        request.POST or None,
        instance=Library.objects.get(pk=library.pk),
        may_switch_off_four_eyes=request.staff.is_admin,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        changes = {n: data[n] for n in CHANGEABLE if n in data}
        try:
            change_library(library, actor=request.user, **changes)
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            messages.success(request, _("The library settings are saved."))
            return redirect("staff:settings")
    return render(
        request,
        "staff/settings.html",
        {"form": form, "comparison_names": comparison_names(library)},
    )


@staff_view(admin=True)
def comparison_libraries(request: HttpRequest) -> HttpResponse:
    """The network admin picks the libraries this library's loans, borrowers and visits are
    compared with on its results page; libraries that run none of its journeys first."""
    library = request.library
    form = ComparisonLibrariesForm(
        request.POST or None,
        library=library,
        initial={"libraries": list(library.comparison_libraries.all())},
    )
    if request.method == "POST" and form.is_valid():
        choose_comparison_libraries(
            library, chosen=list(form.cleaned_data["libraries"]), actor=request.user
        )
        messages.success(request, _("The comparison libraries are saved."))
        return redirect("staff:comparison_libraries")
    chosen = {str(pk) for pk in form["libraries"].value() or []}
    return render(
        request,
        "staff/comparison_libraries.html",
        {"form": form, "candidates": candidates_for(library), "chosen": chosen},
    )
