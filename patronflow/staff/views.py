"""The staff screens. Thin: each finds its rows through access.py (scoped to the library)
and calls the apps' services and queries."""

import json
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from patronflow.journeys import services as journey_services
from patronflow.journeys.definitions import InvalidJourney
from patronflow.journeys.models import Journey
from patronflow.journeys.queries import segment_sizes
from patronflow.mail.rendering import ALLOWED_TAGS, RenderedMail, stripped_from
from patronflow.members.details import CHANGEABLE
from patronflow.members.import_snapshots import MIN_SHARED_SHARE, SnapshotRefused
from patronflow.members.import_summary import ImportFileError
from patronflow.members.models import Library, Member
from patronflow.operations import lifecycle
from patronflow.operations.erasure import erase_member, export_member
from patronflow.operations.imports import import_and_refresh
from patronflow.operations.libraries import change_library
from patronflow.privacy.audit import record
from patronflow.profiles import tips
from patronflow.profiles.models import Segment, TipChoice
from patronflow.reports.suppression import SMALL_CELL
from patronflow.staff import queries, report_page, services
from patronflow.staff.access import SESSION_LIBRARY, get_scoped, staff_view
from patronflow.staff.forms import (
    EraseForm,
    HoldoutForm,
    ImportForm,
    LibrarySettingsForm,
    LookupForm,
    MailForm,
    PreviewForm,
    StaffAccountForm,
    TipChoiceForm,
    TipSearchForm,
    TokenForm,
    body_too_long,
)
from patronflow.staff.templatetags.staff import segment_label, status_label
from patronflow.templating.sandbox import TemplateProblem

DEFAULT_SEGMENT = "default"  # the fallback variant (segment '') in URLs
PREVIEW_SESSION = "staff_preview"
# A preview shows the mail with its own inline styles, inside our page and nothing else. It
# runs no script; same-origin only so that fit-frames.js can make the frame as tall as the mail.
PREVIEW_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; "
    "frame-ancestors 'self'; sandbox allow-same-origin"
)


def _operator(request: HttpRequest) -> str:
    return f"staff:{request.user.get_username()}"


