"""The preference page behind every mail's footer link (p/<token>): a member chooses per list
and can stop (and take back) all mail, with a consent record for each choice; a link that is
not ours writes nothing."""

import html
import re

import pytest
from django.urls import reverse

from patronflow.choices import texts
from patronflow.choices.models import ConsentRecord, ListChoice, MailingList
from patronflow.choices.services import standard_lists
from patronflow.journeys.models import Enrolment, Journey
from patronflow.mail.bounces import suppress
from patronflow.mail.models import Message
from patronflow.mail.tokens import make_token
from patronflow.privacy.rules import is_suppressed
from patronflow.reports.metrics import campaign_metrics
from patronflow.tracking.models import Event
from patronflow.tracking.services import unsubscribe_member
from tests.factories import EnrolmentFactory, JourneyFactory, MemberFactory, MessageFactory
from tests.tracking.links import preferences_link, unsubscribe_link

pytestmark = pytest.mark.django_db


def on_two_lists(library):
    """A member who got the first welcome mail (the link's) and has the second welcome mail
    (on the welcome list) and a newsletter (on the newsletter list) queued."""
    member = MemberFactory(library=library)
    welcome = Journey.objects.get(library=library, key="welcome")
    welcome.mailing_list = standard_lists(library)["welcome"]
    welcome.save()
    enrolment = EnrolmentFactory(journey=welcome, member=member)
    steps = welcome.current_version.steps.order_by("position")
    first, second = (
        MessageFactory(enrolment=enrolment, step=step, variant=step.variants.get(), status=status)
        for step, status in zip(steps[:2], ("sent", "queued"), strict=True)
    )
    newsletter = JourneyFactory(library=library, key="nieuws")
    news = MessageFactory(enrolment__journey=newsletter, enrolment__member=member, status="queued")
    return member, first, second, news


def checked(page: str) -> dict[str, tuple[bool, bool]]:
    """Each checkbox's name or value → (checked, disabled)."""
    boxes = re.findall(r"<input type=\"checkbox\"[^>]*>", page)
    found = {}
    for box in boxes:
        key = re.search(r'value="([^"]+)"', box)[1]
        found[key] = (" checked" in box, " disabled" in box)
    return found


def save(client, message, *lists, no_mail=False):
    data = {"choices": "1", "list": list(lists)} | ({"no_mail": "yes"} if no_mail else {})
    return client.post(preferences_link(message.id), data)


def test_the_page_shows_the_librarys_lists_in_its_order_and_changes_nothing(client, library):
    _, first, _, _ = on_two_lists(library)

    response = client.get(preferences_link(first.id))

    page = response.content.decode()
    assert response.status_code == 200
    names = ["Welkomstmails", "Nieuwsbrief", "Berichten over je lidmaatschap"]
    assert [page.index(name) for name in names] == sorted(page.index(name) for name in names)
    assert "Nieuws, activiteiten en leestips van de bib." in page
    assert checked(page) == {
        "welcome": (True, False),
        "newsletter": (True, False),
        "membership": (True, True),  # a service list: on while the member wants mail
        "yes": (False, False),  # no more mails from the library
    }
    assert 'ze stoppen alleen met "Geen mails meer van de bibliotheek"' in page
    assert f'href="{library.privacy_url}"' in page
    assert '<form method="post">' in page and "Je keuzes zijn bewaard" not in page
    assert not ListChoice.objects.exists() and not ConsentRecord.objects.exists()


def test_the_page_speaks_the_mails_language(client, library):
    _, first, _, _ = on_two_lists(library)
    first.step.version.language = "en"
    first.step.version.save()

    page = client.get(preferences_link(first.id), HTTP_ACCEPT_LANGUAGE="nl").content.decode()

    assert '<html lang="en">' in page
    assert "Choose which mails you get" in page and "No more mails from the library" in page
    assert "Welcome mails" in page and "News, activities and reading tips" in page
    assert "Welkomstmails" not in page


