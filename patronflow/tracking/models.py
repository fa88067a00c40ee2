"""What members did with a mail. Events hold no address, name or IP: only message and kind."""

from django.db import models

from patronflow.mail.models import Message


class Event(models.Model):
    class Kind(models.TextChoices):
        OPEN = "open", "Opened"
        CLICK = "click", "Clicked"
        UNSUBSCRIBE = "unsubscribe", "Unsubscribed"
        FEEDBACK = "feedback", "Gave feedback"

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    link_index = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["message", "kind"])]

    def __str__(self) -> str:
        return f"{self.kind} on {self.message_id}"


class Feedback(models.Model):
    """One vote per message; voting again replaces the earlier vote."""

    class Vote(models.IntegerChoices):
        UP = 1, "👍"
        DOWN = -1, "👎"

    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="feedback")
    vote = models.SmallIntegerField(choices=Vote.choices)
    comment = models.TextField(blank=True, max_length=2000)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.get_vote_display()} on {self.message_id}"
