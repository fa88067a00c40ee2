"""A click link leads only to a destination the mail itself held: nothing in the request —
query string, path, headers — and nothing odd stored in a message can make it an open
redirect. Expired links answer 404 like forged ones and write nothing."""

import datetime as dt
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from patronflow.choices.queries import receives
from patronflow.tracking.models import Event
from tests.factories import MessageFactory
from tests.tracking.links import click_link, feedback_link, open_link, unsubscribe_link

CATALOGUE = "https://catalogus.example.be/boek/1"
ATTACKS = [
    "https://evil.example/",
    "//evil.example/",
    "///evil.example/",
    "/\\evil.example/",
    "\\\\evil.example",
    "https:evil.example",
    "https://catalogus.example.be@evil.example/",
    "https://evil.example%2F@catalogus.example.be/",
    "javascript:alert(document.cookie)",
    "data:text/html,<script>alert(1)</script>",
    "%0d%0aLocation:%20https://evil.example/",
]


@pytest.mark.django_db
@pytest.mark.parametrize("attack", ATTACKS)
def test_a_destination_in_the_request_is_ignored(client, attack):
    message = MessageFactory(links=[CATALOGUE])
    link = click_link(message.id, 0)

    answers = [
        client.get(link, {"url": attack, "next": attack, "redirect": attack, "to": attack}),
        client.get(link, HTTP_REFERER=attack, HTTP_HOST="catalogus.example.be"),
        client.get(f"{link}/{attack}"),
    ]

    for response in answers:
        assert response.status_code in {302, 404}
        if response.status_code == 302:
            assert response["Location"] == CATALOGUE
        else:
            assert not response.has_header("Location")


@pytest.mark.django_db
@pytest.mark.parametrize("stored", [a for a in ATTACKS if not a.startswith("https://")])
def test_a_stored_link_that_is_no_web_address_is_never_followed(client, stored):
    message = MessageFactory(links=[stored])

    response = client.get(click_link(message.id, 0))

    assert response.status_code == 404
    assert not response.has_header("Location")
    assert not Event.objects.exists()


@pytest.mark.django_db
def test_a_location_header_cannot_be_split_by_a_stored_link(client):
    message = MessageFactory(links=["https://catalogus.example.be/zoek?q=a\r\nSet-Cookie: x=1"])

    response = client.get(click_link(message.id, 0))

    assert response.status_code == 302
    assert urlsplit(response["Location"]).hostname == "catalogus.example.be"
    assert "\n" not in response["Location"]
    assert not response.cookies


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "link"),
    [
        ("open", lambda m: open_link(m.id)),
        ("click", lambda m: click_link(m.id, 0)),
        ("feedback", lambda m: feedback_link(m.id, "up")),
    ],
)
def test_a_link_from_a_mail_sent_over_a_year_ago_has_expired(client, name, link):
    message = MessageFactory(
        enrolment__journey__library__track_opens=True,
        sent_at=timezone.now() - dt.timedelta(days=400),
    )

    response = client.get(link(message))

    assert response.status_code == 404, name
    assert not Event.objects.exists()


@pytest.mark.django_db
def test_the_unsubscribe_link_of_an_old_mail_still_works(client):
    message = MessageFactory(sent_at=timezone.now() - dt.timedelta(days=400))

    response = client.post(unsubscribe_link(message.id))

    assert response.status_code == 200
    assert not receives(message.enrolment.member, message.step.version.journey.mailing_list)
