"""The mail editor of one step and variant: editing, the live preview, a test send, and
the comments members left on the mail."""

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from patronflow.journeys.definitions import InvalidJourney
from patronflow.journeys.models import ApprovalRequest, Variant
from patronflow.mail.images import image_problems, library_images, thumbnail_path
from patronflow.mail.rendering import RenderedMail
from patronflow.mail.spamcheck import THRESHOLD as SPAM_THRESHOLD
from patronflow.mail.spamcheck import SpamCheckUnavailable, content_key, spam_score
from patronflow.members.models import Member
from patronflow.profiles.models import Segment
from patronflow.reports.suppression import SMALL_CELL
from patronflow.staff import designer, queries, services
from patronflow.staff.access import get_scoped, scoped, staff_view
from patronflow.staff.block_editor import (
    BlockEditor,
    ImageChoice,
    apply_action,
    block_count,
    blocks_from_post,
    fill_alt,
    html_blocks,
    previewable,
    stripped_note,
    template_problems,
)
from patronflow.staff.forms import (
    MailForm,
    PreviewForm,
    body_too_long,
)
from patronflow.staff.journey_forms import problem_text
from patronflow.staff.models import SeedAddress
from patronflow.staff.views.approvals import asked_for_approval
from patronflow.staff.views.journeys import DEFAULT_SEGMENT, saved_message, scoped_journey
from patronflow.templating.blocks import has_reading_tips, normalised, to_template, validate
from patronflow.templating.sandbox import TemplateProblem

PREVIEW_SESSION = "staff_preview"
DARK = "dark"  # the preview frame's query parameter for the dark rendition
MADE_UP_ADDRESS = "lid@example.org"  # a made-up member's, for the spam check's To


# A preview shows the mail with its own inline styles, inside our page and nothing else. It
# runs no script; same-origin only so that fit-frames.js can make the frame as tall as the mail.
PREVIEW_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' https: data:; "
    "frame-ancestors 'self'; sandbox allow-same-origin"
)


def _segment(segment: str) -> str:
    if segment == DEFAULT_SEGMENT:
        return ""
    if segment not in Segment.values:
        raise Http404
    return segment


