import pytest

from patronflow.tracking.models import Event
from tests.factories import MessageFactory
from tests.tracking.links import click_link, open_link


@pytest.mark.django_db
def test_pixel_records_an_open_and_returns_a_transparent_gif(client):
    message = MessageFactory(enrolment__journey__library__track_opens=True)

    response = client.get(open_link(message.id))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/gif"
    assert response.content.startswith(b"GIF89a\x01\x00\x01\x00")
    assert response["Cache-Control"] == "no-store, private"
    assert not response.cookies
    assert list(Event.objects.values_list("message_id", "kind")) == [(message.id, "open")]


@pytest.mark.django_db
def test_every_load_of_the_pixel_is_an_event(client):
    message = MessageFactory(enrolment__journey__library__track_opens=True)

    client.get(open_link(message.id))
    client.get(open_link(message.id))

    assert Event.objects.filter(message=message, kind=Event.Kind.OPEN).count() == 2


@pytest.mark.django_db
def test_no_open_is_recorded_once_the_library_turned_open_tracking_off(client):
    message = MessageFactory(
        enrolment__journey__library__track_opens=False
    )  # the mail went out while it was on

    response = client.get(open_link(message.id))

    assert response.status_code == 200  # the image still loads: nothing breaks in the mail
    assert not Event.objects.exists()


@pytest.mark.django_db
def test_click_redirects_to_the_recorded_link_and_records_it(client):
    message = MessageFactory(links=["https://catalogus.example.be/boek/1", "https://x.example/2"])

    response = client.get(click_link(message.id, 1))

    assert response.status_code == 302
    assert response["Location"] == "https://x.example/2"
    assert response["Cache-Control"] == "no-store, private"
    event = Event.objects.get()
    assert (event.message_id, event.kind, event.link_index) == (message.id, "click", 1)


@pytest.mark.django_db
def test_click_ignores_a_destination_in_the_query_string(client):
    message = MessageFactory(links=["https://catalogus.example.be/boek/1"])

    response = client.get(
        click_link(message.id, 0),
        {"url": "https://evil.example/", "next": "https://evil.example/", "to": "//evil.example"},
    )

    assert response.status_code == 302
    assert response["Location"] == "https://catalogus.example.be/boek/1"


@pytest.mark.django_db
def test_click_on_an_index_the_mail_did_not_hold_is_404_and_records_nothing(client):
    message = MessageFactory(links=["https://catalogus.example.be/boek/1"])

    response = client.get(click_link(message.id, 1))

    assert response.status_code == 404
    assert not response.has_header("Location")
    assert not Event.objects.exists()


@pytest.mark.django_db
def test_click_never_leads_to_a_destination_that_is_not_a_web_address(client):
    message = MessageFactory(links=["javascript:alert(1)"])

    response = client.get(click_link(message.id, 0))

    assert response.status_code == 404
    assert not Event.objects.exists()
