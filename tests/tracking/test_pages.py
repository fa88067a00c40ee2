"""The member-facing pages: Dutch, private, self-contained."""

import re

import pytest
from django.urls import reverse

from patronflow.tracking.tokens import make_token
from tests.factories import MessageFactory
from tests.tracking.links import click_link, feedback_link, unsubscribe_link


def _pages(message_id: int) -> dict[str, tuple[str, str]]:
    return {
        "unsubscribe confirmation": ("get", unsubscribe_link(message_id)),
        "unsubscribed": ("post", unsubscribe_link(message_id)),
        "feedback": ("get", feedback_link(message_id, "up")),
        "feedback comment": ("post", feedback_link(message_id, "up")),
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

    tokens = [make_token(p, message.id) for p in ("open", "unsubscribe", "feedback")]
    for token in tokens:
        for personal in (member.email, member.first_name, member.last_name, member.external_id):
            assert personal.lower() not in token.lower()
