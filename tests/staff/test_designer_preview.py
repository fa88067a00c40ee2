"""The designer's preview, beside the mail itself: its dark rendition, its size against
Gmail's clipping, SpamAssassin's score (asked for after the preview, cached by content)
and hints on the subject's and preheader's length, in the marketer's language."""

import re

import pytest
from django.urls import reverse

from tests.factories import MemberFactory
from tests.staff.test_mail_editor import as_htmx, html_block, text, welcome

pytestmark = pytest.mark.django_db


def preview(client, journey, data: dict) -> str:
    address = reverse("staff:preview", args=[journey.pk, 1, "default"])
    return as_htmx(client, address, data).content.decode()


def draft(library, body: str = "<p>Dag {{ first_name }},</p>", **changes) -> dict:
    member = MemberFactory(library=library, first_name="Fatima")
    return (
        {
            "subject": "Welkom, {{ first_name }}",
            "preheader": "Fijn dat je er bent. Zo haal je alles uit je lidmaatschap.",
            "member": member.pk,
        }
        | html_block(body)
        | changes
    )


def hint(page: str, field: str) -> str:
    found = re.search(rf'<p id="id_{field}_hint" class="([^"]*)"[^>]*>(.*?)</p>', page, re.S)
    assert found, f"no hint for {field}"
    return found[1], text(found[2])


def spam_url(page: str) -> str:
    return re.search(r'hx-get="([^"]+)"', page)[1].replace("&amp;", "&")


def test_the_dark_rendition_applies_the_mails_dark_mode_rules(staff_client, library):
    journey = welcome(library)
    page = preview(staff_client, journey, draft(library))
    light_url, dark_url = re.findall(r'<iframe src="([^"]+)"', page)
    light = staff_client.get(light_url).content.decode()
    dark = staff_client.get(dark_url.replace("&amp;", "&")).content.decode()

    assert "@media (prefers-color-scheme: dark)" in light
    assert "@media (prefers-color-scheme: dark)" not in dark
    assert "@media all {" in dark and "Dag Fatima" in dark


def test_the_preview_says_the_mails_size(staff_client, library):
    page = preview(staff_client, welcome(library), draft(library))

    size = re.search(r'data-testid="mail-size">(.*?)</li>', page)[1]
    assert re.fullmatch(
        r"De mail is \d+,\d KB \(Gmail knipt mails boven 102,0 KB af\)\.", text(size)
    ), size


def test_a_mail_over_gmails_clipping_size_is_warned_about(staff_client, library):
    long_body = "{% for n in range(4000) %}<p>Een heel lange alinea.</p>{% endfor %}"
    page = preview(staff_client, welcome(library), draft(library, body=long_body))

    size = re.search(r'<li class="warning" data-testid="mail-size">(.*?)</li>', page)
    assert size, "no warning"
    assert "Gmail knipt mails boven 102,0 KB af en verbergt de rest" in text(size[1])


def test_subject_and_preheader_get_hints_on_their_length(staff_client, library):
    page = preview(
        staff_client,
        welcome(library),
        draft(library, subject="{{ first_name }}, " + "lees mee " * 8, preheader="Kort"),
    )

    assert hint(page, "subject") == (
        "hint warning",
        "79 tekens: op een telefoon valt een onderwerp na ongeveer 60 tekens soms weg. "
        "Zet wat telt vooraan.",
    )
    assert hint(page, "preheader")[0] == "hint warning"
    assert hint(page, "preheader")[1].startswith("4 tekens: ")


def test_a_subject_that_fits_a_phone_is_said_to(staff_client, library):
    page = preview(staff_client, welcome(library), draft(library))

    assert hint(page, "subject") == ("hint", "14 tekens: kort genoeg voor een telefoon.")
    assert hint(page, "preheader") == ("hint", "58 tekens: een goede lengte.")


def test_the_spam_score_follows_the_preview(staff_client, library, spamassassin_path):
    page = preview(staff_client, welcome(library), draft(library))

    score = text(staff_client.get(spam_url(page)).content.decode())

    assert re.match(r"Spamscore: -?\d+,\d \(SpamAssassin rekent 5,0 of meer als spam\)\.", score)


def test_a_spam_score_asked_for_an_older_preview_is_not_given(staff_client, library):
    journey = welcome(library)
    first = preview(staff_client, journey, draft(library))
    preview(staff_client, journey, draft(library, subject="Iets anders"))

    score = text(staff_client.get(spam_url(first)).content.decode())

    assert score == "Spamscore: de mail is veranderd en wordt opnieuw gecontroleerd."


def test_without_spamassassin_the_preview_says_so(staff_client, library, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    # A subject of its own: a score of the same mail may be in the cache from another run.
    page = preview(staff_client, welcome(library), draft(library, subject=tmp_path.name))

    score = text(staff_client.get(spam_url(page)).content.decode())

    assert (
        score == "Spamscore: niet beschikbaar, SpamAssassin is niet geïnstalleerd op deze server."
    )


def test_a_block_still_empty_is_left_out_of_the_preview_and_said_so(staff_client, library):
    data = draft(library) | {
        "b-count": 2,
        "b-0-type": "paragraph",
        "b-0-html": "",
        "b-1-type": "html",
        "b-1-html": '<p onclick="x()">Dag {{ first_name }}</p>',
    }
    page = preview(staff_client, welcome(library), data)

    unfinished = re.search(r'data-testid="unfinished">(.*?)</p>', page)[1]
    assert text(unfinished) == "1 blok staat pas in het voorbeeld als het ingevuld is."
    assert (
        "Dag Fatima"
        in staff_client.get(re.search(r'<iframe src="([^"]+)"', page)[1]).content.decode()
    )
    note = re.search(r'<div id="b-1-html_problem"[^>]*>(.*?)</div>', page, re.S)[1]
    assert text(note).startswith(
        "Valt weg uit de mail bij het verzenden: de attributen onclick (<p>)"
    )
