import uuid

from django.conf import settings
from django.db import models

from patronflow.members.models import Library


class Subscription(models.Model):
    """A library system's or website's address that hears of some notice kinds
    (patronflow/notices.py), each delivery signed with this subscription's secret."""

    class State(models.TextChoices):
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    kinds = models.JSONField(default=list, help_text="The notice kinds delivered here.")
    # Needed in clear to sign; shown once to staff when made.
    secret = models.CharField(max_length=100)
    state = models.CharField(max_length=8, choices=State.choices, default=State.ACTIVE)
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_reason = models.CharField(max_length=300, blank=True)
    failures_in_a_row = models.PositiveIntegerField(default=0)
    # When the current run of failed attempts began (the first of failures_in_a_row):
    # a subscription failing for long enough is paused (webhooks/delivery.py).
    failing_since = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["library", "created_at"]

    def __str__(self) -> str:
        return f"{self.library.code}: {self.url}"


class Delivery(models.Model):
    """One notice for one subscription, from queued to delivered (a 2xx answer) or given up;
    `next_attempt_at` says when it is tried (again)."""

    class State(models.TextChoices):
        PENDING = "pending", "Waiting to be delivered"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Given up"

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    # The id the receiver sees (header and body): the same on every attempt, so it can
    # recognise a retry it already handled.
    notice_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=40)
    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="delivery_due",
                condition=models.Q(state="pending"),
            ),
            models.Index(fields=["subscription", "-created_at"]),
        ]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} → {self.subscription_id} ({self.state})"