def test_leaving_a_list_withdraws_its_queued_mail_and_keeps_the_other_lists(client, library):
    member, first, second, news = on_two_lists(library)

    response = save(client, first, "newsletter")

    page = response.content.decode()
    assert "Je keuzes zijn bewaard." in page
    assert checked(page)["welcome"] == (False, False)
    assert checked(page)["newsletter"] == (True, False)
    second.refresh_from_db()
    news.refresh_from_db()
    assert second.status == Message.Status.SUPPRESSED
    assert news.status == Message.Status.QUEUED
    ended = Enrolment.objects.get(pk=first.enrolment_id)
    assert ended.exit_reason == Enrolment.ExitReason.LEFT_LIST
    [choice] = ListChoice.objects.filter(member=member)
    assert (choice.mailing_list.key, choice.receives) == ("welcome", False)
    [record] = ConsentRecord.objects.filter(member=member)
    assert (record.choice, record.source, record.text_version, record.list_name) == (
        "left",
        "preferences",
        texts.PREFERENCES,
        "Welkomstmails",
    )
    member.refresh_from_db()
    assert member.unsubscribed_at is None


def test_a_list_members_only_get_when_they_ask_is_joined_here(client, library):
    member, first, _, _ = on_two_lists(library)
    MailingList.objects.create(
        library=library, key="activiteiten", name="Activiteiten", position=9,
        members_join_by_default=False,
    )  # fmt: skip
    assert checked(client.get(preferences_link(first.id)).content.decode())["activiteiten"] == (
        False,
        False,
    )

    save(client, first, "welcome", "newsletter", "activiteiten")
    save(client, first, "welcome", "newsletter", "activiteiten")  # saved twice: recorded once

    assert ListChoice.objects.get(member=member, mailing_list__key="activiteiten").receives
    assert list(ConsentRecord.objects.values_list("choice", "list_name")) == [
        ("joined", "Activiteiten")
    ]


def test_no_more_mails_stops_everything_and_can_be_taken_back(client, library):
    member, first, _, _ = on_two_lists(library)

    page = save(client, first, "welcome", "newsletter", no_mail=True).content.decode()

    member.refresh_from_db()
    assert member.unsubscribed_at is not None
    assert checked(page)["yes"] == (True, False)
    assert checked(page)["membership"] == (False, True)
    assert "Je krijgt nu geen mails van Bibliotheek Gent" in page
    assert not Enrolment.objects.filter(member=member, status="active").exists()
    assert Event.objects.get(kind=Event.Kind.UNSUBSCRIBE).message_id == first.id
    suppress(library, member.email, "hard_bounce")  # and then a mail bounced

    page = save(client, first, "welcome", "newsletter").content.decode()

    member.refresh_from_db()
    assert member.unsubscribed_at is None
    assert checked(page)["yes"] == (False, False) and checked(page)["membership"] == (True, True)
    assert list(ConsentRecord.objects.order_by("pk").values_list("choice", "source")) == [
        ("stopped_all", "preferences"),
        ("resumed_all", "preferences"),
    ]
    assert is_suppressed(member)  # only the member's own choice is taken back
    assert not ListChoice.objects.exists()
    assert SUPPRESSED_NOTICE in page and "Je krijgt nu geen mails" not in page


SUPPRESSED_NOTICE = (
    "Bibliotheek Gent stuurt geen mails meer naar dit e-mailadres, bijvoorbeeld omdat eerdere "
    "mails niet aankwamen of als ongewenst gemeld werden. Wat je hieronder aanvinkt, verandert "
    "daar niets aan. Wil je weer mails krijgen? De balie van je bibliotheek helpt je graag."
)