@staff_view
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "staff/dashboard.html",
        {
            "cards": queries.dashboard(request.library),
            "warnings": queries.warnings(request.library),
            "libraries": Library.objects.order_by("code") if request.staff.is_admin else [],
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


@staff_view
def journey_list(request: HttpRequest) -> HttpResponse:
    return render(request, "staff/journeys.html", {"cards": queries.dashboard(request.library)})


def _journey(request: HttpRequest, pk: int) -> Journey:
    return get_scoped(request, Journey.objects.select_related("library"), pk=pk)


@staff_view
def journey_detail(request: HttpRequest, pk: int) -> HttpResponse:
    journey = _journey(request, pk)
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
    journey = _journey(request, pk)
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
        messages.success(request, _saved_message(installed))
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
    journey = _journey(request, pk)
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
    journey = _journey(request, pk)
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


def _segment(segment: str) -> str:
    if segment == DEFAULT_SEGMENT:
        return ""
    if segment not in Segment.values:
        raise Http404
    return segment


def _draft(form: MailForm) -> services.MailDraft:
    data = form.cleaned_data
    return services.MailDraft(
        subject=data["subject"],
        preheader=data["preheader"],
        body=data["body"],
        with_reading_tips=data["with_reading_tips"],
    )


def _oversized(request: HttpRequest) -> bool:
    """A post larger than Django reads (DATA_UPLOAD_MAX_MEMORY_SIZE): reading its form would
    fail. Only a mail's body can make an editor's post that large."""
    if request.method != "POST":
        return False
    return int(request.META.get("CONTENT_LENGTH") or 0) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def _mail_form_view(view: Callable) -> Callable:
    """The mail editor's posts (save, preview, test) carry a body a marketer may have pasted
    anything into. The CSRF middleware reads a post's form first, and one too large to read
    would end there as a bare 400. So these views check CSRF themselves, after the size: an
    oversized post reaches the view unread, which answers it on the body field and changes
    nothing (so it needs no token); every other post is checked as the middleware would."""
    protected = csrf_protect(view)

    @wraps(view)
    def checked(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if _oversized(request):
            return view(request, *args, **kwargs)
        return protected(request, *args, **kwargs)

    return csrf_exempt(checked)


@staff_view
@_mail_form_view
def mail_editor(request: HttpRequest, pk: int, position: int, segment: str) -> HttpResponse:
    journey = _journey(request, pk)
    variant = queries.variant_of(journey, position, _segment(segment))
    if variant is None:
        raise Http404
    saved = {
        "subject": variant.subject,
        "preheader": variant.preheader,
        "body": variant.body,
        "with_reading_tips": variant.with_reading_tips,
    }
    if _oversized(request):
        form = MailForm(saved)
        form.is_valid()
        unsaved = _("Nothing is saved: the field shows the saved text again.")
        form.add_error("body", f"{body_too_long()} {unsaved}")
    elif request.method == "POST":
        form = MailForm(request.POST)
        if form.is_valid():
            try:
                installed = services.save_variant(
                    journey, position, variant.segment, _draft(form), actor=request.user
                )
            except InvalidJourney as problem:
                form.add_error(_field_of(problem, form), _problem_text(problem))
            else:
                messages.success(request, _saved_message(installed))
                return redirect(request.path)
    else:
        form = MailForm(initial=saved)
    body = form.cleaned_data.get("body") if form.is_bound else variant.body
    return render(
        request,
        "staff/mail_editor.html",
        {
            "journey": journey,
            "variant": variant,
            "step": variant.step,
            "segment": segment,
            "form": form,
            "field_notes": [("body", _stripped_note(body))] if body else [],
            "samples": queries.sample_members(request.library),
        },
    )


def _saved_message(installed) -> str:
    number = installed.version.number
    if installed.outcome == "new version":
        return _(
            "Saved as version %(number)d. Members already on their way finish on version "
            "%(previous)d; new members get this one."
        ) % {"number": number, "previous": number - 1}
    if installed.outcome == "unchanged":
        return _("Nothing changed.")
    return _("Saved (version %(number)d: nobody has entered it yet).") % {"number": number}


def _field_of(problem: InvalidJourney, form: MailForm) -> str | None:
    """The form field a refused save is about: the text whose template failed."""
    cause = problem.__cause__
    if isinstance(cause, TemplateProblem) and cause.field in form.fields:
        return cause.field
    return None


def _problem_text(problem: InvalidJourney) -> str:
    """A template's problem as such (the field shows where); any other refusal whole."""
    cause = problem.__cause__
    return str(cause) if isinstance(cause, TemplateProblem) else str(problem)


MAIL_FIELDS = ("subject", "preheader", "body")  # the staff texts, in a MailForm


@dataclass
class _Preview:
    """The posted draft rendered as the chosen member (or a made-up one), or what stands in
    its way: problems, each under the field (subject, preheader, body) it is in, or '' when
    in none; and notes on fields (what the sanitiser leaves out of the body)."""

    member: Member | None = None
    rendered: RenderedMail | None = None
    problems: dict[str, str] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    made_up: bool = False

    def context(self, form: PreviewForm) -> dict:
        """What the preview and test fragments show: the problems in the preview or test area
        (named by their field), and again, out of band, on the field itself, with its note."""
        named = [
            f"{form.fields[name].label}, {problem}" if name else problem
            for name, problem in self.problems.items()
        ]
        return {
            "member": self.member,
            "made_up": self.made_up,
            "rendered": self.rendered,
            "problem": " ".join(named),
            "field_problems": [
                (name, self.problems.get(name, ""), self.notes.get(name, ""))
                for name in MAIL_FIELDS
            ],
        }


def _preview(
    request: HttpRequest, pk: int, position: int, segment: str
) -> tuple[PreviewForm, _Preview]:
    """(form, _Preview) for the posted draft. Rendering keeps to the render budget
    (templating/sandbox.py), so no preview holds a server thread longer than its time limit."""
    journey = _journey(request, pk)
    if queries.variant_of(journey, position, _segment(segment)) is None:
        raise Http404
    if _oversized(request):
        return PreviewForm(), _Preview(problems={"body": body_too_long()})
    form = PreviewForm(request.POST)
    if not form.is_valid():
        return form, _Preview(problems={name: errors[0] for name, errors in form.errors.items()})
    made_up = form.cleaned_data["member"] is None
    if made_up:
        member = services.made_up_member(request.library)
    else:
        member = get_scoped(
            request,
            Member.objects.select_related("reading_profile"),
            pk=form.cleaned_data["member"],
        )
    notes = {"body": _stripped_note(form.cleaned_data["body"])}
    try:
        rendered = services.render_preview(
            request.library,
            member,
            queries.segment_of(member),
            _draft(form),
            queries.today(),
            language=journey.current_version.language,
        )
    except TemplateProblem as problem:
        return form, _Preview(member, problems={problem.field: str(problem)}, notes=notes)
    return form, _Preview(member, rendered, notes=notes, made_up=made_up)


def _stripped_note(body: str) -> str:
    """What the sanitiser will leave out of a body when the mail is sent, in the marketer's
    words; '' when nothing. Saving is not refused for it: the mail is safe either way."""
    stripped = stripped_from(body)
    if not stripped:
        return ""
    parts = []
    if stripped.tags:
        tags = ", ".join(f"<{tag}>" for tag in stripped.tags)
        parts.append(_("the tags %(tags)s") % {"tags": tags})
    if stripped.attributes:
        attributes = ", ".join(f"{name} (<{tag}>)" for tag, name in stripped.attributes)
        parts.append(_("the attributes %(attributes)s") % {"attributes": attributes})
    if stripped.links:
        links = ", ".join(Truncator(link).chars(60) for link in stripped.links)
        parts.append(_("the links to %(links)s (their text stays)") % {"links": links})
    return _(
        "Left out of the mail when it is sent: %(parts)s. A mail keeps only the tags "
        "%(allowed)s, no attribute but a link's href and title, and only links to https:// "
        "and mailto: addresses."
    ) % {"parts": "; ".join(parts), "allowed": ", ".join(sorted(ALLOWED_TAGS))}


@staff_view
@_mail_form_view
@require_POST
def mail_preview(request: HttpRequest, pk: int, position: int, segment: str) -> HttpResponse:
    """The HTMX fragment: subject and an iframe with the mail, or the template's problem."""
    form, preview = _preview(request, pk, position, segment)
    frame_url = ""
    if preview.rendered is not None:
        key = f"{pk}/{position}/{segment}"
        request.session[PREVIEW_SESSION] = {"key": key, "html": preview.rendered.html}
        frame_url = reverse("staff:preview_frame", args=[pk, position, segment])
    return render(request, "staff/_preview.html", preview.context(form) | {"frame_url": frame_url})


@staff_view
@xframe_options_sameorigin
def preview_frame(request: HttpRequest, pk: int, position: int, segment: str) -> HttpResponse:
    _journey(request, pk)
    stored = request.session.get(PREVIEW_SESSION) or {}
    if stored.get("key") != f"{pk}/{position}/{segment}":
        raise Http404
    response = HttpResponse(stored["html"])
    response.headers["Content-Security-Policy"] = PREVIEW_POLICY
    return response


@staff_view
@_mail_form_view
@require_POST
def mail_test(request: HttpRequest, pk: int, position: int, segment: str) -> HttpResponse:
    form, preview = _preview(request, pk, position, segment)
    if preview.rendered is not None:
        try:
            services.send_test_mail(request.library, preview.rendered, request.user.email)
        except services.StaffError as error:
            preview.problems[""] = str(error)
    return render(
        request,
        "staff/_test_sent.html",
        preview.context(form) | {"address": request.user.email},
    )


@staff_view
def mail_comments(request: HttpRequest, pk: int, position: int, segment: str) -> HttpResponse:
    """What members wrote with their 👍 or 👎 on one mail, newest first, with nothing that
    leads to them; shown once SMALL_CELL of its mails went out, so that a comment cannot be
    traced to one of the few members who got it (docs/privacy.md, Feedback comments)."""
    journey = _journey(request, pk)
    variant = queries.variant_of(journey, position, _segment(segment))
    if variant is None:
        raise Http404
    sent = queries.mails_sent(journey, position, variant.segment)
    page = None
    if sent >= SMALL_CELL:
        rows = queries.mail_comments(journey, position, variant.segment)
        page = Paginator(rows, queries.COMMENTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "staff/comments.html",
        {
            "journey": journey,
            "step": variant.step,
            "segment": segment,
            "page": page,
            "comments": [queries.comment_of(row) for row in page or []],
            "threshold": SMALL_CELL,
        },
    )


@staff_view
def segment_list(request: HttpRequest) -> HttpResponse:
    sizes = segment_sizes(request.library, queries.today())
    return render(request, "staff/segments.html", {"sizes": sizes})


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
                    request.library, kind, path, snapshot=form.cleaned_data["snapshot"]
                ).summary
            except SnapshotRefused as refusal:
                form.add_error("snapshot", _snapshot_refused(refusal))
            except ImportFileError as problem:
                form.add_error("file", str(problem).replace(str(path), upload.name))
            else:
                summary.source = upload.name
    return render(request, "staff/imports.html", {"form": form, "summary": summary})


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
def report(request: HttpRequest) -> HttpResponse:
    network = request.staff.is_admin
    built = queries.report(request.library, network=network)
    charts = report_page.charts(built)
    return render(
        request,
        "staff/report.html",
        {
            "report": built,
            "effects": [report_page.effect_section(effect) for effect in built.effects],
            "charts": charts,
            "drawn": report_page.drawn(charts),
            "chart_labels": _chart_labels(),
            "network": network,
        },
    )


def _chart_labels() -> dict[str, str]:
    """The charts' words in the user's language, for report-charts.js."""
    return {
        "sent": _("Sent"),
        "delivered": _("Delivered"),
        "opened": _("Opened"),
        "clicked": _("Clicked"),
        "interval": _("95% interval (percentage points)"),
        "lift": _("Lift (percentage points)"),
        "loans": _("Loans"),
        "baseline": _("Loans in the baseline period"),
        "partial": _("to day %(day)s: partial"),
        "click_rate": _("Click rate"),
        "dormant_mailed_rate": _("Dormant members back, mailed"),
        "dormant_held_out_rate": _("Dormant members back, held out"),
        "total": pgettext("all libraries", "Network"),
    }


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


@staff_view
def library_settings(request: HttpRequest) -> HttpResponse:
    library = request.library
    form = LibrarySettingsForm(request.POST or None, instance=Library.objects.get(pk=library.pk))
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
    return render(request, "staff/settings.html", {"form": form})


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
