"""The library's own survey and its focus group (docs/surveys.md).

A survey is written by staff in one language and answered anonymously: a Response keeps the
day it came in and the channel (mail, website, desk), never a member, a message, an address or
a time of day, and its id (like an Answer's) is random, so that the order of the rows says
nothing of when one came in. A Volunteer for the focus group is kept apart, with no link to
any response, for as long as the survey's staff said when asking (`volunteer_retention_days`).
"""

import secrets
import uuid

from django.db import models

from patronflow.members.models import Library

KEY_BYTES = 18  # 24 url-safe characters


def new_key() -> str:
    return secrets.token_urlsafe(KEY_BYTES)


class Survey(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    class Language(models.TextChoices):
        DUTCH = "nl", "Nederlands"
        ENGLISH = "en", "English"

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="surveys")
    # The public address's part: unguessable, unlike the primary key.
    key = models.CharField(max_length=32, unique=True, default=new_key, editable=False)
    title = models.CharField(max_length=200)
    intro = models.TextField(blank=True, max_length=2000)
    thanks = models.TextField(blank=True, max_length=2000)
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.DUTCH)
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.DRAFT)
    offers_focus_group = models.BooleanField(default=True)
    volunteer_retention_days = models.PositiveIntegerField(default=365)
    created_at = models.DateTimeField(auto_now_add=True)
    opened_on = models.DateField(null=True, blank=True)
    closed_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["library", "-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.library.code}/{self.title}"


class Question(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", "One choice"
        MULTIPLE = "multiple", "Several choices"
        SCALE = "scale", "Scale 1 to 5"
        OPEN = "open", "Open answer"

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.SINGLE)
    text = models.CharField(max_length=500)
    choices = models.JSONField(default=list, blank=True)
    required = models.BooleanField(default=False)

    class Meta:
        ordering = ["survey", "position", "pk"]

    def __str__(self) -> str:
        return f"{self.survey_id}#{self.position} {self.text[:40]}"


class Response(models.Model):
    """One filled-in survey: the day and the channel, nothing that says whose it is."""

    class Channel(models.TextChoices):
        MAIL = "mail", "Mail"
        WEBSITE = "website", "Website"
        DESK = "desk", "Library desk"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    submitted_on = models.DateField()
    channel = models.CharField(max_length=7, choices=Channel.choices)

    class Meta:
        indexes = [models.Index(fields=["survey", "channel"])]

    def __str__(self) -> str:
        return f"{self.survey_id} {self.submitted_on} {self.channel}"


class Answer(models.Model):
    """One value: a choice's text (one row per choice ticked), a scale's 1–5 or an open text."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    value = models.TextField()

    class Meta:
        indexes = [models.Index(fields=["question", "value"])]

    def __str__(self) -> str:
        return f"{self.question_id}: {self.value[:40]}"


class Volunteer(models.Model):
    """Somebody who asked to join the focus group, with the consent they gave: never linked
    to a response."""

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="volunteers")
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="volunteers")
    name = models.CharField(max_length=150)
    email = models.EmailField()
    phone = models.CharField(max_length=30, blank=True)
    consented_at = models.DateTimeField()
    consent_text = models.TextField(help_text="The consent wording as the volunteer read it.")
    retain_until = models.DateField(db_index=True)

    class Meta:
        ordering = ["library", "-consented_at"]

    def __str__(self) -> str:
        return f"{self.library.code} volunteer {self.pk}"
