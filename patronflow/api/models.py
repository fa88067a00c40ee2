from django.conf import settings
from django.db import models

from patronflow.members.models import Library


class ApiToken(models.Model):
    """A library's key to /api/v1/: shown once when made, kept only as a SHA-256 digest.

    The token reads `pf_<prefix>_<secret>`; the prefix finds the row and is shown to staff so
    they can tell tokens apart, the digest of the whole token proves it."""

    class Scope(models.TextChoices):
        READ = "read", "Read campaign figures"
        WRITE_MEMBERS = "members", "Write members, items and loans"
        EVENTS = "events", "Send events"

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, unique=True)
    digest = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["library", "-created_at"]

    def __str__(self) -> str:
        return f"{self.library.code}: {self.name} ({self.prefix})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ApiRequest(models.Model):
    """A POST sent with an `Idempotency-Key`: its fingerprint and, once answered, the answer,
    so that a retry with the same key is answered the same without doing anything twice.
    Kept for a day (IDEMPOTENCY_HOURS, api/idempotency.py: forget_old_requests)."""

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    # SHA-256 of the method, the path and the body: the same key with another request is refused.
    fingerprint = models.CharField(max_length=64)
    created_at = models.DateTimeField(db_index=True)
    # None while the first request is still being answered.
    status = models.PositiveSmallIntegerField(null=True)
    body = models.BinaryField(default=bytes)
    content_type = models.CharField(max_length=100, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["library", "key"], name="api_request_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.library_id}: {self.key}"


class RequestCount(models.Model):
    """How many requests a token made in one window of the rate limit (api/limits.py): one
    row per token and window, counted up in one statement by every server process alike."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="+")
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["token", "window_start"], name="request_count_unique")
        ]

    def __str__(self) -> str:
        return f"{self.token_id} {self.window_start:%H:%M}: {self.count}"
