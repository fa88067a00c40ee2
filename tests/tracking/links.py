"""The tracking links a mail holds, built the way the renderer builds them."""

from django.urls import reverse

from patronflow.mail.tokens import make_token


def open_link(message_id: int) -> str:
    return reverse("tracking:open", args=[make_token("open", message_id)])


def click_link(message_id: int, link_index: int) -> str:
    return reverse("tracking:click", args=[make_token("click", message_id, link_index)])


def unsubscribe_link(message_id: int) -> str:
    return reverse("tracking:unsubscribe", args=[make_token("unsubscribe", message_id)])


def preferences_link(message_id: int) -> str:
    return reverse("tracking:preferences", args=[make_token("preferences", message_id)])


def feedback_link(message_id: int, vote: str) -> str:
    return reverse("tracking:feedback", args=[make_token("feedback", message_id), vote])
