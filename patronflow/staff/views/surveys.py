"""The library's own surveys: write one with its questions, open and close it, hand out its
address (link, website snippet, QR code for the desk), read its results — up to a day before
today, brought up to date in groups of SMALL_CELL answers, with small numbers withheld — and
the focus group's volunteers (viewing, exporting and erasing them is
audit-logged, as a member's data is). docs/surveys.md."""

import io

import segno
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from patronflow.privacy.audit import operator_of, record
from patronflow.reports.suppression import SMALL_CELL
from patronflow.spreadsheets import SpreadsheetWriter
from patronflow.staff.access import get_scoped, staff_view
from patronflow.staff.survey_forms import QuestionForm, SurveyForm
from patronflow.staff.survey_results import published
from patronflow.surveys import queries, services
from patronflow.surveys.models import Question, Response, Survey

QUESTION_ACTIONS = ("save", "remove", "up", "down")


def _survey(request: HttpRequest, pk: int) -> Survey:
    return get_scoped(request, queries.library_surveys(library=request.library), pk=pk)


@staff_view
def survey_list(request: HttpRequest) -> HttpResponse:
    form = SurveyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        survey = services.create_survey(
            library=request.library, actor=request.user, **form.cleaned_data
        )
        messages.success(request, _("The survey is saved as a draft: add its questions."))
        return redirect("staff:survey", pk=survey.pk)
    surveys = list(queries.library_surveys(library=request.library))
    shown = queries.snapshots(surveys=surveys, today=timezone.localdate(), batch=SMALL_CELL)
    surveys = [(survey, shown.get(survey.pk, queries.Snapshot()).responses) for survey in surveys]
    return render(
        request,
        "staff/surveys.html",
        {
            "surveys": surveys,
            "form": form,
            "volunteers": queries.library_volunteers(library=request.library).count(),
        },
    )


