"""Writing surveys, their answers and the focus group's volunteers (docs/surveys.md).

Staff changes are audit-logged in the change's own transaction. Once a survey has answers
its questions are locked: a changed question would change the meaning of what was answered.
"""

import datetime as dt
from collections.abc import Mapping, Sequence

from django.db import transaction
from django.utils import timezone

from patronflow import notices
from patronflow.members.models import Library
from patronflow.privacy.audit import Actor, operator_of, record, record_change
from patronflow.surveys.models import Answer, Question, Response, Survey, Volunteer

SURVEY_FIELDS = (
    "title", "intro", "thanks", "language", "offers_focus_group", "volunteer_retention_days",
)  # fmt: skip
QUESTION_FIELDS = ("kind", "text", "choices", "required")
VOLUNTEERS_TABLE = "surveys.volunteer"


class QuestionsLocked(Exception):
    """The survey has answers: its questions stay as they were answered."""


def _subject(survey: Survey) -> str:
    return f"survey {survey.title}"


def create_survey(*, library: Library, actor: Actor, **fields) -> Survey:
    with transaction.atomic():
        survey = Survey.objects.create(library=library, **fields)
        record_change(
            _subject(survey),
            {"created": (None, survey.key[:4] + "…")} | {n: (None, fields[n]) for n in fields},
            actor=actor,
            library_code=library.code,
        )
    return survey


def change_survey(*, survey: Survey, actor: Actor, **fields) -> Survey:
    changes = {
        name: (getattr(survey, name), value)
        for name, value in fields.items()
        if getattr(survey, name) != value
    }
    with transaction.atomic():
        for name, value in fields.items():
            setattr(survey, name, value)
        survey.save()
        record_change(_subject(survey), changes, actor=actor, library_code=survey.library.code)
    return survey


def set_status(*, survey: Survey, status: str, actor: Actor, today: dt.date) -> Survey:
    """Open a draft or a closed survey, or close an open one; the dates say when."""
    before = survey.status
    if status == Survey.Status.OPEN:
        survey.opened_on = survey.opened_on or today
        survey.closed_on = None
    elif status == Survey.Status.CLOSED:
        survey.closed_on = today
    survey.status = status
    with transaction.atomic():
        survey.save()
        record_change(
            _subject(survey),
            {"status": (before, status)} if before != status else {},
            actor=actor,
            library_code=survey.library.code,
        )
    return survey


def _unlocked(survey: Survey) -> None:
    if survey.responses.exists():
        raise QuestionsLocked


def add_question(*, survey: Survey, actor: Actor, **fields) -> Question:
    _unlocked(survey)
    last = survey.questions.order_by("-position").values_list("position", flat=True).first()
    with transaction.atomic():
        question = Question.objects.create(survey=survey, position=(last or 0) + 1, **fields)
        record_change(
            f"{_subject(survey)} question {question.position}",
            {n: (None, fields[n]) for n in fields},
            actor=actor,
            library_code=survey.library.code,
        )
    return question


def change_question(*, question: Question, actor: Actor, **fields) -> Question:
    _unlocked(question.survey)
    changes = {
        name: (getattr(question, name), value)
        for name, value in fields.items()
        if getattr(question, name) != value
    }
    with transaction.atomic():
        for name, value in fields.items():
            setattr(question, name, value)
        question.save()
        record_change(
            f"{_subject(question.survey)} question {question.position}",
            changes,
            actor=actor,
            library_code=question.survey.library.code,
        )
    return question


def remove_question(*, question: Question, actor: Actor) -> None:
    survey = question.survey
    _unlocked(survey)
    with transaction.atomic():
        question.delete()
        _renumber(survey, list(survey.questions.order_by("position", "pk")))
        record_change(
            f"{_subject(survey)} question {question.position}",
            {"text": (question.text, None)},
            actor=actor,
            library_code=survey.library.code,
        )


def move_question(*, question: Question, step: int, actor: Actor) -> None:
    """Move a question one place up (-1) or down (+1)."""
    survey = question.survey
    _unlocked(survey)
    ordered = list(survey.questions.order_by("position", "pk"))
    here = ordered.index(question)
    there = here + step
    if not 0 <= there < len(ordered):
        return
    ordered[here], ordered[there] = ordered[there], ordered[here]
    with transaction.atomic():
        _renumber(survey, ordered)
        record_change(
            f"{_subject(survey)} question {here + 1}",
            {"position": (here + 1, there + 1)},
            actor=actor,
            library_code=survey.library.code,
        )


def _renumber(survey: Survey, ordered: Sequence[Question]) -> None:
    for position, question in enumerate(ordered, start=1):
        if question.position != position:
            Question.objects.filter(pk=question.pk).update(position=position)


def submit_response(
    *, survey: Survey, channel: str, answers: Mapping[int, Sequence[str]], today: dt.date
) -> Response:
    """Store one filled-in survey, all of it or nothing: the day, the channel and the values
    per question id (empty values are not stored)."""
    with transaction.atomic():
        response = Response.objects.create(survey=survey, submitted_on=today, channel=channel)
        Answer.objects.bulk_create(
            Answer(response=response, question_id=question_id, value=value)
            for question_id, values in answers.items()
            for value in values
            if value != ""
        )
    return response


def add_volunteer(
    *,
    survey: Survey,
    name: str,
    email: str,
    phone: str,
    consent_text: str,
    now: dt.datetime | None = None,
) -> Volunteer:
    """Somebody joins the focus group, kept until the retention the survey promised, and
    announced (survey.volunteer) to the library's systems that asked for it."""
    now = now or timezone.now()
    with transaction.atomic():
        volunteer = Volunteer.objects.create(
            library=survey.library,
            survey=survey,
            name=name,
            email=email,
            phone=phone,
            consented_at=now,
            consent_text=consent_text,
            retain_until=timezone.localdate(now)
            + dt.timedelta(days=survey.volunteer_retention_days),
        )
        notices.announce(
            library_id=survey.library_id,
            kind=notices.VOLUNTEER,
            data={
                "volunteer": volunteer.pk,
                "name": name,
                "email": email,
                "phone": phone,
                "survey": survey.title,
            },
            at=now,
        )
    return volunteer


def erase_volunteer(*, volunteer: Volunteer, actor: Actor) -> None:
    """A volunteer's data gone on request (or when staff no longer need it), logged by count."""
    with transaction.atomic():
        volunteer.delete()
        record(
            "erased",
            operator=operator_of(actor),
            library=volunteer.library,
            counts={VOLUNTEERS_TABLE: 1},
        )


def expire_volunteers(*, library: Library, today: dt.date, dry_run: bool = False) -> int:
    """Volunteers past the retention they consented to: removed by the daily purge."""
    expired = Volunteer.objects.filter(library=library, retain_until__lt=today)
    if dry_run:
        return expired.count()
    removed, _ = expired.delete()
    return removed
