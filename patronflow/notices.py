"""What a library's own systems should hear about a member's choices and their address: left or
joined a list, stopped all mail, an address suppressed after bounces or a complaint, a
focus-group volunteer.

The stage that records such a fact calls `announce` inside the fact's own transaction; the
webhooks stage, above them all, listens and queues its deliveries in that same transaction, so a
fact and its notice are stored together or not at all. The stages that announce never import
the stage that listens.
"""

from django.dispatch import Signal

# Sent with library_id (int), kind (one of KINDS) and data (a JSON-ready dict).
announced = Signal()

LIST_LEFT = "list.left"
LIST_JOINED = "list.joined"
ALL_MAIL_STOPPED = "member.unsubscribed"
ADDRESS_SUPPRESSED = "address.suppressed"
COMPLAINT = "member.complained"
VOLUNTEER = "survey.volunteer"

KINDS = (LIST_LEFT, LIST_JOINED, ALL_MAIL_STOPPED, ADDRESS_SUPPRESSED, COMPLAINT, VOLUNTEER)


def announce(*, library_id: int, kind: str, data: dict) -> None:
    """Tell the listeners (the webhooks) about one fact of one library."""
    if kind not in KINDS:
        raise ValueError(f"unknown notice kind {kind!r}")
    announced.send(sender=kind, library_id=library_id, kind=kind, data=data)
