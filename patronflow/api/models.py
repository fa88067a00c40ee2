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
