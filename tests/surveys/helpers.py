"""A library's survey with one question of each kind, as staff would write it."""

from patronflow.surveys import services
from patronflow.surveys.models import Question, Survey

CHOICES = ["Romans", "Strips", "Kookboeken"]


def make_survey(
    library, *, status: str = Survey.Status.OPEN, title: str = "Hoe vind je ons?"
) -> Survey:
    survey = services.create_survey(
        library=library,
        actor=None,
        title=title,
        intro="Vijf vragen, twee minuten.",
        thanks="Met je antwoorden maken we de bibliotheek beter.",
        volunteer_retention_days=180,
    )
    for kind, text, choices, required in (
        (Question.Kind.SINGLE, "Wat leen je het meest?", CHOICES, True),
        (Question.Kind.MULTIPLE, "Waar lees je?", ["Thuis", "Op de trein"], False),
        (Question.Kind.SCALE, "Hoe tevreden ben je over onze mails?", [], True),
        (Question.Kind.OPEN, "Wat kan beter?", [], False),
    ):
        services.add_question(
            survey=survey, actor=None, kind=kind, text=text, choices=choices, required=required
        )
    if status != Survey.Status.DRAFT:
        services.set_status(
            survey=survey, status=status, actor=None, today=survey.created_at.date()
        )
    return survey


def filled_in(survey: Survey, **overrides) -> dict[str, object]:
    """A respondent's answers as the form posts them."""
    single, multiple, scale, open_ = survey.questions.order_by("position")
    data = {
        f"q{single.pk}": "Strips",
        f"q{multiple.pk}": ["Thuis", "Op de trein"],
        f"q{scale.pk}": "4",
        f"q{open_.pk}": "Meer strips voor volwassenen.",
        "website": "",
    }
    return data | overrides
