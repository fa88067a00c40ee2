"""The journey editor carries each mail's content without showing its HTML: a short outline
of its blocks and a link to the mail designer; a new mail starts from a greeting and a
paragraph to write over; a saved mail's text is left exactly as it was."""

import re

import pytest
from django.urls import reverse

from patronflow.journeys.definitions import export_definition
from patronflow.journeys.models import Journey
from tests.staff.studio_forms import Editor, editor_url
from tests.staff.test_mail_editor import text

pytestmark = pytest.mark.django_db


def outlines(page: str) -> list[list[str]]:
    return [
        [text(item) for item in re.findall(r"<li>(.*?)</li>", found, re.S)]
        for found in re.findall(r'<div class="mail-outline">.*?<ol>(.*?)</ol>', page, re.S)
    ]


def test_each_mail_shows_its_blocks_in_words_and_a_link_to_the_designer(staff_client, library):
    welcome = Journey.objects.get(library=library, key="welcome")
    page = Editor(staff_client, editor_url("studio_edit", welcome.pk)).page

    first = outlines(page)[0]
    assert first[0] == "Alinea: Dag {{ first_name }},"
    assert first[2].startswith("Alinea: Maak je profiel aan in Mijn Bibliotheek.")
    assert first[2].endswith("(leden zonder online profiel)")
    designer = reverse("staff:mail", args=[welcome.pk, 1, "default"])
    assert f'<a href="{designer}">Mail 1 ontwerpen (Alle anderen)</a>' in page
    assert "<textarea" not in page.split('id="steps-title"')[1].split("</section>")[0]


def test_a_new_mail_starts_with_a_greeting_and_a_paragraph(staff_client, library):
    editor = Editor(staff_client, editor_url("studio_new"))
    editor.set(name="Nieuwe lezers", step0_name="Hallo", step0_variant0_subject="Hallo")

    editor.press("save")

    journey = Journey.objects.get(library=library, key="nieuwe-lezers")
    body = journey.current_version.steps.get().variants.get().body
    assert body == "<p>Dag {{ first_name }},</p>\n<p>…</p>"
    assert "Bewaar eerst; daarna opent de mailontwerper deze mail." not in editor.page


def test_saving_the_journey_leaves_a_mails_text_as_it_was(staff_client, library):
    welcome = Journey.objects.get(library=library, key="welcome")
    before = export_definition(welcome)
    editor = Editor(staff_client, editor_url("studio_edit", welcome.pk))

    editor.set(step0_name="Welkom!").press("save")

    after = export_definition(welcome)
    assert after["steps"][0]["name"] == "Welkom!"
    for was, now in zip(before["steps"], after["steps"], strict=True):
        assert now["variants"] == was["variants"]


def test_the_newsletter_preset_is_made_of_blocks(staff_client, library):
    page = Editor(staff_client, editor_url("studio_new", query="preset=newsletter")).page

    assert outlines(page)[0] == [
        "Alinea: Dag {{ first_name }},",
        "Alinea: Dit is er de komende weken te doen in {{ library_name }}:",
        "Opsomming: …",
        "Alinea: Tot binnenkort in de bib!",
        "Leestips",
    ]
