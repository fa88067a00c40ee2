"""The survey screens: writing a survey and its questions, locking them once answered,
opening and closing, the addresses and QR code, results with small numbers withheld, and the
focus group's volunteers (viewing, exporting and erasing audit-logged)."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from patronflow.privacy.models import AuditEntry
from patronflow.surveys import services
from patronflow.surveys.models import Question, Response, Survey, Volunteer
from tests.surveys.helpers import make_survey

pytestmark = pytest.mark.django_db

NEW_SURVEY = {
    "title": "Jouw bibliotheek", "intro": "", "thanks": "", "language": "nl",
    "offers_focus_group": "on", "volunteer_retention_days": 365,
}  # fmt: skip


def answer(
    survey: Survey, times: int, *, channel: str = "website", on=dt.date(2026, 12, 1), **values
) -> None:
    questions = {q.position: q.pk for q in survey.questions.all()}
    for _ in range(times):
        services.submit_response(
            survey=survey,
            channel=channel,
            answers={questions[int(k[1:])]: v for k, v in values.items()},
            today=on,
        )


def test_a_marketer_writes_a_survey_adds_reorders_and_removes_questions(staff_client, library):
    response = staff_client.post(reverse("staff:surveys"), NEW_SURVEY)
    survey = Survey.objects.get(library=library)
    assert response.url == reverse("staff:survey", args=[survey.pk])
    url = reverse("staff:survey", args=[survey.pk])

    refused = staff_client.post(url, {"action": "add", "new-text": "Wat lees je?",
                                      "new-kind": "single", "new-choices": "Romans"})  # fmt: skip
    assert "Geef minstens twee keuzes" in refused.content.decode()
    staff_client.post(url, {"action": "add", "new-text": "Wat lees je?", "new-kind": "single",
                            "new-choices": "Romans\n\nStrips\n", "new-required": "on"})  # fmt: skip
    staff_client.post(url, {"action": "add", "new-text": "Tevreden?", "new-kind": "scale",
                            "new-choices": "weg"})  # fmt: skip
    first, second = survey.questions.order_by("position")
    assert first.choices == ["Romans", "Strips"] and second.choices == []
    staff_client.post(url, {"action": "up", "question": second.pk})
    assert list(survey.questions.order_by("position").values_list("text", flat=True)) == [
        "Tevreden?", "Wat lees je?",
    ]  # fmt: skip
    staff_client.post(url, {"action": "remove", "question": second.pk})
    assert list(survey.questions.values_list("text", "position")) == [("Wat lees je?", 1)]
    assert AuditEntry.objects.filter(subject__startswith="survey Jouw").count() >= 4


def test_questions_are_locked_once_answered_and_the_survey_can_still_close(staff_client, library):
    survey = make_survey(library)
    answer(survey, 1, q1=["Strips"], q3=["4"])
    question = survey.questions.get(position=1)
    url = reverse("staff:survey", args=[survey.pk])

    page = staff_client.get(url).content.decode()
    staff_client.post(url, {"action": "remove", "question": question.pk})
    prefix = f"q{question.pk}"
    staff_client.post(url, {"action": "save", "question": question.pk,
                            f"{prefix}-text": "Iets anders", f"{prefix}-kind": "open"})  # fmt: skip
    staff_client.post(reverse("staff:survey_status", args=[survey.pk]), {"status": "closed"})

    assert "de vragen blijven zoals ze beantwoord zijn" in page
    question.refresh_from_db()
    assert question.text == "Wat leen je het meest?" and survey.questions.count() == 4
    survey.refresh_from_db()
    assert survey.status == Survey.Status.CLOSED and survey.closed_on is not None


def test_a_question_of_another_survey_or_no_question_is_not_found(staff_client, library):
    survey, other = make_survey(library), make_survey(library, title="Andere")
    url = reverse("staff:survey", args=[survey.pk])
    elsewhere = other.questions.first().pk
    for posted in ("", "abc", str(elsewhere)):
        response = staff_client.post(url, {"action": "remove", "question": posted})
        assert response.status_code == 404, posted
    assert other.questions.count() == 4


def test_a_survey_without_questions_cannot_open(staff_client, library):
    survey = services.create_survey(library=library, actor=None, title="Leeg")
    staff_client.post(reverse("staff:survey_status", args=[survey.pk]), {"status": "open"})
    survey.refresh_from_db()
    assert survey.status == Survey.Status.DRAFT


def test_the_survey_page_gives_the_address_the_website_snippet_and_the_desk_qr(
    staff_client, library, settings
):
    survey = make_survey(library)
    page = staff_client.get(reverse("staff:survey", args=[survey.pk])).content.decode()
    assert f"{settings.BASE_URL}/t/s/{survey.key}?via=website" in page

    png = staff_client.get(reverse("staff:survey_qr", args=[survey.pk]))
    svg = staff_client.get(reverse("staff:survey_qr", args=[survey.pk]) + "?format=svg")
    printed = staff_client.get(reverse("staff:survey_print", args=[survey.pk]))

    assert png["Content-Type"] == "image/png" and png.content.startswith(b"\x89PNG")
    assert svg["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content
    assert printed.status_code == 200 and f"{survey.key}?via=desk" in printed.content.decode()


def test_results_show_counts_and_percentages_with_every_small_count_withheld(staff_client, library):
    survey = make_survey(library)
    answer(survey, 30, q1=["Romans"], q3=["5"], q4=["Meer open uren"])
    answer(survey, 12, q1=["Strips"], q3=["4"])
    answer(survey, 3, channel="desk", q1=["Kookboeken"], q3=["1"])

    results = staff_client.get(reverse("staff:survey_results", args=[survey.pk]))

    page = results.content.decode()
    figures = results.context["results"]
    single = figures.questions[0]
    assert [(r.label, r.figure) for r in single.rows][:1] == [("Romans", 30)]
    assert str(single.rows[2].figure) == "< 10"  # Kookboeken: 3
    assert str(single.rows[1].figure) == "·"  # Strips: 12, withheld so 3 cannot be subtracted
    assert figures.questions[2].mean is None  # a withheld scale count: no mean
    assert str(figures.channels[2].figure) == "< 10"
    assert "Meer open uren" in page
    assert '<td class="num">3</td>' not in page


def test_open_answers_wait_for_ten_responses(staff_client, library):
    survey = make_survey(library)
    answer(survey, 9, q1=["Romans"], q3=["5"], q4=["Een geheim van mij"])
    page = staff_client.get(reverse("staff:survey_results", args=[survey.pk])).content.decode()
    assert "Een geheim van mij" not in page and "minstens 10 antwoorden" in page


def test_results_leave_out_todays_answers_and_wait_for_ten_new_ones(staff_client, library):
    """One known person answers today, or yesterday with fewer than nine others: reloading
    the results shows nothing new, so their answers cannot be had by subtraction."""
    survey = make_survey(library)
    today = timezone.localdate()
    answer(survey, 12, on=today - dt.timedelta(days=3), q1=["Romans"], q3=["4"], q4=["Oud"])
    url = reverse("staff:survey_results", args=[survey.pk])
    before = staff_client.get(url)
    answer(survey, 9, on=today - dt.timedelta(days=1), q1=["Strips"], q3=["1"], q4=["Gisteren"])
    answer(survey, 5, on=today, q1=["Kookboeken"], q3=["2"], q4=["Vandaag"])
    after = staff_client.get(url)
    answer(survey, 1, on=today - dt.timedelta(days=1), q1=["Strips"], q3=["1"], q4=["Gisteren"])
    moved = staff_client.get(url)

    for page in (before, after):
        assert page.context["results"].responses == 12
        text = page.content.decode()
        assert "Oud" in text and "Gisteren" not in text and "Vandaag" not in text
        shown = page.context["snapshot"].through
        assert shown == today - dt.timedelta(days=3)
        assert f"Resultaten tot en met {shown.day} " in text and "(12 antwoorden)" in text
        assert "in groepen van minstens 10" in text
    assert before.context["results"] == after.context["results"]
    assert moved.context["results"].responses == 22
    assert "Gisteren" in moved.content.decode() and "Vandaag" not in moved.content.decode()
    listed = staff_client.get(reverse("staff:surveys"))
    assert listed.context["surveys"] == [(survey, 22)]


def test_no_results_until_the_day_after_the_tenth_answer(staff_client, library):
    survey = make_survey(library)
    answer(survey, 10, on=timezone.localdate(), q1=["Romans"], q3=["5"], q4=["Een geheim"])
    page = staff_client.get(reverse("staff:survey_results", args=[survey.pk]))
    text = page.content.decode()
    assert page.context["results"].responses == 0 and "Een geheim" not in text
    assert "Nog geen resultaten" in text
    assert staff_client.get(reverse("staff:surveys")).context["surveys"] == [(survey, 0)]


def test_volunteers_are_listed_exported_and_erased_with_an_audit_trail(staff_client, library):
    survey = make_survey(library)
    volunteer = services.add_volunteer(
        survey=survey, name="=Sara Peeters", email="sara@example.org", phone="", consent_text="…"
    )

    listed = staff_client.get(reverse("staff:volunteers")).content.decode()
    exported = staff_client.get(reverse("staff:volunteers_export")).content.decode()
    staff_client.post(reverse("staff:volunteer_erase", args=[volunteer.pk]))

    assert "sara@example.org" in listed
    assert "'=Sara Peeters" in exported and "sara@example.org" in exported
    signed_up = timezone.localdate(volunteer.consented_at)
    with translation.override("nl"):
        month, day = date_format(signed_up, "F Y"), date_format(signed_up, "j b")
    assert f"<td>{month}</td>" in listed and day not in listed  # the month, not the day
    assert f",{signed_up:%Y-%m}," in exported and signed_up.isoformat() not in exported
    assert not Volunteer.objects.exists()
    actions = list(AuditEntry.objects.filter(counts__has_key="surveys.volunteer")
                   .order_by("pk").values_list("action", flat=True))  # fmt: skip
    assert actions == ["viewed", "exported", "erased"]


def test_another_librarys_volunteer_cannot_be_erased(staff_client, other_library):
    survey = make_survey(other_library)
    volunteer = services.add_volunteer(survey=survey, name="Jan", email="jan@example.org",
                                       phone="", consent_text="…")  # fmt: skip
    response = staff_client.post(reverse("staff:volunteer_erase", args=[volunteer.pk]))
    assert response.status_code == 404 and Volunteer.objects.exists()


def test_channels_are_counted_apart(library):
    survey = make_survey(library)
    answer(survey, 2, channel="mail", q1=["Romans"], q3=["2"])
    assert Response.objects.filter(channel="mail").count() == 2
    assert Question.objects.filter(survey=survey).count() == 4
