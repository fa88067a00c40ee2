"""What members did with a mail. Events hold no address, name or IP: only message and kind,
and — for opens, clicks and votes — whether a machine rather than a member seems to have done
it."""

from django.db import models
from django.utils import timezone

from patronflow.mail.models import Message


class Event(models.Model):
    class Kind(models.TextChoices):
        OPEN = "open", "Opened"
        CLICK = "click", "Clicked"
        UNSUBSCRIBE = "unsubscribe", "Unsubscribed"
        FEEDBACK = "feedback", "Gave feedback"

    class Machine(models.TextChoices):
        """Why an open, click or vote looks like a machine's (tracking/machines.py holds the
        data)."""

        MAIL_PROXY = "mail_proxy", "Mail provider's image proxy"
        ON_DELIVERY = "on_delivery", "Within seconds of delivery"
        SCANNER = "scanner", "Link scanner's user agent"
        HEAD = "head", "HEAD request"
        LINK_SWEEP = "link_sweep", "Every link of the mail within seconds"

    # No index of its own: the (message, kind) index below serves every look-up by message,
    # and each index costs a stored open or click another page write (docs/performance.md).
    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    link_index = models.PositiveSmallIntegerField(null=True, blank=True)
    # Empty: a member, as far as anyone can tell. Reports show the two apart.
    machine = models.CharField(max_length=12, choices=Machine.choices, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["message", "kind"])]

    def __str__(self) -> str:
        return f"{self.kind} on {self.message_id}" + (f" ({self.machine})" if self.machine else "")


# The events that show a mail was opened: a click too, also where the mail program blocked
# the pixel. Reports count a mail as opened on either (reports/metrics.py, privacy tallies).
SHOWS_OPENED = (Event.Kind.OPEN, Event.Kind.CLICK)


class Feedback(models.Model):
    """A member's vote, one per message; voting again replaces the earlier vote. A machine's
    press of the vote button is only an Event (tracking/services.py: record_vote)."""

    class Vote(models.IntegerChoices):
        UP = 1, "👍"
        DOWN = -1, "👎"

    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="feedback")
    vote = models.SmallIntegerField(choices=Vote.choices)
    comment = models.TextField(blank=True, max_length=2000)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.get_vote_display()} on {self.message_id}"
