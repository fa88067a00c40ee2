import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from patronflow.journeys.models import Enrolment
from patronflow.tracking.models import Event
from tests.factories import EnrolmentFactory, JourneyFactory, MessageFactory
from tests.tracking.links import unsubscribe_link


def _member_with_two_journeys():
    """A member with a message from an active welcome journey and an active dormant journey."""
    message = MessageFactory()
    member = message.enrolment.member
    dormant = JourneyFactory(library=member.library, key="dormant")
    other = EnrolmentFactory(journey=dormant, member=member)
    return message, member, other


@pytest.mark.django_db
def test_get_unsubscribe_shows_a_confirmation_and_changes_nothing(client):
    message, member, _ = _member_with_two_journeys()

    response = client.get(unsubscribe_link(message.id))

    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="nl">' in page
    assert member.library.name in page
    assert f'href="{member.library.privacy_url}"' in page
    assert '<form method="post">' in page
    member.refresh_from_db()
    assert member.unsubscribed_at is None
    assert set(Enrolment.objects.values_list("status", flat=True)) == {"active"}
    assert not Event.objects.exists()


@pytest.mark.django_db
def test_post_unsubscribe_sets_unsubscribed_at_and_exits_active_enrolments(client):
    message, member, other = _member_with_two_journeys()
    finished = EnrolmentFactory(
        journey=JourneyFactory(library=member.library, key="old"),
        member=member,
        status=Enrolment.Status.COMPLETED,
        ended_on=dt.date(2026, 1, 1),
    )
    before = timezone.now()

    response = client.post(unsubscribe_link(message.id))

    assert response.status_code == 200
    assert "Je bent uitgeschreven" in response.content.decode()
    member.refresh_from_db()
    assert member.unsubscribed_at >= before
    for enrolment in (message.enrolment, other):
        enrolment.refresh_from_db()
        assert enrolment.status == Enrolment.Status.EXITED
        assert enrolment.exit_reason == Enrolment.ExitReason.UNSUBSCRIBED
        assert enrolment.ended_on == timezone.localdate()
    finished.refresh_from_db()
    assert (finished.status, finished.exit_reason) == (Enrolment.Status.COMPLETED, "")
    assert list(Event.objects.values_list("message_id", "kind")) == [(message.id, "unsubscribe")]


@pytest.mark.django_db
def test_one_click_post_without_cookies_or_csrf_token_returns_200():
    message = MessageFactory()
    mail_client = Client(enforce_csrf_checks=True)

    response = mail_client.post(
        unsubscribe_link(message.id),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert not response.cookies
    message.enrolment.member.refresh_from_db()
    assert message.enrolment.member.unsubscribed_at is not None


@pytest.mark.django_db
def test_repeated_unsubscribes_keep_the_first_time_and_record_one_event(client):
    message = MessageFactory()
    member = message.enrolment.member
    later_mail = MessageFactory(
        enrolment=EnrolmentFactory(journey=JourneyFactory(library=member.library), member=member)
    )

    client.post(unsubscribe_link(message.id))
    member.refresh_from_db()
    first_time = member.unsubscribed_at
    for link in (unsubscribe_link(message.id), unsubscribe_link(later_mail.id)):
        assert client.post(link).status_code == 200

    member.refresh_from_db()
    assert member.unsubscribed_at == first_time
    assert Event.objects.filter(kind=Event.Kind.UNSUBSCRIBE).count() == 1


@pytest.mark.django_db
def test_get_after_unsubscribing_says_so_instead_of_asking_again(client):
    message = MessageFactory()
    client.post(unsubscribe_link(message.id))

    response = client.get(unsubscribe_link(message.id))

    page = response.content.decode()
    assert "Je bent uitgeschreven" in page
    assert "<form" not in page
