"""Only a token we signed, for this endpoint, about a message that exists, does anything."""

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from patronflow.mail.tokens import make_token
from patronflow.tracking.models import Event, Feedback
from tests.factories import MessageFactory

ENDPOINTS = [
    # (url name, token purpose, extra url args, http method)
    ("open", "open", [], "get"),
    ("click", "click", [], "get"),
    ("unsubscribe", "unsubscribe", [], "get"),
    ("unsubscribe", "unsubscribe", [], "post"),
    ("feedback", "feedback", ["up"], "get"),
    ("feedback", "feedback", ["down"], "post"),
]
OTHER_PURPOSE = {"open": "unsubscribe", "click": "open", "unsubscribe": "open", "feedback": "click"}


def _valid(purpose: str, message_id: int) -> str:
    return make_token(purpose, message_id, 0 if purpose == "click" else None)


def _bad_tokens(purpose: str, message_id: int, other_message_id: int) -> dict[str, str]:
    valid = _valid(purpose, message_id)
    value, signature = valid.split(":", 1)
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    return {
        "forged": f"{value}:not-our-signature",
        "unsigned": value,
        "tampered signature": f"{value}:{flipped}",
        "tampered message id": valid.replace(value, signing.b62_encode(other_message_id), 1),
        "other purpose": _valid(OTHER_PURPOSE[purpose], message_id),
        "unknown message": _valid(purpose, other_message_id + 1000),
        "garbage": "..%2F..%2Fetc",
    }


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "purpose", "extra", "method"), ENDPOINTS)
def test_forged_tampered_or_wrong_purpose_tokens_answer_404_and_write_nothing(
    name, purpose, extra, method
):
    # Open tracking on, so that a forged pixel load would have something to write.
    message = MessageFactory(enrolment__journey__library__track_opens=True)
    other = MessageFactory(enrolment__journey__library__track_opens=True)
    member = message.enrolment.member
    client = Client(enforce_csrf_checks=True)

    for kind, token in _bad_tokens(purpose, message.id, other.id).items():
        url = reverse(f"tracking:{name}", args=[token, *extra])
        response = getattr(client, method)(url, {"comment": "Hallo"})
        assert response.status_code == 404, kind
        assert not response.has_header("Location"), kind

    assert not Event.objects.exists()
    assert not Feedback.objects.exists()
    member.refresh_from_db()
    assert member.unsubscribed_at is None


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "purpose", "extra", "method"), ENDPOINTS)
def test_the_same_links_signed_by_us_do_work(client, name, purpose, extra, method):
    """The counterpart of the test above, so its 404s are not a broken endpoint."""
    message = MessageFactory()

    url = reverse(f"tracking:{name}", args=[_valid(purpose, message.id), *extra])
    response = getattr(client, method)(url, {"comment": "Hallo"})

    assert response.status_code in {200, 302}
