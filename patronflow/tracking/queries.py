"""Reads behind the tracking endpoints: which message (and link) a token really names."""

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from patronflow.mail.models import Message
from patronflow.mail.tokens import read_token

# Open, click and feedback links stop working this long after the mail was sent: a pixel
# loaded or a vote cast years later says nothing about the mail. Unsubscribe links keep
# working as long as the message is kept (privacy/ retention decides that).
LINK_LIFETIME = dt.timedelta(days=365)
EXPIRING_PURPOSES = frozenset({"open", "click", "feedback"})


@dataclass(frozen=True)
class MessageFacts:
    """What the pixel and click endpoints need to know about a sent message, and no more."""

    message_id: int
    library_id: int
    track_opens: bool
    sent_at: dt.datetime | None
    links: tuple[str, ...]

    def expired(self, now: dt.datetime) -> bool:
        return self.sent_at is not None and now - self.sent_at > LINK_LIFETIME

    def web_link(self, index: int) -> str | None:
        """The destination at this index, only when the mail held a web link there."""
        if not 0 <= index < len(self.links):
            return None
        link = str(self.links[index])
        return link if link.startswith(("https://", "http://")) else None


def message_facts(message_id: int) -> MessageFacts | None:
    row = (
        Message.objects.filter(pk=message_id)
        .values_list("library_id", "library__track_opens", "sent_at", "links")
        .first()
    )
    if row is None:
        return None
    library_id, track_opens, sent_at, links = row
    return MessageFacts(message_id, library_id, track_opens, sent_at, tuple(links or ()))


def message_for_token(purpose: str, token: str) -> Message | None:
    """The message a link of this purpose names; None for forged, tampered, stale or expired
    links."""
    data = read_token(purpose, token)
    if data is None:
        return None
    message = (
        Message.objects.select_related("library", "enrolment__member", "step__version")
        .filter(pk=data.message_id)
        .first()
    )
    if message is None:
        return None
    sent_at = message.sent_at
    if purpose in EXPIRING_PURPOSES and sent_at and timezone.now() - sent_at > LINK_LIFETIME:
        return None
    return message
