"""The survey and its focus-group form are limited per client (choices/signup.py
CLIENT_LIMITS: 60 answers and 5 focus-group sign-ups per client address per hour): past the
limit the page asks, in words, to try again later (429) and stores nothing; another client
goes on; the count keeps a keyed hash, never the address, and is forgotten after a day."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from patronflow.choices import signup
from patronflow.choices.models import SignupAttempt
from patronflow.surveys.models import Response, Volunteer
from tests.surveys.helpers import filled_in, make_survey

pytestmark = pytest.mark.django_db

IP, OTHER_IP = "203.0.113.77", "203.0.113.78"


def answer(client, survey, ip: str = IP, **overrides):
    url = reverse("tracking:survey", args=[survey.key])
    return client.post(url, filled_in(survey, **overrides), REMOTE_ADDR=ip)


def volunteer(client, survey, number: int, ip: str = IP):
    url = reverse("tracking:survey", args=[survey.key])
    data = {"consent": "on", "name": f"Iemand {number}", "email": f"p{number}@example.org"}
    return client.post(url, data, REMOTE_ADDR=ip)


def test_the_limits_are_documented_numbers():
    assert signup.CLIENT_LIMITS[SignupAttempt.Kind.SURVEY] == (60, dt.timedelta(hours=1))
    assert signup.CLIENT_LIMITS[SignupAttempt.Kind.VOLUNTEER] == (5, dt.timedelta(hours=1))


def test_answers_past_the_limit_are_refused_in_words_and_not_stored(client, library, monkeypatch):
    monkeypatch.setitem(signup.CLIENT_LIMITS, SignupAttempt.Kind.SURVEY, (3, dt.timedelta(hours=1)))
    survey = make_survey(library)
    for _ in range(3):
        assert answer(client, survey).status_code == 200

    refused = answer(client, survey)

    assert refused.status_code == 429
    assert "Probeer het later opnieuw" in refused.content.decode()
    assert Response.objects.count() == 3
    assert answer(client, survey, ip=OTHER_IP).status_code == 200
    assert Response.objects.count() == 4


def test_a_filled_honeypot_is_not_counted(client, library, monkeypatch):
    monkeypatch.setitem(signup.CLIENT_LIMITS, SignupAttempt.Kind.SURVEY, (1, dt.timedelta(hours=1)))
    survey = make_survey(library)
    for _ in range(3):
        assert answer(client, survey, website="http://spam.example").status_code == 200

    assert answer(client, survey).status_code == 200
    assert Response.objects.count() == 1


def test_focus_group_sign_ups_past_five_are_refused_and_not_stored(client, library):
    survey = make_survey(library)
    for number in range(5):
        assert volunteer(client, survey, number).status_code == 200

    refused = volunteer(client, survey, 5)

    assert refused.status_code == 429
    assert "Probeer het later opnieuw" in refused.content.decode()
    assert Volunteer.objects.count() == 5
    assert volunteer(client, survey, 6, ip=OTHER_IP).status_code == 200


def test_the_count_keeps_no_address_and_ends_with_its_window(library):
    now = timezone.now()
    kind = SignupAttempt.Kind.VOLUNTEER
    for _ in range(5):
        assert signup.client_allowed(kind=kind, client=IP, now=now)
    assert not signup.client_allowed(kind=kind, client=IP, now=now)

    assert signup.client_allowed(kind=kind, client=IP, now=now + dt.timedelta(minutes=61))
    assert not SignupAttempt.objects.filter(key__contains=IP).exists()
    signup.prune_attempts(now + dt.timedelta(days=2))
    assert not SignupAttempt.objects.exists()
