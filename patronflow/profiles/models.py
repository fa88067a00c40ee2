from django.db import models

from patronflow.members.models import Member


class Segment(models.TextChoices):
    FICTION_DIGITAL = "fiction_digital", "Fiction, digital"
    FICTION_PHYSICAL = "fiction_physical", "Fiction, physical"
    NONFICTION_DIGITAL = "nonfiction_digital", "Non-fiction, digital"
    NONFICTION_PHYSICAL = "nonfiction_physical", "Non-fiction, physical"
    UNKNOWN = "unknown", "Too little history"


class ReadingProfile(models.Model):
    """What a member mainly reads, derived from their loans; recomputed by each tick."""

    member = models.OneToOneField(
        Member, on_delete=models.CASCADE, primary_key=True, related_name="reading_profile"
    )
    segment = models.CharField(max_length=24, choices=Segment.choices, default=Segment.UNKNOWN)
    loans_counted = models.PositiveIntegerField(default=0)
    fiction_share = models.FloatField(null=True, blank=True)
    digital_share = models.FloatField(null=True, blank=True)
    computed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.member} {self.segment}"
