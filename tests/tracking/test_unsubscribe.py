"""The unsubscribe link and the RFC 8058 one-click: they leave the list (topic) the mail went
out on, and only that list; a service list is not left on its own and stops all mail."""

import html
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from patronflow.choices import texts
from patronflow.choices.models import ConsentRecord, ListChoice
from patronflow.choices.services import standard_lists
from patronflow.journeys.models import Enrolment
from patronflow.mail.models import Message
from patronflow.members.models import Member
from patronflow.tracking.models import Event
from tests.factories import EnrolmentFactory, JourneyFactory, MessageFactory
from tests.tracking.links import unsubscribe_link

ONE_CLICK = "List-Unsubscribe=One-Click"


def _on_list(key: str, member: Member | None = None) -> Message:
    """A sent message of a journey on the library's standard list `key` (to `member`, in a
    journey of their library, when given)."""
    if member is None:
        message = MessageFactory()
    else:
        journey = JourneyFactory(library=member.library)
        message = MessageFactory(enrolment=EnrolmentFactory(journey=journey, member=member))
    journey = message.step.version.journey
    journey.mailing_list = standard_lists(journey.library)[key]
    journey.save(update_fields=["mailing_list"])
    return message


def _one_click(message: Message):
    """What a mail program's unsubscribe button sends: no cookie, no form of ours."""
    return Client(enforce_csrf_checks=True).post(
        unsubscribe_link(message.id), ONE_CLICK, content_type="application/x-www-form-urlencoded"
    )


def _member_on_two_lists():
    """A member with a welcome mail, and an active enrolment on a newsletter journey."""
    message = _on_list("welcome")
    member = message.enrolment.member
    newsletter = JourneyFactory(library=member.library, key="nieuws")
    other = EnrolmentFactory(journey=newsletter, member=member)
    return message, member, other


@pytest.mark.django_db
def test_get_asks_about_the_mails_list_by_name_and_changes_nothing(client):
    message, member, _ = _member_on_two_lists()

    response = client.get(unsubscribe_link(message.id))

    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="nl">' in page
    assert "De mails van «Welkomstmails» stoppen?" in page
    assert "Andere mails van de bibliotheek krijg je gewoon nog." in page
    assert f'href="{member.library.privacy_url}"' in page
    assert '<form method="post">' in page
    member.refresh_from_db()
    assert member.unsubscribed_at is None
    assert set(Enrolment.objects.values_list("status", flat=True)) == {"active"}
    assert not Event.objects.exists()
    assert not ListChoice.objects.exists() and not ConsentRecord.objects.exists()


