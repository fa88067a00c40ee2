"""A mail of a journey that starts on an event, from the event the API stored to the mail a
member receives: the event's name, its moment in words and its tracked link."""

import datetime as dt
import re

import pytest

from patronflow.journeys.definitions import InvalidJourney, install_journey, normalise
from patronflow.mail.models import Message
from patronflow.mail.rendering import render_mail, sample_event
from patronflow.operations.tick import tick
from patronflow.tracking.models import Event
from tests.factories import TODAY, MemberFactory, at
from tests.journeys.event_helpers import install_activity_journey, registration
from tests.journeys.helpers import definition, only, step

BASE = "https://mail.example-network.be"
LINK = "https://gent.bibliotheek.be/activiteiten/voorleesuurtje"


def hrefs(html: str) -> list[str]:
    return re.findall(r'href="([^"]+)"', html)


@pytest.fixture
def activity_mail(library, smtp_server):
    install_activity_journey(library)
    member = MemberFactory(library=library, first_name="Amélie")
    registration(member, "2026-12-12T14:00:00+01:00", link=LINK)

    tick(at(TODAY))

    [mail] = smtp_server.to(member.email)
    return mail, member


def test_the_mail_names_the_activity_and_its_start_in_words(activity_mail):
    mail, _member = activity_mail
    html = mail.get_body(("html",)).get_content()
    text = mail.get_body(("plain",)).get_content()

    assert mail["Subject"] == "Praktisch: Voorleesuurtje op zaterdag 12 december 2026 om 14:00"
    for part in (html, text):
        assert "je bent ingeschreven voor Voorleesuurtje" in part
        assert "Wanneer: zaterdag 12 december 2026 om 14:00. Waar: Filiaal Ledeberg." in part


def test_the_activitys_link_is_tracked_and_leads_to_the_activity(activity_mail, client):
    mail, member = activity_mail
    html = mail.get_body(("html",)).get_content()

    assert LINK not in hrefs(html)
    message = Message.objects.get(enrolment__member=member)
    assert LINK in message.links
    clicks = [link for link in hrefs(html) if "/t/c/" in link]
    destinations = [client.get(link.removeprefix(BASE))["Location"] for link in clicks]
    assert LINK in destinations
    assert Event.objects.filter(kind=Event.Kind.CLICK).count() == len(clicks)


def test_an_english_mail_writes_the_moment_in_english(library, smtp_server):
    install_activity_journey(library, language="en")
    member = MemberFactory(library=library)
    registration(member, "2026-12-12T13:00:00Z")

    tick(at(TODAY))

    [mail] = smtp_server.to(member.email)
    assert mail["Subject"] == "Praktisch: Voorleesuurtje op Saturday 12 December 2026 at 14:00"


def test_a_property_the_event_lacks_is_empty_not_an_error(library, smtp_server):
    install_activity_journey(library)
    member = MemberFactory(library=library)
    registration(member, place="")
    event = member.events.get()
    event.properties.pop("place")
    event.save()

    tick(at(TODAY))

    [mail] = smtp_server.to(member.email)
    assert "Waar: ." in mail.get_body(("plain",)).get_content()


def test_an_ordinary_journeys_mail_reads_no_event(library, smtp_server):
    only(library, "plain")
    install_journey(
        library,
        definition(
            "plain",
            steps=[step("Nieuws", subject="Nieuws{% if event %} over {{ event.name }}{% endif %}")],
        ),
    )
    member = MemberFactory(library=library)

    tick(at(TODAY))

    [mail] = smtp_server.to(member.email)
    assert mail["Subject"] == "Nieuws"


def test_a_preview_shows_a_sample_activity_next_saturday(library):
    member = MemberFactory.build(library=library)

    preview = render_mail(
        message_id=0,
        member=member,
        library=library,
        subject="{{ event.name }}, {{ event.starts_at }}",
        preheader="",
        body="<p>{{ event.place }}</p>",
        reading_tips=[],
    )

    assert re.fullmatch(r"Voorleesuurtje, zaterdag \d+ \w+ 20\d\d om 14:00", preview.subject)
    assert library.name in preview.html
    saturday = sample_event(library, "en", dt.date(2026, 12, 7)).starts_at
    assert saturday == "Saturday 12 December 2026 at 14:00"


def test_a_button_may_link_to_the_events_address():
    button = {"type": "button", "text": "Naar de activiteit", "url": "{{ event.link }}"}
    with_button = definition(steps=[step("Info")])
    with_button["steps"][0]["variants"][0] = {
        "segment": "",
        "subject": "{{ event.name }}",
        "blocks": [{"type": "paragraph", "html": "Tot {{ event.starts_at }}!"}, button],
    }

    blocks = normalise(with_button)["steps"][0]["variants"][0]["blocks"]

    assert blocks[1]["url"] == "{{ event.link }}"


def test_a_template_mistake_with_the_event_is_refused_when_saved():
    broken = definition(steps=[step("Info", subject="{{ event.name.nope() }}")])

    with pytest.raises(InvalidJourney):
        normalise(broken)
