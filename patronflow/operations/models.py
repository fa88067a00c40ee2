"""What the flows keep about themselves: the history of a library's imports."""

from django.db import models
from django.utils import timezone

from patronflow.members.models import Library

# Rejected rows name members: they are kept this long for staff to correct and re-import,
# then the purge empties them (docs/privacy.md). The record itself names no member.
REJECTS_DAYS = 30
# A rejects file longer than this is kept to its first lines (a wrong file rejects them all).
REJECTS_MAX_CHARS = 5_000_000


class ImportRecord(models.Model):
    """One finished import (a file from the command line or the staff screen, or a
    connector's rows): who, which file, what it did, and its rejected rows for a while.
    An import refused whole (a missing column, a refused snapshot) loaded nothing and has
    none."""

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="import_records")
    at = models.DateTimeField(default=timezone.now)
    operator = models.CharField(
        max_length=150, help_text="staff:<user name>, command line, or connector:<feed>."
    )
    kind = models.CharField(max_length=10)
    source = models.CharField(max_length=500, help_text="The file's name, or the feed's.")
    rows = models.PositiveIntegerField(default=0)
    inserted = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    memberships_ended = models.PositiveIntegerField(default=0)
    snapshot = models.BooleanField(default=False)
    rejects = models.TextField(
        blank=True, help_text="The rejected rows as CSV (line, reason, row); emptied by the purge."
    )
    rejects_cut = models.BooleanField(
        default=False, help_text="Only the first rows of a very long rejects file are kept."
    )

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["library", "kind", "at"])]

    def __str__(self) -> str:
        return f"{self.library_id} {self.kind} {self.source} {self.at:%Y-%m-%d %H:%M}"


class CalendarRun(models.Model):
    """One dry run of a journey's calendar for the staff screen, computed outside the web
    request (operations/calendar_runs.py) and kept, so that reopening the page shows it at
    once. It holds for the journey's version, the period and the first day, which is the day
    it was computed; its result names no member (counts per day only)."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    journey = models.ForeignKey(
        "journeys.Journey", on_delete=models.CASCADE, related_name="calendar_runs"
    )
    version = models.PositiveIntegerField(help_text="The journey's current version's number.")
    first_day = models.DateField(help_text="The calendar's first day: the day it was computed.")
    days = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(
        null=True, blank=True, help_text="When a worker took it up: one worker simulates a run."
    )
    finished_at = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(null=True, blank=True, help_text="The simulated days, when done.")
    error = models.TextField(blank=True, help_text="Why it failed.")

    class Meta:
        indexes = [models.Index(fields=["journey", "first_day", "version", "days"])]

    def __str__(self) -> str:
        return f"{self.journey_id} v{self.version} {self.first_day} +{self.days} {self.status}"
