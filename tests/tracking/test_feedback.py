import pytest

from patronflow.tracking.models import Event, Feedback
from tests.factories import MessageFactory
from tests.tracking.links import feedback_link


@pytest.mark.django_db
def test_feedback_latest_vote_counts_and_the_comment_is_saved(client):
    message = MessageFactory()

    assert client.get(feedback_link(message.id, "up")).status_code == 200
    assert client.get(feedback_link(message.id, "down")).status_code == 200
    response = client.post(feedback_link(message.id, "down"), {"comment": "Te veel mails."})

    assert response.status_code == 200
    assert "Je opmerking is goed aangekomen." in response.content.decode()
    feedback = Feedback.objects.get()
    assert (feedback.message_id, feedback.vote, feedback.comment) == (
        message.id,
        Feedback.Vote.DOWN,
        "Te veel mails.",
    )
    assert Event.objects.filter(message=message, kind=Event.Kind.FEEDBACK).count() == 2


@pytest.mark.django_db
def test_changing_the_vote_keeps_the_comment(client):
    message = MessageFactory()
    client.post(feedback_link(message.id, "down"), {"comment": "Saai onderwerp."})

    client.get(feedback_link(message.id, "up"))

    feedback = Feedback.objects.get()
    assert (feedback.vote, feedback.comment) == (Feedback.Vote.UP, "Saai onderwerp.")


@pytest.mark.django_db
def test_feedback_page_thanks_the_member_and_offers_a_comment_form_without_javascript(client):
    message = MessageFactory()

    response = client.get(feedback_link(message.id, "up"))

    page = response.content.decode()
    assert '<html lang="nl">' in page
    assert message.library.name in page
    assert f'href="{message.library.privacy_url}"' in page
    assert '<form method="post">' in page
    assert '<textarea name="comment"' in page
    assert "<script" not in page
    assert not response.cookies


@pytest.mark.django_db
def test_an_empty_comment_is_refused_and_the_vote_stays(client):
    message = MessageFactory()
    client.get(feedback_link(message.id, "up"))

    response = client.post(feedback_link(message.id, "up"), {"comment": "   "})

    assert response.status_code == 200
    assert "Je opmerking is goed aangekomen." not in response.content.decode()
    feedback = Feedback.objects.get()
    assert (feedback.vote, feedback.comment) == (Feedback.Vote.UP, "")


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post"])
def test_any_vote_word_but_up_or_down_is_404_and_records_nothing(client, method):
    message = MessageFactory()

    response = getattr(client, method)(feedback_link(message.id, "meh"), {"comment": "x"})

    assert response.status_code == 404
    assert not Feedback.objects.exists()
    assert not Event.objects.exists()
