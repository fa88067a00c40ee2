"""Surveys for the staff pages' walks: ids by URL name (test_scoping.py) and by kind of page
(test_every_page.py), with answers enough that no result is withheld and a volunteer."""

import datetime as dt

from patronflow.surveys import services
from patronflow.surveys.models import Survey
from tests.surveys.helpers import make_survey


def answered_survey(library, *, times: int = 12) -> Survey:
    survey = make_survey(library, title="Hoe vind je ons?")
    single, multiple, scale, open_ = survey.questions.order_by("position")
    for number in range(times):
        services.submit_response(
            survey=survey,
            channel=("mail", "website", "desk")[number % 3],
            answers={
                single.pk: ["Romans"],
                multiple.pk: ["Thuis"],
                scale.pk: ["4"],
                open_.pk: [f"Antwoord {number}"],
            },
            today=dt.date(2026, 12, 1),
        )
    services.add_volunteer(survey=survey, name="Sara Peeters", email="sara@example.org",
                           phone="+32 470 00 00 00", consent_text="…")  # fmt: skip
    return survey


def survey_scoping_ids(library) -> dict[str, dict[str, int]]:
    survey = answered_survey(library, times=1)
    ids = {"pk": survey.pk}
    return {
        "survey": ids, "survey_status": ids, "survey_results": ids, "survey_qr": ids,
        "survey_print": ids, "volunteer_erase": {"pk": survey.volunteers.get().pk},
    }  # fmt: skip


def survey_page_ids(library) -> dict[str, dict[str, int]]:
    draft = make_survey(library, status=Survey.Status.DRAFT, title="Nieuwe vragenlijst")
    return {"survey": {"pk": draft.pk}, "survey_answered": {"pk": answered_survey(library).pk}}
