"""What members see loads nothing from, and links to nothing on, anyone else's servers:
no CDN, no web fonts, no remote images, no analytics. Only the instance itself
(PATRONFLOW_BASE_URL) and the library's own pages."""

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.urls import reverse

from patronflow.journeys.definitions import STANDARD_JOURNEYS, standard_definition
from patronflow.mail.rendering import render_mail
from patronflow.profiles.tips import ReadingTip
from tests.factories import LibraryFactory, MemberFactory, MessageFactory
from tests.tracking.links import feedback_link, unsubscribe_link

# Anything with an authority part: https://host, http://host, //host (protocol-relative).
ADDRESS = re.compile(r"(?i)(?:\b[a-z][a-z0-9+.-]*:)?//([a-z0-9.-]+)")


class Hosts(HTMLParser):
    """Every host named anywhere in a page: attributes, inline CSS, <style>, text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for _, value in attrs:
            self.handle_data(value or "")

    def handle_data(self, data: str) -> None:
        self.found |= {host.lower() for host in ADDRESS.findall(data)}


def hosts_in(html: str) -> set[str]:
    parser = Hosts()
    parser.feed(html)
    parser.close()
    return parser.found


def own_hosts(library) -> set[str]:
    urls = [settings.BASE_URL, library.privacy_url, library.profile_url, library.survey_url]
    return {urlsplit(url).hostname for url in urls if url}


def built_in_variants() -> list:
    return [
        pytest.param(variant, id=f"{key}/{step['name']}/{variant['segment'] or '-'}")
        for key in STANDARD_JOURNEYS
        for step in standard_definition(key)["steps"]
        for variant in step["variants"]
    ]


@pytest.mark.parametrize("variant", built_in_variants())
@pytest.mark.parametrize("has_online_profile", [False, True], ids=["no profile", "profile"])
def test_every_built_in_mail_names_only_the_library_and_the_instance(variant, has_online_profile):
    library = LibraryFactory.build(
        code="gent", track_opens=True, survey_url="https://gent.bibliotheek.be/enquete"
    )
    member = MemberFactory.build(library=library, has_online_profile=has_online_profile)

    mail = render_mail(
        message_id=12345,
        member=member,
        library=library,
        subject=variant["subject"],
        preheader=variant.get("preheader", ""),
        body=variant["body"],
        reading_tips=[ReadingTip("De avonden", "Gerard Reve")],
    )

    named = hosts_in(mail.html) | set(ADDRESS.findall(mail.text))
    assert urlsplit(settings.BASE_URL).hostname in named  # the parser does see the links
    assert named <= own_hosts(library)
    assert {urlsplit(link).hostname for link in mail.links} <= own_hosts(library)


@pytest.mark.django_db
def test_the_public_pages_name_only_the_library_and_the_instance(client):
    message = MessageFactory()
    library = message.library
    pages = {
        "unsubscribe confirmation": ("get", unsubscribe_link(message.id)),
        "unsubscribed": ("post", unsubscribe_link(message.id)),
        "feedback": ("get", feedback_link(message.id, "down")),
        "feedback comment": ("post", feedback_link(message.id, "down")),
        "invalid link": ("get", reverse("tracking:feedback", args=["nope", "up"])),
    }

    for name, (method, url) in pages.items():
        page = getattr(client, method)(url, {"comment": "Te veel mails"}).content.decode()
        named = hosts_in(page)
        assert named <= own_hosts(library), name
    assert urlsplit(library.privacy_url).hostname in hosts_in(
        client.get(unsubscribe_link(message.id)).content.decode()
    )