def _draft(form: MailForm, blocks: list) -> services.MailDraft:
    data = form.cleaned_data
    return services.MailDraft(
        subject=data["subject"],
        preheader=data["preheader"],
        body=to_template(blocks),
        with_reading_tips=has_reading_tips(blocks),
        blocks=blocks,
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
    """The designer: subject, preheader and the mail's blocks. A button that adds, removes
    or moves a block shows the form again, changed, without saving (block_editor.py); Save
    checks the blocks (each problem on its field) and saves through the journey's
    definition."""
    journey = scoped_journey(request, pk)
    variant = queries.variant_of(journey, position, _segment(segment))
    if variant is None:
        raise Http404
    images = _image_choices(request)
    saved = {"subject": variant.subject, "preheader": variant.preheader}
    problems: list = []
    body_problems: list[str] = []
    focus = ""
    if _oversized(request):
        form = MailForm(saved)
        form.is_valid()
        blocks = _saved_blocks(variant)
        unsaved = _("Nothing is saved: the blocks show the saved mail again.")
        body_problems.append(f"{body_too_long()} {unsaved}")
    elif request.method == "POST":
        blocks = blocks_from_post(request.POST)
        fill_alt(blocks, images)  # as the designer's script does when an image is chosen
        action = request.POST.get("action") or SAVE
        if action != SAVE:
            focus = apply_action(blocks, action)
            form = MailForm(initial={name: request.POST.get(name, "") for name in saved})
        else:
            form = MailForm(request.POST)
            problems = (
                validate(blocks)
                or template_problems(blocks)
                or image_problems(blocks, library=request.library)
            )
            if form.is_valid() and not problems:
                try:
                    installed = services.save_variant(
                        journey, position, variant.segment, _draft(form, blocks), actor=request.user
                    )
                except InvalidJourney as problem:
                    field_name = _field_of(problem, form)
                    if field_name in form.fields:
                        form.add_error(field_name, _problem_text(problem))
                    else:
                        body_problems.append(_problem_text(problem))
                else:
                    if isinstance(installed, ApprovalRequest):
                        return asked_for_approval(request, installed)
                    messages.success(request, saved_message(installed))
                    return redirect(request.path)
    else:
        form = MailForm(initial=saved)
        blocks = _saved_blocks(variant)
    fill_alt(blocks, images)
    samples = queries.sample_members(request.library)
    editor = BlockEditor(blocks, problems=problems, focus=focus, images=images)
    response = render(
        request,
        "staff/mail_editor.html",
        {
            "journey": journey,
            "variant": variant,
            "step": variant.step,
            "segment": segment,
            "form": form,
            "editor": editor,
            "body_problems": body_problems,
            "unsaved": bool(problems or body_problems or form.errors),
            "personal_fields": designer.personal_fields(
                on_event=bool(variant.step.version.on_event)
            ),
            "samples": samples,
            "sample": _sample_of(samples, variant.segment),
            "seeds": scoped(request, SeedAddress.objects.all()),
        },
    )
    if focus:
        response.headers["HX-Trigger"] = "blocks-changed"
    return response


SAVE = "save"


def _saved_blocks(variant: Variant) -> list:
    return normalised(variant.blocks)


def _image_choices(request: HttpRequest) -> list[ImageChoice]:
    return [
        ImageChoice(image.pk, image.alt, thumbnail_path(image))
        for image in library_images(request.library)
    ]


def _sample_of(samples: list[tuple[str, list[Member]]], segment: str) -> int | None:
    """The member a variant is previewed and tested as at first: one of its own segment
    (the fallback variant's: the first sample of any)."""
    label = dict(Segment.choices).get(segment)
    for group, members in samples:
        if label is not None and group == str(label):
            return members[0].pk
    return None


def _field_of(problem: InvalidJourney, form: MailForm) -> str | None:
    """The form field a refused save is about: the text whose template failed, or the text
    the refusal's path ends in (e.g. a subject over its length)."""
    cause = problem.__cause__
    if isinstance(cause, TemplateProblem) and cause.field in form.fields:
        return cause.field
    if problem.field and problem.field[-1] in MAIL_FIELDS:
        return problem.field[-1]
    return None


def _problem_text(problem: InvalidJourney) -> str:
    """A template's problem as such (the field shows where); any other refusal in the staff
    member's language."""
    cause = problem.__cause__
    return str(cause) if isinstance(cause, TemplateProblem) else problem_text(problem)


MAIL_FIELDS = ("subject", "preheader", "body")  # body: the text the blocks make


@dataclass
class _Preview:
    """The posted draft rendered as the chosen member (or a made-up one), or what stands in
    its way: problems, each under the field (subject, preheader, body: the blocks) it is
    in, or '' when in none; and notes on HTML blocks (what the sanitiser leaves out), by
    the block field's name."""

    member: Member | None = None
    rendered: RenderedMail | None = None
    problems: dict[str, str] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    made_up: bool = False
    unfinished: int = 0  # blocks left out of the preview until they are filled in
    hints: dict[str, designer.Hint] = field(default_factory=dict)

    def context(self, form: PreviewForm) -> dict:
        """What the preview and test fragments show: the problems in the preview or test area
        (named by their field), and again, out of band, on the field itself; the notes on
        the HTML blocks."""
        named = [f"{_label(form, name)}, {problem}" if name else problem
                 for name, problem in self.problems.items()]  # fmt: skip
        return {
            "member": self.member,
            "made_up": self.made_up,
            "unfinished": self.unfinished,
            "rendered": self.rendered,
            "problem": " ".join(named),
            "field_problems": [
                *((f"id_{name}_problem", self.problems.get(name, ""), "") for name in MAIL_FIELDS),
                *((f"{name}_problem", "", note) for name, note in self.notes.items()),
            ],
            "hints": self.hints,
        }


def _label(form: PreviewForm, name: str) -> str:
    return str(form.fields[name].label) if name in form.fields else _("Content")


def _preview(
    request: HttpRequest, pk: int, position: int, segment: str
) -> tuple[PreviewForm, _Preview]:
    """(form, _Preview) for the posted draft: its blocks but those still incomplete (a
    block just added), rendered. Rendering keeps to the render budget (templating/sandbox.py),
    so no preview holds a server thread longer than its time limit."""
    journey = scoped_journey(request, pk)
    if queries.variant_of(journey, position, _segment(segment)) is None:
        raise Http404
    if _oversized(request):
        return PreviewForm(), _Preview(problems={"body": body_too_long()})
    form = PreviewForm(request.POST)
    posted = blocks_from_post(request.POST)
    fill_alt(posted, _image_choices(request))
    notes = {name: stripped_note(html) for name, html in html_blocks(posted)}
    blocks = previewable(posted)
    unfinished = block_count(posted) - block_count(blocks)
    if not form.is_valid():
        problems = {name: errors[0] for name, errors in form.errors.items()}
        return form, _Preview(problems=problems, notes=notes)
    made_up = form.cleaned_data["member"] is None
    if made_up:
        member = services.made_up_member(request.library)
    else:
        member = get_scoped(
            request,
            Member.objects.select_related("reading_profile"),
            pk=form.cleaned_data["member"],
        )
    try:
        rendered = services.render_preview(
            request.library,
            member,
            queries.segment_of(member),
            _draft(form, blocks),
            queries.today(),
            language=journey.current_version.language,
        )
        preheader = services.render_preheader(
            request.library, member, form.cleaned_data["preheader"]
        )
    except TemplateProblem as problem:
        return form, _Preview(member, problems={problem.field: str(problem)}, notes=notes)
    hints = {
        "subject": designer.subject_hint(rendered.subject),
        "preheader": designer.preheader_hint(" ".join(preheader.split())),
    }
    return form, _Preview(
        member, rendered, notes=notes, made_up=made_up, hints=hints, unfinished=unfinished
    )


@staff_view
@_mail_form_view
@require_POST
def mail_preview(request: HttpRequest, pk: int, position: int, segment: str) -> HttpResponse:
    """The HTMX fragment: subject, the mail in frames (light and dark), its size and the
    hints on subject and preheader, or the template's problem. The spam score follows in a
    request of its own (mail_spam), so the preview does not wait for SpamAssassin."""
    form, preview = _preview(request, pk, position, segment)
    context = preview.context(form)
    if preview.rendered is not None:
        rendered = preview.rendered
        key = f"{pk}/{position}/{segment}"
        request.session[PREVIEW_SESSION] = {
            "key": key,
            "subject": rendered.subject,
            "html": rendered.html,
            "text": rendered.text,
            "unsubscribe_url": rendered.unsubscribe_url,
            "to": (preview.member.email if preview.member else "") or MADE_UP_ADDRESS,
        }
        frame_url = reverse("staff:preview_frame", args=[pk, position, segment])
        context |= {
            "frame_url": frame_url,
            "dark_frame_url": f"{frame_url}?{DARK}=1",
            "spam_url": reverse("staff:mail_spam", args=[pk, position, segment])
            + "?"
            + urlencode({"mail": content_key(request.library, rendered)}),
            "size": designer.size_hint(rendered),
        }
    return render(request, "staff/_preview.html", context)


@staff_view
@xframe_options_sameorigin
def preview_frame(request: HttpRequest, pk: int, position: int, segment: str) -> HttpResponse:
    """The previewed mail; ?dark=1 its dark rendition, with the rules the mail gives mail
    programs in dark mode applied whatever the browser's own setting (a frame cannot be
    put in dark mode on its own)."""
    scoped_journey(request, pk)
    stored = request.session.get(PREVIEW_SESSION) or {}
    if stored.get("key") != f"{pk}/{position}/{segment}":
        raise Http404
    html = stored["html"]
    if request.GET.get(DARK):
        html = designer.dark_rendition(html)
    response = HttpResponse(html)
    response.headers["Content-Security-Policy"] = PREVIEW_POLICY
    return response


@staff_view
def mail_spam(request: HttpRequest, pk: int, position: int, segment: str) -> HttpResponse:
    """SpamAssassin's score of the mail last previewed, asked for by the preview once it
    shows (?mail= the content's hash: a score for an older preview is not given as this
    one's). Cached by content, within a time limit (mail/spamcheck.py)."""
    scoped_journey(request, pk)
    stored = request.session.get(PREVIEW_SESSION) or {}
    if stored.get("key") != f"{pk}/{position}/{segment}" or "text" not in stored:
        raise Http404
    rendered = RenderedMail(
        subject=stored["subject"],
        html=stored["html"],
        text=stored["text"],
        unsubscribe_url=stored["unsubscribe_url"],
    )
    if request.GET.get("mail") != content_key(request.library, rendered):
        return render(request, "staff/_spam_score.html", {"outdated": True})
    try:
        score = spam_score(request.library, rendered, to=stored["to"])
    except SpamCheckUnavailable as problem:
        return render(request, "staff/_spam_score.html", {"unavailable": problem.reason})
    return render(
        request,
        "staff/_spam_score.html",
        {"score": score, "threshold": SPAM_THRESHOLD},
    )


@staff_view
@_mail_form_view
@require_POST
def mail_test(request: HttpRequest, pk: int, position: int, segment: str) -> HttpResponse:
    """The preview, as rendered for the chosen member, to the seed list's addresses that
    are ticked (all of them, as the editor shows them), or to the staff member's own when
    the library has no seed list."""
    form, preview = _preview(request, pk, position, segment)
    to = []
    if preview.rendered is not None:
        seeds = scoped(request, SeedAddress.objects.all())
        to = _test_addresses(request, seeds)
        if not to and seeds.exists():
            preview.problems[""] = _("Tick at least one address of the seed list.")
        else:
            try:
                services.send_test_mail(request.library, preview.rendered, to)
            except services.StaffError as error:
                preview.problems[""] = str(error)
    return render(
        request,
        "staff/_test_sent.html",
        preview.context(form) | {"address": ", ".join(to)},
    )


def _test_addresses(request: HttpRequest, seeds: QuerySet[SeedAddress]) -> list[str]:
    if not seeds.exists():
        return [request.user.email] if request.user.email else []
    ticked = [value for value in request.POST.getlist("seed") if value.isdigit()]
    return list(seeds.filter(pk__in=ticked).values_list("address", flat=True))


@staff_view
def mail_comments(request: HttpRequest, pk: int, position: int, segment: str) -> HttpResponse:
    """What members wrote with their 👍 or 👎 on one mail, newest first, with nothing that
    leads to them; shown once SMALL_CELL of its mails went out, so that a comment cannot be
    traced to one of the few members who got it (docs/privacy.md, Feedback comments)."""
    journey = scoped_journey(request, pk)
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