@staff_view
def survey_detail(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _survey(request, pk)
    locked = survey.answered > 0
    action = request.POST.get("action", "")
    survey_form = SurveyForm(
        request.POST if action == "survey" else None, instance=survey, prefix="survey"
    )
    new_form = QuestionForm(request.POST if action == "add" else None, prefix="new")
    question_forms = {question.pk: QuestionForm.of(question) for question in survey.questions.all()}
    if request.method == "POST":
        done = _change(request, survey, locked, action, survey_form, new_form, question_forms)
        if done:
            return redirect("staff:survey", pk=survey.pk)
    return render(
        request,
        "staff/survey.html",
        {
            "survey": survey,
            "locked": locked,
            "survey_form": survey_form,
            "new_form": new_form,
            "questions": [
                (question, question_forms[question.pk])
                for question in survey.questions.order_by("position", "pk")
            ],
            "address": queries.public_url(survey=survey),
            "addresses": {
                channel: queries.public_url(survey=survey, channel=channel)
                for channel in Response.Channel.values
            },
        },
    )


def _change(request, survey, locked, action, survey_form, new_form, question_forms) -> bool:
    """Apply one posted change; False when a form has errors to show (or nothing was done)."""
    if action == "survey":
        if not survey_form.is_valid():
            return False
        fields = {name: survey_form.cleaned_data[name] for name in survey_form.Meta.fields}
        services.change_survey(
            survey=Survey.objects.get(pk=survey.pk), actor=request.user, **fields
        )
        messages.success(request, _("The survey is saved."))
        return True
    if locked:
        messages.error(request, _("The survey has answers: its questions can no longer change."))
        return True
    if action == "add":
        if not new_form.is_valid():
            return False
        services.add_question(survey=survey, actor=request.user, **new_form.cleaned_data)
        messages.success(request, _("The question is added."))
        return True
    if action not in QUESTION_ACTIONS:
        return False
    posted = request.POST.get("question", "")
    question = get_scoped(
        request, Question.objects.filter(survey=survey), "survey__library",
        pk=int(posted) if posted.isdigit() else 0,
    )  # fmt: skip
    if action == "save":
        form = QuestionForm(request.POST, prefix=f"q{question.pk}")
        question_forms[question.pk] = form
        if not form.is_valid():
            return False
        services.change_question(question=question, actor=request.user, **form.cleaned_data)
        messages.success(request, _("The question is saved."))
    elif action == "remove":
        services.remove_question(question=question, actor=request.user)
        messages.success(request, _("The question is removed."))
    else:
        step = -1 if action == "up" else 1
        services.move_question(question=question, step=step, actor=request.user)
    return True


@staff_view
@require_POST
def survey_status(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _survey(request, pk)
    status = request.POST.get("status")
    if status == Survey.Status.OPEN and not survey.questions.exists():
        messages.error(request, _("Add a question before opening the survey."))
    elif status in (Survey.Status.OPEN, Survey.Status.CLOSED):
        services.set_status(
            survey=survey, status=status, actor=request.user, today=timezone.localdate()
        )
        if status == Survey.Status.OPEN:
            messages.success(request, _("The survey is open: its address takes answers."))
        else:
            messages.success(request, _("The survey is closed: it takes no more answers."))
    return redirect("staff:survey", pk=survey.pk)


@staff_view
def survey_results(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _survey(request, pk)
    shown = queries.snapshot(survey=survey, today=timezone.localdate(), batch=SMALL_CELL)
    results = published(queries.survey_counts(survey=survey, through=shown.through))
    return render(
        request,
        "staff/survey_results.html",
        {"survey": survey, "results": results, "snapshot": shown, "batch": SMALL_CELL},
    )


@staff_view
def survey_qr(request: HttpRequest, pk: int) -> HttpResponse:
    """The desk's QR code (the address with via=desk), as PNG or, with ?format=svg, SVG."""
    survey = _survey(request, pk)
    code = segno.make(queries.public_url(survey=survey, channel=Response.Channel.DESK), error="m")
    buffer = io.BytesIO()
    kind = "svg" if request.GET.get("format") == "svg" else "png"
    code.save(buffer, kind=kind, scale=10, border=4)
    response = HttpResponse(
        buffer.getvalue(), content_type="image/svg+xml" if kind == "svg" else "image/png"
    )
    response["Content-Disposition"] = f'attachment; filename="survey-{survey.pk}-qr.{kind}"'
    return response


@staff_view
def survey_print(request: HttpRequest, pk: int) -> HttpResponse:
    """A page to print for the desk: the title, the QR code and the address to type."""
    survey = _survey(request, pk)
    address = queries.public_url(survey=survey, channel=Response.Channel.DESK)
    return render(
        request,
        "staff/survey_print.html",
        {
            "survey": survey,
            "address": address,
            "qr": segno.make(address, error="m").svg_data_uri(scale=8, border=4),
        },
    )


@staff_view
def volunteers(request: HttpRequest) -> HttpResponse:
    found = list(queries.library_volunteers(library=request.library))
    if found:
        record("viewed", operator=operator_of(request.user), library=request.library,
               counts={services.VOLUNTEERS_TABLE: len(found)})  # fmt: skip
    return render(request, "staff/survey_volunteers.html", {"volunteers": found})


@staff_view
def volunteers_export(request: HttpRequest) -> HttpResponse:
    found = list(queries.library_volunteers(library=request.library))
    record("exported", operator=operator_of(request.user), library=request.library,
           counts={services.VOLUNTEERS_TABLE: len(found)})  # fmt: skip
    out = io.StringIO()
    writer = SpreadsheetWriter(out)
    # Months, not days: the day someone signed up would tie them to that day's responses.
    writer.writerow(["name", "email", "phone", "survey", "consented_in", "retain_until_month"])
    for volunteer in found:
        writer.writerow([
            volunteer.name, volunteer.email, volunteer.phone, volunteer.survey.title,
            timezone.localdate(volunteer.consented_at).strftime("%Y-%m"),
            volunteer.retain_until.strftime("%Y-%m"),
        ])  # fmt: skip
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    name = f"focus-group-{request.library.code}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@staff_view
@require_POST
def volunteer_erase(request: HttpRequest, pk: int) -> HttpResponse:
    volunteer = get_scoped(request, queries.library_volunteers(library=request.library), pk=pk)
    services.erase_volunteer(volunteer=volunteer, actor=request.user)
    messages.success(request, _("The volunteer's data is erased."))
    return redirect("staff:volunteers")
