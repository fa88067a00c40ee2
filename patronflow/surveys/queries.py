"""Reading surveys: their public addresses, the snapshot of answers staff may see and its
raw counts (the staff screens withhold the small ones before showing them; docs/surveys.md)."""

import datetime as dt
import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, QuerySet
from django.urls import reverse
from django.utils.http import urlencode

from patronflow.members.models import Library
from patronflow.surveys.models import Answer, Question, Response, Survey, Volunteer

SCALE = ("1", "2", "3", "4", "5")


def public_url(*, survey: Survey, channel: str = "") -> str:
    """The survey's address at PATRONFLOW_BASE_URL (like the tracking links), with the
    channel it is handed out through."""
    url = settings.BASE_URL + reverse("tracking:survey", args=[survey.key])
    return f"{url}?{urlencode({'via': channel})}" if channel else url


def open_survey(*, library: Library) -> Survey | None:
    """The library's open built-in survey (the latest opened, should there be several)."""
    return (
        Survey.objects.filter(library=library, status=Survey.Status.OPEN)
        .order_by("-opened_on", "-pk")
        .first()
    )


def survey_address(*, library: Library) -> str:
    """The survey link in the library's mails: its open built-in survey with via=mail, else
    the external survey it names (Library.survey_url), else nothing."""
    survey = open_survey(library=library)
    if survey is not None:
        return public_url(survey=survey, channel=Response.Channel.MAIL)
    return library.survey_url or ""


def library_surveys(*, library: Library) -> QuerySet[Survey]:
    return Survey.objects.filter(library=library).annotate(answered=Count("responses"))


def survey_by_key(key: str) -> Survey | None:
    return Survey.objects.select_related("library").filter(key=key).first()


def library_volunteers(*, library: Library) -> QuerySet[Volunteer]:
    return Volunteer.objects.filter(library=library).select_related("survey")


@dataclass(frozen=True)
class Snapshot:
    """The answers staff may see: every response up to and including `through` (None: none
    yet), `responses` of them."""

    through: dt.date | None = None
    responses: int = 0


def snapshots(*, surveys: Iterable[Survey], today: dt.date, batch: int) -> dict[int, Snapshot]:
    """Per survey id, the answers that may be shown on `today`. Live results would give away
    what one known person answered, by comparing them before and after. So they stop before
    today, and move on only at the end of a day by which at least `batch` responses have come
    in since they last moved: any two views of them are the same or differ by at least
    `batch` responses. A survey with none to show yet is left out."""
    found: dict[int, Snapshot] = {}
    running: dict[int, int] = {}
    daily = (
        Response.objects.filter(survey__in=surveys, submitted_on__lt=today)
        .order_by("survey", "submitted_on")
        .values_list("survey", "submitted_on")
        .annotate(n=Count("pk"))
    )
    for survey_id, day, count in daily:
        running[survey_id] = running.get(survey_id, 0) + count
        if running[survey_id] - found.get(survey_id, Snapshot()).responses >= batch:
            found[survey_id] = Snapshot(day, running[survey_id])
    return found


def snapshot(*, survey: Survey, today: dt.date, batch: int) -> Snapshot:
    return snapshots(surveys=[survey], today=today, batch=batch).get(survey.pk, Snapshot())


@dataclass
class QuestionCounts:
    """One question's raw counts: how many answered it and how often each value was given
    (the choices in their order, or 1 to 5); an open question has texts instead."""

    question: Question
    answered: int
    values: dict[str, int] = field(default_factory=dict)
    texts: list[str] = field(default_factory=list)


@dataclass
class SurveyCounts:
    responses: int
    channels: dict[str, int]
    questions: list[QuestionCounts]


def survey_counts(*, survey: Survey, through: dt.date | None) -> SurveyCounts:
    """Every count the results page may show, before any is withheld, of the responses up to
    and including `through` (a Snapshot's; None counts none). Open answers come in a random
    order, with nothing beside them that says when or how they came in."""
    included = Response.objects.none()
    if through is not None:
        included = Response.objects.filter(survey=survey, submitted_on__lte=through)
    channels = Counter(dict(included.order_by().values_list("channel").annotate(n=Count("pk"))))
    per_question = []
    for question in survey.questions.order_by("position", "pk"):
        answers = Answer.objects.filter(question=question, response__in=included).order_by()
        answered = answers.values("response").distinct().count()
        if question.kind == Question.Kind.OPEN:
            texts = list(answers.values_list("value", flat=True))
            random.shuffle(texts)
            per_question.append(QuestionCounts(question, answered, texts=texts))
            continue
        given = dict(answers.values_list("value").annotate(n=Count("pk")))
        order = SCALE if question.kind == Question.Kind.SCALE else question.choices
        per_question.append(
            QuestionCounts(question, answered, {value: given.get(value, 0) for value in order})
        )
    return SurveyCounts(
        responses=sum(channels.values()),
        channels={channel: channels.get(channel, 0) for channel in Response.Channel.values},
        questions=per_question,
    )
