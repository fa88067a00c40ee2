"""A confirmation link with nothing behind it any more shows one neutral page, "nothing to
confirm", never "you are signed up": whether the request was erased or purged, became a
member's own choice, or its list became a service list (which nobody joins on its own, and
which used to answer the button with a 500)."""

import pytest
from django.urls import reverse

from patronflow.choices import signup
from patronflow.choices.models import ConsentRecord, Contact, ListChoice, MailingList
from patronflow.operations.contacts import erase_contact
from patronflow.tracking.services import choose_list
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

NOTHING = "Niets te bevestigen"
SIGNED_UP = "Je bent ingeschreven"


@pytest.fixture
def events(library):
    return MailingList.objects.create(
        library=library, key="activiteiten", name="Activiteiten", members_join_by_default=False
    )


def link_for(mailing_list, email: str) -> str:
    contact = signup.request_signup(mailing_list, email=email, language="nl")
    return reverse("tracking:signup_confirm", args=[signup.confirmation_token(contact)])


def test_an_erased_request_has_nothing_to_confirm(client, library, events):
    link = link_for(events, "lotte@example.org")
    erase_contact(library, "lotte@example.org", operator="test")

    for response in (client.get(link), client.post(link)):
        page = response.content.decode()
        assert response.status_code == 200
        assert NOTHING in page and SIGNED_UP not in page
    assert not Contact.objects.exists() and not ConsentRecord.objects.exists()


def test_a_list_turned_into_service_mail_after_the_request_has_nothing_to_confirm(
    client, library, events
):
    MemberFactory(library=library, email="jan@example.org")
    link = link_for(events, "jan@example.org")
    MailingList.objects.filter(pk=events.pk).update(service=True)

    response = client.post(link)

    assert response.status_code == 200
    assert NOTHING in response.content.decode()
    assert Contact.objects.get().confirmed_at is None
    assert not ListChoice.objects.exists()


def test_confirm_itself_leaves_a_request_of_a_service_list_alone(library, events):
    MemberFactory(library=library, email="jan@example.org")
    contact = signup.request_signup(events, email="jan@example.org", language="nl")
    MailingList.objects.filter(pk=events.pk).update(service=True)

    assert signup.confirm(contact, choose=choose_list) is False
    assert not ListChoice.objects.exists()


def test_a_replayed_link_of_a_request_that_became_a_members_choice_is_neutral(
    client, library, events
):
    MemberFactory(library=library, email="jan@example.org")
    link = link_for(events, "jan@example.org")
    assert SIGNED_UP in client.post(link).content.decode()
    assert not Contact.objects.exists()

    replay = client.post(link)

    assert replay.status_code == 200
    assert NOTHING in replay.content.decode()
