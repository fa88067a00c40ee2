"""The outbox: one Message per (enrolment, step), enforced by the database."""

from django.db import models

from patronflow.journeys.models import Enrolment, Step, Variant
from patronflow.members.models import Library


class Message(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed permanently"
        SUPPRESSED = "suppressed", "Not sent (member not mailable)"

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="messages")
    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="messages")
    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="messages")
    variant = models.ForeignKey(Variant, on_delete=models.PROTECT, related_name="messages")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    due_on = models.DateField()
    to_email = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    # The destinations the rendered mail contained; click tokens point into this list.
    links = models.JSONField(default=list, blank=True)
    header_message_id = models.CharField(max_length=255, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Not to be claimed before this moment: a retry's backoff, the library's next send-window
    # opening, or the moment a cap leaves room (docs/sending.md). Empty: as soon as it is due.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=64, blank=True)
    # When a sender last took it: a message being sent counts against the caps from then on.
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "step"], name="message_once_per_step")
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            # The daily cap counts a library's mails sent since the start of its day.
            models.Index(fields=["library", "sent_at"], name="mail_message_library_sent_idx"),
        ]

    def __str__(self) -> str:
        return f"message {self.pk} ({self.status})"
