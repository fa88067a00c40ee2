"""The library's own survey over HTTP: answered anonymously through each channel, the focus
group offered apart, closed and unknown surveys, abuse limits."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from patronflow.mail.brand import brand_for
from patronflow.surveys import queries
from patronflow.surveys.models import Answer, Response, Survey, Volunteer
from patronflow.tracking.surveys import OPEN_ANSWER_LIMIT
from tests.factories import LibraryFactory
from tests.surveys.helpers import filled_in, make_survey

pytestmark = pytest.mark.django_db

IP = "203.0.113.77"
BROWSER = "Mozilla/5.0 (Respondent) Firefox/140.0"


def address(survey: Survey, via: str = "") -> str:
    url = reverse("tracking:survey", args=[survey.key])
    return f"{url}?via={via}" if via else url


def every_stored_value() -> str:
    """Every value in every survey table, as text."""
    rows = []
    with connection.cursor() as cursor:
        for table in ("surveys_response", "surveys_answer", "surveys_volunteer"):
            cursor.execute(f"SELECT * FROM {table}")
            rows += [str(value) for row in cursor.fetchall() for value in row]
    return "\n".join(rows)


@pytest.mark.parametrize(
    ("via", "channel"),
    [("mail", "mail"), ("website", "website"), ("desk", "desk"), ("", "website"), ("x", "website")],
)
def test_a_survey_is_answered_anonymously_through_each_channel(client, library, via, channel):
    survey = make_survey(library)
    get = client.get(address(survey, via), REMOTE_ADDR=IP, HTTP_USER_AGENT=BROWSER)
    assert get.status_code == 200 and "Wat leen je het meest?" in get.content.decode()

    response = client.post(address(survey, via), filled_in(survey), REMOTE_ADDR=IP,
                           HTTP_USER_AGENT=BROWSER)  # fmt: skip

    assert response.status_code == 200
    assert "Bedankt voor je antwoorden" in response.content.decode()
    assert not response.cookies
    stored = Response.objects.get()
    assert (stored.channel, stored.submitted_on) == (channel, dt.date.today())
    assert sorted(Answer.objects.values_list("value", flat=True)) == sorted(
        ["Strips", "Thuis", "Op de trein", "4", "Meer strips voor volwassenen."]
    )
    fields = {f.name for f in Response._meta.get_fields()}
    assert fields == {"id", "survey", "submitted_on", "channel", "answers"}
    everything = every_stored_value()
    assert IP not in everything and "Respondent" not in everything
    assert not re.search(r"\d{2}:\d{2}", everything)  # no time of day anywhere


def test_the_mail_link_is_the_open_surveys_address_with_via_mail(library, settings):
    assert queries.survey_address(library=library) == ""
    library.survey_url = "https://elders.example.org/enquete"
    assert queries.survey_address(library=library) == library.survey_url
    survey = make_survey(library)
    assert queries.survey_address(library=library) == (
        f"{settings.BASE_URL}/t/s/{survey.key}?via=mail"
    )
    survey.status = Survey.Status.CLOSED
    survey.save()
    assert queries.survey_address(library=library) == library.survey_url


def test_a_missing_required_answer_is_said_on_its_question_and_nothing_is_stored(client, library):
    survey = make_survey(library)
    single = survey.questions.get(position=1)

    response = client.post(address(survey), filled_in(survey, **{f"q{single.pk}": ""}))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Dit veld is verplicht" in page
    assert page.index("Dit veld is verplicht") > page.index("Wat leen je het meest?")
    assert not Response.objects.exists()


def test_an_open_answer_over_the_limit_is_refused(client, library):
    survey = make_survey(library)
    open_ = survey.questions.get(position=4)

    client.post(
        address(survey), filled_in(survey, **{f"q{open_.pk}": "x" * (OPEN_ANSWER_LIMIT + 1)})
    )

    assert not Response.objects.exists()


def test_a_filled_honeypot_stores_nothing_but_thanks_all_the_same(client, library):
    survey = make_survey(library)

    response = client.post(address(survey), filled_in(survey, website="http://spam.example"))

    assert "Bedankt" in response.content.decode()
    assert not Response.objects.exists()


def test_the_focus_group_is_stored_apart_with_its_consent_wording_and_end_date(client, library):
    survey = make_survey(library)
    client.post(address(survey, "desk"), filled_in(survey))

    refused = client.post(address(survey, "desk"), {"name": "Sara", "email": "sara@example.org"})
    assert "Dit veld is verplicht" in refused.content.decode()
    assert not Volunteer.objects.exists()
    client.post(address(survey, "desk"), {"consent": "on", "name": "Sara Peeters",
                                          "email": "sara@example.org", "phone": ""})  # fmt: skip

    volunteer = Volunteer.objects.get()
    # Counted from the day of consent in the library's time zone (after 23:00 UTC in winter,
    # already the next day in Brussels).
    consented_on = timezone.localdate(volunteer.consented_at)
    assert volunteer.retain_until == consented_on + dt.timedelta(days=180)
    assert (
        "180 dagen" in volunteer.consent_text and "los van je antwoorden" in volunteer.consent_text
    )
    assert {f.name for f in Volunteer._meta.get_fields()} == {
        "id", "library", "survey", "name", "email", "phone", "consented_at", "consent_text",
        "retain_until",
    }  # fmt: skip
    assert Response.objects.count() == 1  # the volunteer's post answered nothing


def test_a_draft_or_closed_survey_says_so_and_an_unknown_key_is_not_found(client, library):
    draft = make_survey(library, status=Survey.Status.DRAFT)
    closed = make_survey(library, status=Survey.Status.CLOSED)
    for survey in (draft, closed):
        response = client.post(address(survey), filled_in(survey))
        assert "Deze vragenlijst is gesloten" in response.content.decode()
    assert not Response.objects.exists()
    assert client.get(reverse("tracking:survey", args=["nope" * 6])).status_code == 404
    assert client.get(reverse("tracking:survey", args=[str(draft.pk)])).status_code == 404


def test_the_page_wears_the_librarys_colour_and_the_surveys_language(client):
    library = LibraryFactory(code="leuven", name="Bibliotheek Leuven")
    survey = make_survey(library)
    survey.language = Survey.Language.ENGLISH
    survey.save()

    response = client.get(address(survey), HTTP_ACCEPT_LANGUAGE="nl")

    page = response.content.decode()
    assert '<html lang="en">' in page and response["Content-Language"] == "en"
    assert "Send my answers" in page
    assert f"background: {brand_for(library).colour}" in page
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert response["Cache-Control"] == "no-store, private"


def test_a_survey_without_the_focus_group_offers_none_and_refuses_a_sign_up(client, library):
    survey = make_survey(library)
    survey.offers_focus_group = False
    survey.save()

    thanks = client.post(address(survey), filled_in(survey)).content.decode()
    sign_up = client.post(address(survey), {"consent": "on", "name": "Jan", "email": "j@x.be"})

    assert "focusgroep" not in thanks
    assert sign_up.status_code == 404 and not Volunteer.objects.exists()