def words(page: str) -> str:
    """The page's text as a reader sees it: no tags, single spaces."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_after_a_complaint_the_page_says_ticked_lists_cannot_reach_the_address(client, library):
    member, first, _, _ = on_two_lists(library)
    assert SUPPRESSED_NOTICE not in words(client.get(preferences_link(first.id)).content.decode())
    unsubscribe_member(first)  # the member marked a mail as spam
    suppress(library, member.email, "complaint")

    asked = words(client.get(preferences_link(first.id)).content.decode())
    page = save(client, first, "welcome", "newsletter").content.decode()

    assert SUPPRESSED_NOTICE in asked and "Vink dan hieronder" not in asked
    assert checked(page)["welcome"] == (True, False) and checked(page)["yes"] == (False, False)
    assert SUPPRESSED_NOTICE in words(page)
    first.step.version.language = "en"
    first.step.version.save()
    english = words(client.get(preferences_link(first.id)).content.decode())
    assert (
        "Bibliotheek Gent no longer sends mails to this e-mail address, for instance because "
        "earlier mails did not arrive or were reported as unwanted." in english
    )
    assert "The desk of your library will gladly help." in english


def unsubscribed(library) -> int:
    """The unsubscribed count in the campaign metrics of the one mail sent (`first`)."""
    [row] = campaign_metrics(library)
    assert (row.journey, row.step, row.sent) == ("welcome", 1, 1)
    return row.unsubscribed


def test_leaving_the_mails_own_list_here_counts_the_mail_as_unsubscribed(client, library):
    _, first, _, _ = on_two_lists(library)

    save(client, first, "newsletter")  # the welcome mails, first's list, are left

    assert list(Event.objects.values_list("message_id", "kind")) == [(first.id, "unsubscribe")]
    assert unsubscribed(library) == 1


def test_leaving_only_another_list_here_counts_no_unsubscribe(client, library):
    _, first, _, _ = on_two_lists(library)

    save(client, first, "welcome")  # the newsletter is left, not the welcome mails

    assert ListChoice.objects.get().mailing_list.key == "newsletter"
    assert not Event.objects.exists()
    assert unsubscribed(library) == 0


def test_every_later_way_out_through_the_same_mail_counts_it_once(client, library):
    member, first, _, _ = on_two_lists(library)

    save(client, first, "newsletter")
    save(client, first, "newsletter")
    save(client, first, "newsletter", no_mail=True)
    save(client, first, "newsletter")
    save(client, first, no_mail=True)
    client.post(unsubscribe_link(first.id), {"confirmed": "yes"})

    member.refresh_from_db()
    assert member.unsubscribed_at is not None
    assert list(ConsentRecord.objects.order_by("pk").values_list("choice", flat=True)) == [
        "left",
        "stopped_all",
        "resumed_all",
        "left",
        "stopped_all",
    ]
    assert Event.objects.filter(kind=Event.Kind.UNSUBSCRIBE).count() == 1
    assert unsubscribed(library) == 1


def test_a_post_without_the_pages_form_changes_nothing(client, library):
    _, first, second, _ = on_two_lists(library)

    response = client.post(preferences_link(first.id), {"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    assert "Je keuzes zijn bewaard" not in response.content.decode()
    second.refresh_from_db()
    assert second.status == Message.Status.QUEUED
    assert not ListChoice.objects.exists() and not ConsentRecord.objects.exists()


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("nope", id="malformed"),
        pytest.param("16Q:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", id="forged"),
        pytest.param("unsubscribe", id="another purpose's token"),
    ],
)
def test_a_link_that_is_not_ours_is_404_and_writes_nothing(client, library, token):
    member, first, second, _ = on_two_lists(library)
    if token == "unsubscribe":
        token = make_token("unsubscribe", first.id)
    url = reverse("tracking:preferences", args=[token])

    for response in (client.get(url), client.post(url, {"choices": "1", "no_mail": "yes"})):
        assert response.status_code == 404
        assert "Deze link werkt niet (meer)" in response.content.decode()
    member.refresh_from_db()
    second.refresh_from_db()
    assert member.unsubscribed_at is None and second.status == Message.Status.QUEUED
    assert not ListChoice.objects.exists() and not ConsentRecord.objects.exists()
    assert not Event.objects.exists()
