"""Reads behind the tracking endpoints: which message (and link) a token really names."""

from patronflow.mail.models import Message
from patronflow.tracking.tokens import read_token


def message_for_token(purpose: str, token: str) -> Message | None:
    """The message a link of this purpose names; None for forged, tampered or stale links."""
    data = read_token(purpose, token)
    if data is None:
        return None
    return (
        Message.objects.select_related("library", "enrolment__member")
        .filter(pk=data.message_id)
        .first()
    )


def click_for_token(token: str) -> tuple[Message, int] | None:
    """The message and link index a click names, only when the mail itself held that web link.

    The destination always comes from the message, never from the request, so a click link
    cannot be turned into an open redirect.
    """
    data = read_token("click", token)
    if data is None or data.link_index is None:
        return None
    message = Message.objects.filter(pk=data.message_id).only("id", "links").first()
    if message is None or not 0 <= data.link_index < len(message.links):
        return None
    if not str(message.links[data.link_index]).startswith(("https://", "http://")):
        return None
    return message, data.link_index
