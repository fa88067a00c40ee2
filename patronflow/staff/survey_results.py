"""A survey's results as the staff screen shows them: no published count from 1 to 9, and
none that can be worked out from the figures that are (the reports' rule and helper,
reports/suppression.py; docs/surveys.md).

The figures linked by sums: the responses are the channels' sum and, per question, those who
answered it plus those who skipped it; a one-choice or scale question's answers add up to
those who answered; each choice of a several-choices question and those who did not tick it
do too. Who skipped and who did not tick are never shown, but a reader could subtract them,
so they take part. A percentage is shown only beside a shown count with a shown base; a
scale's mean only when nothing of its question is withheld (with one cell withheld the mean
would give it back). Open answers are shown once the survey has SMALL_CELL responses, in a
random order, with nothing beside them.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from patronflow.reports.suppression import SMALL_CELL, Sum, Withheld, withhold
from patronflow.surveys.models import Question, Response
from patronflow.surveys.queries import SurveyCounts

Figure = int | Withheld
CHANNELS = {
    Response.Channel.MAIL: _("Link in a mail"),
    Response.Channel.WEBSITE: _("Website"),
    Response.Channel.DESK: _("QR code at the library"),
}


@dataclass(frozen=True)
class Row:
    label: str
    figure: Figure
    percent: int | None


@dataclass(frozen=True)
class QuestionResult:
    question: Question
    answered: Figure
    rows: list[Row]
    mean: float | None
    texts: list[str]


@dataclass(frozen=True)
class Results:
    responses: Figure
    channels: list[Row]
    questions: list[QuestionResult]
    texts_shown: bool


def published(counts: SurveyCounts) -> Results:
    values: dict = {"responses": counts.responses}
    sums = []
    shown = ["responses"]
    for channel, count in counts.channels.items():
        values[("channel", channel)] = count
        shown.append(("channel", channel))
    sums.append(Sum("responses", tuple(("channel", c) for c in counts.channels)))
    for each in counts.questions:
        qid = each.question.pk
        answered, skipped = ("answered", qid), ("skipped", qid)
        values[answered], values[skipped] = each.answered, counts.responses - each.answered
        shown.append(answered)
        sums.append(Sum("responses", (answered, skipped)))
        keys = [("value", qid, value) for value in each.values]
        for key, count in zip(keys, each.values.values(), strict=True):
            values[key] = count
            shown.append(key)
        if each.question.kind == Question.Kind.MULTIPLE:
            for key in keys:
                values[("not", *key)] = each.answered - values[key]
                sums.append(Sum(answered, (key, ("not", *key))))
        elif keys:
            sums.append(Sum(answered, tuple(keys)))
    withheld = withhold(values, sums, shown)

    def figure(key) -> Figure:
        return withheld.get(key, values[key])

    def rows(pairs, base) -> list[Row]:
        out = []
        for label, key in pairs:
            shown_figure = figure(key)
            percent = None
            if isinstance(shown_figure, int) and not isinstance(base, Withheld) and base:
                percent = round(100 * shown_figure / base)
            out.append(Row(label, shown_figure, percent))
        return out

    texts_shown = counts.responses >= SMALL_CELL
    questions = []
    for each in counts.questions:
        qid = each.question.pk
        answered = figure(("answered", qid))
        keys = {value: ("value", qid, value) for value in each.values}
        mean = None
        if each.question.kind == Question.Kind.SCALE and each.answered:
            cells = [("answered", qid), *keys.values()]
            if not any(cell in withheld for cell in cells):
                total = sum(int(value) * count for value, count in each.values.items())
                mean = round(total / each.answered, 1)
        questions.append(
            QuestionResult(
                question=each.question,
                answered=answered,
                rows=rows(keys.items(), answered),
                mean=mean,
                texts=each.texts if texts_shown else [],
            )
        )
    responses = figure("responses")
    return Results(
        responses=responses,
        channels=rows([(CHANNELS[c], ("channel", c)) for c in counts.channels], responses),
        questions=questions,
        texts_shown=texts_shown,
    )
