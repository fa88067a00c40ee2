"""A block moved in a mail is listed in words, Dutch and English, on the journey's page of
what a version changed (journeys/diffs.py's "moved" kind)."""

import re

import pytest
from django.urls import reverse

from patronflow.journeys.definitions import install_journey
from tests.factories import EnrolmentFactory
from tests.journeys.helpers import definition, step

pytestmark = pytest.mark.django_db

GREETING = {"type": "paragraph", "html": "Dag {{ first_name }},"}
TITLE = {"type": "heading", "text": "Nieuw in de bibliotheek"}
BUTTON = {"type": "button", "text": "Naar Mijn Bibliotheek", "url": "{{ profile_url }}"}


def with_blocks(blocks: list[dict]) -> dict:
    mail = step("Welkom", 0)
    mail["variants"] = [{"segment": "", "subject": "Welkom", "blocks": blocks}]
    return definition("nieuw", steps=[mail])


@pytest.mark.parametrize(
    ("language", "line"),
    [
        ("nl", "Mail 1, Alle anderen: blok Alinea verplaatst van plaats 1 naar 3"),
        ("en", "Mail 1, Everyone else: block Paragraph moved from place 1 to 3"),
    ],
)
def test_a_moved_block_is_listed_in_words_on_the_page_of_what_the_version_changed(
    staff_client, library, language, line
):
    journey = install_journey(library, with_blocks([GREETING, TITLE, BUTTON])).journey
    EnrolmentFactory(journey=journey)  # a member is in it: saving again makes version 2
    install_journey(library, with_blocks([TITLE, BUTTON, GREETING]))
    staff_client.cookies["django_language"] = language

    url = reverse("staff:journey_version_changes", args=[journey.pk]) + "?version=2"
    page = staff_client.get(url).content.decode()

    listed = [re.sub(r"<[^>]+>", "", item).strip() for item in re.findall(r"<li>(.*?)</li>", page)]
    assert line in listed
