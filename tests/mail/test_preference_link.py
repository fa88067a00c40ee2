"""Every mail links to the member's preference page (p/<token>): in the footer of the HTML
and the text part, untracked like the unsubscribe link, and for staff as {{ preferences_url }};
the one-click header still names the unsubscribe address (RFC 8058)."""

import re

import pytest
from django.test import override_settings
from django.urls import reverse

from patronflow.mail.rendering import render_mail
from patronflow.mail.skeletons import SkeletonRenderer
from patronflow.mail.tokens import make_token, read_token
from patronflow.members.models import Library, Member
from patronflow.templating.blocks import to_template, validate
from patronflow.templating.staff_text import check_staff_template

BASE = "https://mail.example-network.be"
PREFERENCES = re.compile(re.escape(BASE) + r"/t/p/([^\s\"'<>)]+)")


def library(**fields) -> Library:
    return Library(
        pk=5,
        code="gent",
        name="Bibliotheek Gent",
        privacy_url="https://gent.bibliotheek.be/privacy",
        **fields,
    )


def mail(body: str = "<p>Dag {{ first_name }}</p>", *, language: str = "nl", **fields):
    lib = library(**fields)
    return render_mail(
        message_id=4242,
        member=Member(library=lib, first_name="An"),
        library=lib,
        subject="Nieuws",
        preheader="",
        body=body,
        reading_tips=[],
        language=language,
    )


def preference_url(message_id: int) -> str:
    return BASE + reverse("tracking:preferences", args=[make_token("preferences", message_id)])


@override_settings(BASE_URL=BASE)
@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("nl", "Kies welke mails je krijgt of schrijf je uit"),
        ("en", "Choose which mails you get or unsubscribe"),
    ],
)
def test_the_footer_links_to_this_messages_preference_page_in_html_and_text(language, words):
    rendered = mail(language=language)
    url = preference_url(4242)

    assert f'<a href="{url}"' in rendered.html
    assert f"[{words}]({url})" in rendered.text
    assert read_token("preferences", PREFERENCES.search(rendered.text)[1]).message_id == 4242


@override_settings(BASE_URL=BASE)
@pytest.mark.parametrize("track_clicks", [True, False])
def test_the_preference_link_is_never_a_click_link_and_the_header_keeps_unsubscribing(
    track_clicks,
):
    rendered = mail(track_clicks=track_clicks)

    [footer_link] = re.findall(r'<a href="([^"]+)"[^>]*>Kies welke mails', rendered.html)
    assert footer_link == preference_url(4242)
    assert footer_link not in rendered.links
    assert rendered.unsubscribe_url.startswith(f"{BASE}/t/u/")
    assert f'href="{rendered.unsubscribe_url}"' not in rendered.html


@override_settings(BASE_URL=BASE)
def test_staff_text_may_link_to_the_preference_page():
    body = '<p>Minder? <a href="{{ preferences_url }}">Kies hier</a>. {{ preferences_url }}</p>'

    rendered = mail(body)

    url = preference_url(4242)
    assert re.findall(r'<a href="([^"]+)"[^>]*>Kies hier', rendered.html) == [url]
    assert rendered.text.count(url) == 3  # the link, the address written out, the footer
    assert url not in rendered.links
    check_staff_template(body, html=True)  # refused on saving otherwise


@override_settings(BASE_URL=BASE)
def test_the_fast_route_puts_each_members_own_preference_link_in():
    lib = library()
    batch = SkeletonRenderer()
    body = '<p>Dag {{ first_name }}, <a href="{{ preferences_url }}">je mails</a></p>'
    for message_id in (11, 12):
        arguments = {
            "message_id": message_id,
            "member": Member(library=lib, first_name="Jan"),
            "library": lib,
            "subject": "Nieuws",
            "preheader": "",
            "body": body,
            "reading_tips": [],
        }
        fast = batch.render(**arguments)
        assert fast == render_mail(**arguments)
        assert f'href="{preference_url(message_id)}"' in fast.html
    assert batch.fast == 2


def test_a_button_may_link_to_the_preference_page():
    blocks = [{"type": "button", "text": "Kies je mails", "url": "{{ preferences_url }}"}]

    assert validate(blocks) == []
    assert "{{ preferences_url }}" in to_template(blocks)
