"""Reads for reports that are not campaign metrics (those are all metrics.py's)."""

from patronflow.mail.models import Message
from patronflow.members.models import Library


def uncertain_count(library: Library | None = None) -> int:
    """Mails whose sender stopped before recording the SMTP outcome: they may or may not have
    arrived and are not resent automatically, so an operator has to know how many there are."""
    messages = Message.objects.filter(status=Message.Status.UNCERTAIN)
    if library is not None:
        messages = messages.filter(library=library)
    return messages.count()
