"""The member-facing pages: Dutch, private, self-contained."""

import re

import pytest
from django.urls import reverse

from patronflow.mail.models import BrandKit
from patronflow.mail.tokens import make_token
from patronflow.surveys.queries import public_url
from tests.factories import MessageFactory
from tests.surveys.helpers import make_survey
from tests.tracking.links import click_link, feedback_link, preferences_link, unsubscribe_link


def _pages(message_id: int) -> dict[str, tuple[str, str]]:
    return {
        "unsubscribe confirmation": ("get", unsubscribe_link(message_id)),
        "unsubscribed": ("post", unsubscribe_link(message_id)),
        "feedback": ("get", feedback_link(message_id, "up")),
        "feedback comment": ("post", feedback_link(message_id, "up")),
        "preferences": ("get", preferences_link(message_id)),
        "preferences posted": ("post", preferences_link(message_id)),
        "invalid link": ("get", reverse("tracking:unsubscribe", args=["nope"])),
    }


@pytest.mark.django_db
def test_pages_set_no_cookies_load_nothing_from_other_hosts_and_are_never_cached(client):
    message = MessageFactory()

    for name, (method, url) in _pages(message.id).items():
        response = getattr(client, method)(url, {"comment": "Fijn!"})
        page = response.content.decode()
        assert '<html lang="nl">' in page, name
        assert not response.cookies, name
        assert not re.search(r"<(script|link|img|iframe)\b|\bsrc=|url\(", page), name
        assert "default-src 'none'" in response["Content-Security-Policy"], name
        assert response["Cache-Control"] == "no-store, private", name
        assert response["Referrer-Policy"] == "no-referrer", name


@pytest.mark.django_db
def test_a_broken_link_gets_a_friendly_dutch_page(client):
    response = client.get(click_link(MessageFactory().id, 7))

    assert response.status_code == 404
    assert "Deze link werkt niet (meer)" in response.content.decode()


@pytest.mark.django_db
def test_no_personal_data_in_tracking_links():
    message = MessageFactory()
    member = message.enrolment.member

    purposes = ("open", "unsubscribe", "feedback", "preferences")
    tokens = [make_token(p, message.id) for p in purposes]
    for token in tokens:
        for personal in (member.email, member.first_name, member.last_name, member.external_id):
            assert personal.lower() not in token.lower()


@pytest.mark.django_db
def test_pages_speak_the_language_of_the_mail_whatever_the_browser_asks_for(client):
    english = MessageFactory()
    english.step.version.language = "en"
    english.step.version.save()
    dutch = MessageFactory()

    response = client.get(unsubscribe_link(english.id), HTTP_ACCEPT_LANGUAGE="nl-BE,nl;q=0.8")
    page = response.content.decode()
    assert '<html lang="en">' in page
    assert response["Content-Language"] == "en"
    assert "Yes, stop these mails" in page
    assert "stop deze mails" not in page
    assert not response.cookies
    feedback = client.get(feedback_link(english.id, "up"), HTTP_ACCEPT_LANGUAGE="nl")
    assert '<html lang="en">' in feedback.content.decode()
    assert feedback["Content-Language"] == "en"

    page = client.get(unsubscribe_link(dutch.id), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="nl">' in page


@pytest.mark.django_db
def test_pages_wear_the_librarys_brand_colour(client):
    message = MessageFactory()
    BrandKit.objects.create(library=message.library, colour="#c0392b")

    page = client.get(feedback_link(message.id, "up")).content.decode()

    assert "background: #c0392b" in page


@pytest.mark.django_db
def test_a_colour_that_is_not_a_colour_never_reaches_the_page(client):
    message = MessageFactory()
    BrandKit.objects.create(library=message.library, colour="red}</s")

    page = client.get(feedback_link(message.id, "up")).content.decode()

    assert "red}" not in page


@pytest.mark.django_db
def test_the_thank_you_for_a_vote_links_out_to_the_librarys_survey(client):
    message = MessageFactory(enrolment__journey__library__survey_url="https://gent.be/enquete")

    page = client.post(feedback_link(message.id, "down"), {"vote": "down"}).content.decode()

    assert '<a href="https://gent.be/enquete"' in page


@pytest.mark.django_db
def test_the_thank_you_for_a_vote_links_to_the_librarys_own_open_survey(client):
    message = MessageFactory(enrolment__journey__library__survey_url="https://gent.be/enquete")
    survey = make_survey(message.library)

    page = client.post(feedback_link(message.id, "up"), {"vote": "up"}).content.decode()

    assert f'<a href="{public_url(survey=survey, channel="mail")}"' in page
    assert "https://gent.be/enquete" not in page
