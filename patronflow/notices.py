"""What a library's own systems should hear about a member's choices and their address: left or
joined a list, stopped all mail (or took that back), an address suppressed after bounces or a
complaint, a complaint, a focus-group volunteer.

The stage that records such a fact calls `announce` inside the fact's own transaction; the
webhooks stage, above them all, listens and queues its deliveries in that same transaction, so a
fact and its notice are stored together or not at all. The stages that announce never import
the stage that listens.
"""

import datetime as dt

from django.dispatch import Signal
from django.utils import timezone

# Sent with library_id (int), kind (one of KINDS), data (a JSON-ready dict) and at (when the
# fact happened, aware datetime).
announced = Signal()

LIST_LEFT = "list.left"
LIST_JOINED = "list.joined"
ALL_MAIL_STOPPED = "member.unsubscribed"
ALL_MAIL_RESUMED = "member.resubscribed"
ADDRESS_SUPPRESSED = "address.suppressed"
COMPLAINT = "member.complained"
VOLUNTEER = "survey.volunteer"

KINDS = (
    LIST_LEFT,
    LIST_JOINED,
    ALL_MAIL_STOPPED,
    ALL_MAIL_RESUMED,
    ADDRESS_SUPPRESSED,
    COMPLAINT,
    VOLUNTEER,
)


def announce(*, library_id: int, kind: str, data: dict, at: dt.datetime | None = None) -> None:
    """Tell the listeners (the webhooks) about one fact of one library, `at` when it happened
    (default: now). Call it only when the fact changed something, so that one action of a
    member (a retried one-click, a double post) is announced once."""
    if kind not in KINDS:
        raise ValueError(f"unknown notice kind {kind!r}")
    announced.send(
        sender=kind, library_id=library_id, kind=kind, data=data, at=at or timezone.now()
    )
