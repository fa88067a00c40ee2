"""Journeys are data: an entry rule, timed steps, and per-segment variants of each mail."""

from django.db import models

from patronflow.members.models import Library, Member
from patronflow.profiles.models import Segment


class Journey(models.Model):
    class EntryRule(models.TextChoices):
        NEW_MEMBER = "new_member", "Registered within the last N days"
        DORMANT = "dormant", "No loan or visit for more than N days"

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="journeys")
    key = models.SlugField(max_length=50)
    name = models.CharField(max_length=200)
    entry_rule = models.CharField(max_length=20, choices=EntryRule.choices)
    entry_days = models.PositiveIntegerField(
        help_text="New member: registered at most this many days ago. "
        "Dormant: no activity for more than this many days."
    )
    exit_on_return = models.BooleanField(
        default=False, help_text="Leave the journey on a new loan or visit after entry."
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["library", "key"], name="journey_key_unique_per_library"
            )
        ]
        ordering = ["library", "key"]

    def __str__(self) -> str:
        return f"{self.library.code}/{self.key}"


class Step(models.Model):
    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=200)
    wait_days = models.PositiveIntegerField(help_text="Days after entering the journey.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["journey", "position"], name="step_position_unique")
        ]
        ordering = ["journey", "position"]

    def __str__(self) -> str:
        return f"{self.journey} #{self.position} {self.name}"


DEFAULT_VARIANT = "default"


class Variant(models.Model):
    """The mail of one step for one segment; segment '' is the fallback for everyone else."""

    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="variants")
    segment = models.CharField(max_length=24, choices=Segment.choices, blank=True)
    subject = models.CharField(max_length=300)
    preheader = models.CharField(max_length=300, blank=True)
    body = models.TextField(help_text="Jinja2 (sandboxed) with a little HTML.")
    with_reading_tips = models.BooleanField(
        default=False, help_text="Add reading tips chosen for the member's segment."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["step", "segment"], name="variant_segment_unique")
        ]

    def __str__(self) -> str:
        return f"{self.step} [{self.segment or DEFAULT_VARIANT}]"


class Enrolment(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        COMPLETED = "completed", "Completed"
        EXITED = "exited", "Exited"

    class ExitReason(models.TextChoices):
        CAME_BACK = "came_back", "Came back (loan or visit)"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
        MEMBERSHIP_ENDED = "membership_ended", "Membership ended"
        INELIGIBLE = "ineligible", "No longer eligible for mail"

    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="enrolments")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="enrolments")
    entered_on = models.DateField()
    segment = models.CharField(max_length=24, choices=Segment.choices, default=Segment.UNKNOWN)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    exit_reason = models.CharField(max_length=20, choices=ExitReason.choices, blank=True)
    ended_on = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            # One enrolment per member and journey, ever: a second tick cannot enrol twice.
            models.UniqueConstraint(fields=["journey", "member"], name="enrolment_unique")
        ]
        indexes = [models.Index(fields=["journey", "status"])]

    def __str__(self) -> str:
        return f"{self.member} in {self.journey} ({self.status})"
