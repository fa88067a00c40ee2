"""What a library agreed to track is what its mails carry: no pixel without open tracking,
plain links without click tracking."""

import re

import pytest
from django.conf import settings
from django.core.management import call_command

from patronflow.mail.rendering import render_mail
from patronflow.members.models import Library
from tests.factories import LibraryFactory, MemberFactory

BODY = (
    "<p>Dag {{ first_name }}, kijk eens in "
    '<a href="https://catalogus.example.be/nieuw">de catalogus</a>.</p>'
)


def _mail(library: Library):
    return render_mail(
        message_id=42,
        member=MemberFactory.build(library=library),
        library=library,
        subject="Nieuw in de bibliotheek",
        preheader="",
        body=BODY,
        reading_tips=[],
    )


def _images(html: str) -> list[str]:
    return re.findall(r"<img\b[^>]*>", html)


def test_a_library_that_does_not_track_opens_sends_no_pixel():
    mail = _mail(LibraryFactory.build(track_opens=False))

    assert _images(mail.html) == []
    assert "/t/o/" not in mail.html


def test_a_library_that_tracks_opens_sends_one_pixel_from_the_instance():
    mail = _mail(LibraryFactory.build(track_opens=True))

    [pixel] = _images(mail.html)
    assert f'src="{settings.BASE_URL}/t/o/' in pixel


def test_with_click_tracking_on_links_go_through_the_tracking_server():
    mail = _mail(LibraryFactory.build(track_clicks=True))

    assert 'href="https://catalogus.example.be/nieuw"' not in mail.html
    assert f'href="{settings.BASE_URL}/t/c/' in mail.html
    assert mail.links[0] == "https://catalogus.example.be/nieuw"


def test_with_click_tracking_off_links_go_straight_to_their_destination():
    library = LibraryFactory.build(track_clicks=False, survey_url="https://gent.be/enquete")

    mail = _mail(library)

    assert 'href="https://catalogus.example.be/nieuw"' in mail.html
    assert 'href="https://gent.be/enquete"' in mail.html
    assert f'href="{library.privacy_url}"' in mail.html
    assert "/t/c/" not in mail.html and "/t/c/" not in mail.text
    # The preference page and feedback still work: they are not tracking but the member's
    # choices.
    assert "/t/p/" in mail.html and "/t/f/" in mail.html


@pytest.mark.django_db
def test_library_add_and_set_turn_click_tracking_off_and_on():
    call_command("library", "add", "gent", "--name", "Bibliotheek Gent", "--no-track-clicks")
    assert Library.objects.get(code="gent").track_clicks is False

    call_command("library", "set", "gent", "--track-clicks")
    assert Library.objects.get(code="gent").track_clicks is True

    call_command("library", "add", "leuven", "--name", "Bibliotheek Leuven")
    assert Library.objects.get(code="leuven").track_clicks is True
