"""What a member receives: parsed with the email package, as a mail client would."""

import re
from urllib.parse import urlsplit

import pytest

from patronflow.choices.queries import receives
from patronflow.choices.services import standard_lists
from patronflow.journeys.definitions import install_standard_journeys
from patronflow.journeys.models import Variant, Version
from patronflow.mail.models import Message
from patronflow.operations.tick import tick
from patronflow.templating.blocks import from_html
from patronflow.tracking.models import Event
from tests.factories import TODAY, LibraryFactory, MemberFactory, at

BASE = "https://mail.example-network.be"


def hrefs(html: str) -> list[str]:
    return re.findall(r'href="([^"]+)"', html)


@pytest.fixture
def welcome_mail(db, smtp_server):
    library = LibraryFactory(
        code="leuven",
        name="Bibliotheek Leuven",
        survey_url="https://leuven.bibliotheek.be/enquete",
    )
    install_standard_journeys(library)
    # The standard journeys hold 10% out by member id; this test is about a mail that went.
    Version.objects.filter(journey__library=library).update(holdout_percent=0)
    member = MemberFactory(
        library=library, first_name="Amélie", last_name="Peeters", registered_on=TODAY
    )
    tick(at(TODAY))
    [mail] = smtp_server.to(member.email)
    return mail, member, library


def test_mail_is_addressed_by_first_name_from_the_library(welcome_mail):
    mail, _member, library = welcome_mail
    assert mail["To"].addresses[0].display_name == "Amélie Peeters"
    assert mail["From"].addresses[0].addr_spec == library.sender_email
    assert mail["From"].addresses[0].display_name == library.sender_name
    assert mail["Subject"] == "Welkom bij Bibliotheek Leuven, Amélie!"
    assert "Dag Amélie," in mail.get_body(("html",)).get_content()
    assert mail["Message-ID"].endswith("@leuven.bibliotheek.be>")
    assert mail["Date"]


def test_mail_has_html_and_plain_text_parts(welcome_mail):
    mail, _, _ = welcome_mail
    assert mail.get_content_type() == "multipart/alternative"
    html = mail.get_body(("html",)).get_content()
    text = mail.get_body(("plain",)).get_content()
    assert html.lstrip().startswith("<!DOCTYPE html>")
    assert '<html lang="nl"' in html
    assert "<" not in text.replace("<http", "")  # no markup leaks into the text part
    assert "Dag Amélie," in text


def test_mail_carries_one_click_unsubscribe_headers(welcome_mail, client):
    mail, member, _ = welcome_mail
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    https, mailto = (part.strip().strip("<>") for part in mail["List-Unsubscribe"].split(","))
    assert https.startswith(f"{BASE}/t/u/")
    assert re.fullmatch(
        r"mailto:unsubscribe\+[0-9a-z]+-[0-9a-f]{16}@leuven\.bibliotheek\.be", mailto
    )
    assert mail["List-Id"].startswith("Welkomstmails <welcome.")

    response = client.post(https.removeprefix(BASE), {"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    member.refresh_from_db()
    assert member.unsubscribed_at is None  # only the welcome mails stop
    assert not receives(member, standard_lists(member.library)["welcome"])


def test_every_link_in_the_mail_leads_where_it_promises(welcome_mail, client):
    mail, _member, library = welcome_mail
    links = hrefs(mail.get_body(("html",)).get_content())
    destinations = []
    for link in links:
        if link == library.privacy_url:
            continue
        assert link.startswith(BASE), f"untracked or external link {link}"
        path = link.removeprefix(BASE)
        if "/t/c/" in path:
            response = client.get(path)
            assert response.status_code == 302
            destinations.append(response["Location"])
    assert library.privacy_url in links
    assert library.profile_url in destinations
    assert library.survey_url in destinations
    assert any("/t/f/" in link and link.endswith("/up") for link in links)
    assert any("/t/f/" in link and link.endswith("/down") for link in links)
    assert sum("/t/u/" in link for link in links) == 1  # in the text of mail 1
    [preferences] = [link for link in links if "/t/p/" in link]  # the footer's
    assert client.get(preferences.removeprefix(BASE)).status_code == 200
    assert Event.objects.filter(kind=Event.Kind.CLICK).count() == len(destinations)


def test_plain_text_part_contains_every_link_of_the_html(welcome_mail):
    mail, _, _ = welcome_mail
    text = mail.get_body(("plain",)).get_content()
    for link in hrefs(mail.get_body(("html",)).get_content()):
        assert link.replace("&amp;", "&") in text


def test_links_carry_no_personal_data(welcome_mail):
    mail, member, _ = welcome_mail
    raw = mail.as_string()
    for link in hrefs(mail.get_body(("html",)).get_content()):
        path = urlsplit(link).path
        for personal in (member.email, member.first_name, member.last_name, member.external_id):
            assert personal.lower() not in path.lower()
    assert raw.count(member.email) >= 1  # only in the To header


def test_no_open_pixel_without_the_librarys_consent(welcome_mail, smtp_server):
    mail, _member, library = welcome_mail
    assert "/t/o/" not in mail.get_body(("html",)).get_content()

    library.track_opens = True
    library.save()
    second = MemberFactory(library=library, registered_on=TODAY)
    tick(at(TODAY))
    [tracked] = smtp_server.to(second.email)
    assert re.search(
        r'<img src="https://mail\.example-network\.be/t/o/[^"]+\.gif"',
        tracked.get_body(("html",)).get_content(),
    )


def test_the_message_records_what_was_sent(welcome_mail):
    mail, member, library = welcome_mail
    message = Message.objects.get(enrolment__member=member)
    assert message.status == Message.Status.SENT
    assert message.subject == mail["Subject"]
    assert message.header_message_id == mail["Message-ID"].strip()
    assert message.to_email == member.email
    assert set(message.links) == {library.profile_url, library.survey_url}


def test_the_privacy_statement_is_linked_directly_and_never_tracked(welcome_mail):
    """It must open while the tracking server is down, and nobody's reading of it is
    recorded: in both parts, the library's own address, not a click link."""
    mail, _, library = welcome_mail
    html = mail.get_body(("html",)).get_content()
    text = mail.get_body(("plain",)).get_content()
    assert f'href="{library.privacy_url}"' in html
    assert library.privacy_url in text
    message = Message.objects.get(to_email=mail["To"].addresses[0].addr_spec)
    assert library.privacy_url not in message.links


def test_a_privacy_link_in_the_staff_text_is_not_tracked_either(library, smtp_server):
    Variant.objects.filter(step__version__journey__key="welcome").update(
        blocks=from_html(
            '<p>Lees <a href="{{ privacy_url }}">hoe we je gegevens gebruiken</a>.</p>'
        )
    )
    member = MemberFactory(library=library, registered_on=TODAY)
    tick(at(TODAY))

    [mail] = smtp_server.to(member.email)
    html = mail.get_body(("html",)).get_content()
    assert html.count(f'href="{library.privacy_url}"') == 2  # the text's and the footer's
    assert Message.objects.get(enrolment__member=member).links == []