@pytest.mark.django_db
def test_the_pages_button_leaves_only_the_mails_list_recorded_as_the_link(client):
    message, member, other = _member_on_two_lists()

    response = client.post(unsubscribe_link(message.id), {"confirmed": "yes"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "Je krijgt geen mails van «Welkomstmails» meer" in page
    assert "Andere mails van Bibliotheek" in page
    member.refresh_from_db()
    assert member.unsubscribed_at is None
    [choice] = ListChoice.objects.all()
    assert (choice.member, choice.mailing_list.key, choice.receives) == (member, "welcome", False)
    [consent] = ConsentRecord.objects.all()
    assert (consent.choice, consent.source, consent.text_version, consent.list_name) == (
        "left",
        "link",
        "leave-link/1",
        "Welkomstmails",
    )
    message.enrolment.refresh_from_db()
    assert message.enrolment.status == Enrolment.Status.EXITED
    assert message.enrolment.exit_reason == Enrolment.ExitReason.LEFT_LIST
    assert message.enrolment.ended_on == timezone.localdate()
    other.refresh_from_db()
    assert other.status == Enrolment.Status.ACTIVE
    assert list(Event.objects.values_list("message_id", "kind")) == [(message.id, "unsubscribe")]


@pytest.mark.django_db
def test_a_mail_programs_one_click_is_recorded_as_one_click_without_cookies():
    message = _on_list("newsletter")

    response = _one_click(message)

    assert response.status_code == 200
    assert not response.cookies
    [consent] = ConsentRecord.objects.all()
    assert (consent.source, consent.text_version) == ("one_click", "one-click/1")
    assert ListChoice.objects.get().mailing_list.key == "newsletter"


@pytest.mark.django_db
def test_retried_one_clicks_and_double_posts_record_one_choice_and_one_event(client):
    message = _on_list("newsletter")
    member = message.enrolment.member
    later_mail = _on_list("newsletter", member)

    for _ in range(3):
        assert _one_click(message).status_code == 200
    assert client.post(unsubscribe_link(later_mail.id), {"confirmed": "yes"}).status_code == 200

    assert ListChoice.objects.count() == 1
    assert ConsentRecord.objects.get().source == "one_click"
    assert Event.objects.filter(kind=Event.Kind.UNSUBSCRIBE).count() == 1


@pytest.mark.django_db
def test_after_leaving_the_link_says_so_instead_of_asking_again(client):
    message = _on_list("newsletter")
    _one_click(message)

    page = client.get(unsubscribe_link(message.id)).content.decode()

    assert "Je krijgt geen mails van «Nieuwsbrief» meer" in page
    assert "<form" not in page


@pytest.mark.django_db
def test_a_service_lists_page_says_honestly_that_stopping_means_no_mail_at_all(client):
    message = _on_list("membership")

    page = client.get(unsubscribe_link(message.id)).content.decode()

    assert "Geen mails meer van de bibliotheek?" in page
    assert "«Berichten over je lidmaatschap»" in page
    assert "helemaal geen mails meer" in page
    assert "Ja, stuur me geen mails meer" in page


@pytest.mark.django_db
def test_one_click_on_a_service_message_stops_all_mail_once():
    message, member, other = _member_on_two_lists()
    service = _on_list("membership", member)

    for _ in range(2):
        response = _one_click(service)

    assert "Je bent uitgeschreven" in response.content.decode()
    member.refresh_from_db()
    assert member.unsubscribed_at is not None
    assert not ListChoice.objects.exists()
    [consent] = ConsentRecord.objects.all()
    assert (consent.choice, consent.source, consent.mailing_list) == (
        "stopped_all",
        "one_click",
        None,
    )
    for enrolment in (message.enrolment, other, service.enrolment):
        enrolment.refresh_from_db()
        assert enrolment.exit_reason == Enrolment.ExitReason.UNSUBSCRIBED
    assert Event.objects.filter(kind=Event.Kind.UNSUBSCRIBE).count() == 1


@pytest.mark.django_db
def test_a_member_who_stopped_all_mail_is_told_so_and_left_as_they_are(client):
    message = _on_list("membership")
    _one_click(message)
    newsletter_mail = _on_list("newsletter", message.enrolment.member)

    response = client.post(unsubscribe_link(newsletter_mail.id), {"confirmed": "yes"})

    assert "Je bent uitgeschreven" in response.content.decode()
    assert not ListChoice.objects.exists()
    assert ConsentRecord.objects.count() == 1


@pytest.mark.django_db
def test_the_pages_speak_the_mails_language_with_the_lists_english_name(client):
    message = _on_list("welcome")
    message.step.version.language = "en"
    message.step.version.save()

    asked = client.get(unsubscribe_link(message.id)).content.decode()
    left = client.post(unsubscribe_link(message.id), {"confirmed": "yes"}).content.decode()

    assert "Stop the mails of «Welcome mails»?" in asked
    assert "Yes, stop these mails" in asked
    assert "You get no more mails of «Welcome mails»" in left


@pytest.mark.django_db
def test_a_forged_one_click_404s_and_writes_nothing():
    message = _on_list("newsletter")
    forged = unsubscribe_link(message.id)[:-3] + "abc"

    response = Client(enforce_csrf_checks=True).post(
        forged, ONE_CLICK, content_type="application/x-www-form-urlencoded"
    )
    other_purpose = reverse("tracking:unsubscribe", args=["x" + forged.rsplit("/", 1)[1]])

    assert response.status_code == 404
    assert Client().post(other_purpose, ONE_CLICK, content_type="text/plain").status_code == 404
    assert not ListChoice.objects.exists() and not ConsentRecord.objects.exists()
    assert not Event.objects.exists()
    assert Enrolment.objects.get().status == Enrolment.Status.ACTIVE


def _title(page: str) -> str:
    [title] = re.findall(r"<title>(.*?)</title>", page, re.DOTALL)
    return title


@pytest.mark.django_db
def test_both_pages_titles_are_plain_words_without_the_preference_link(client):
    message = _on_list("welcome")
    library = message.library.name

    asked = client.get(unsubscribe_link(message.id)).content.decode()
    left = client.post(unsubscribe_link(message.id), {"confirmed": "yes"}).content.decode()

    assert _title(asked) == f"Uitschrijven – {library}"
    assert _title(left) == f"Uitgeschreven – {library}"
    for page in (asked, left):  # the link is on the page itself, once
        assert page.count(reverse("tracking:preferences", args=["x"]).rsplit("x", 1)[0]) == 1


def _words(page: str) -> str:
    """The page's text as a reader sees it: no tags, single spaces."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _quoted(text_version: str, language: str) -> list[str]:
    """The page's words a consent wording quotes, in Dutch or English: its text, then its
    button."""
    dutch, english = texts.TEXTS[text_version].split("' / '")
    quoted = dutch.split(": '", 1)[1] if language == "nl" else english.rstrip(".").rstrip("'")
    return quoted.split("' and the button '")


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["nl", "en"])
@pytest.mark.parametrize(
    ("key", "wording", "choice"),
    [("newsletter", "leave-link/1", "left"), ("membership", "stop-all-link/1", "stopped_all")],
)
def test_the_wording_a_choice_records_is_the_one_its_page_shows(
    client, language, key, wording, choice
):
    message = _on_list(key)
    message.step.version.language = language
    message.step.version.save()
    mailing_list = message.step.version.journey.mailing_list

    page = _words(client.get(unsubscribe_link(message.id)).content.decode())
    client.post(unsubscribe_link(message.id), {"confirmed": "yes"})

    assert ConsentRecord.objects.get().text_version == wording
    assert ConsentRecord.objects.get().choice == choice
    for words in _quoted(wording, language):
        for placeholder, value in (
            ("<lijst>", mailing_list.name_in(language)),
            ("<list>", mailing_list.name_in(language)),
            ("<bibliotheek>", message.library.name),
            ("<library>", message.library.name),
        ):
            words = words.replace(placeholder, value)
        assert words in page
