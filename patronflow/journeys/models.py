"""Journeys are data: who enters, timed steps, per-segment variants of each mail, and who leaves.

A Journey is the thing a marketer names and switches on or off; what it does lives in its
Versions. Editing a journey that members are already in adds a version: they finish on the
version they entered, unless the marketer migrates them. Broadcasts are one-step journeys
whose members all enter at a set time.
"""

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q

from patronflow.choices.models import MailingList
from patronflow.choices.services import list_for
from patronflow.members.models import EVENT_TYPE, Library, Member, MemberEvent
from patronflow.profiles.models import Segment
from patronflow.templating.blocks import has_reading_tips, to_template

# A paused journey's queued mails wait until this moment, i.e. until it is resumed.
HELD_UNTIL = dt.datetime(9000, 1, 1, tzinfo=dt.UTC)


class Journey(models.Model):
    class Kind(models.TextChoices):
        JOURNEY = "journey", "Journey"
        BROADCAST = "broadcast", "Broadcast"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        ARCHIVED = "archived", "Archived"

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="journeys")
    key = models.SlugField(max_length=50)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.JOURNEY)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    # The list (topic) its mails go out on: a member who left it gets none of them, and the
    # mails' List-Id names it (choices/models.py).
    mailing_list = models.ForeignKey(MailingList, on_delete=models.PROTECT, related_name="journeys")
    # Why patronflow paused it on its own (e.g. most of a step's mails failed on their
    # template); empty when staff paused it, and cleared when it is resumed.
    pause_reason = models.TextField(blank=True)
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

    def save(self, *args, **kwargs) -> None:
        if self.mailing_list_id is None:  # none chosen: the library's default list
            self.mailing_list = list_for(self.library, None)
        super().save(*args, **kwargs)

    @property
    def current_version(self) -> "Version":
        """The version new members enter: the latest one."""
        return self.versions.order_by("-number").first()


class Version(models.Model):
    """One edit of a journey: its entry rule, exits, re-entry, holdout and steps."""

    class Exit(models.TextChoices):
        CAME_BACK = "came_back", "Came back (loan or visit)"
        ONLINE_PROFILE = "online_profile", "Has an online profile"
        BOUNCED = "bounced", "Address bounced"

    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    entry = models.JSONField(
        default=dict, help_text="Conditions a member must meet to enter (see audiences.py)."
    )
    on_event = models.CharField(
        max_length=100,
        blank=True,
        validators=[EVENT_TYPE],
        help_text="Members enter when an event of this type arrives (e.g. activity.registered), "
        "once per event; empty: they enter by the entry conditions alone.",
    )
    exit_when = models.JSONField(
        default=list,
        help_text="Extra reasons to leave; unsubscribing, an ended membership and no longer "
        "being mailable always end a journey.",
    )
    reentry_after_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Empty: a member enters once, ever."
    )
    holdout_percent = models.PositiveSmallIntegerField(
        default=0, help_text="Share of entrants enrolled but never mailed, for comparison."
    )
    send_at = models.DateTimeField(
        null=True, blank=True, help_text="Broadcasts: when the audience enters."
    )
    entry_closed_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="Broadcasts: when the audience entered."
    )
    # The language of the mails' own words (layout, tips heading, footer); staff write the
    # subject and body in it.
    language = models.CharField(
        max_length=5, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["journey", "number"], name="version_number_unique")
        ]
        ordering = ["journey", "number"]

    def __str__(self) -> str:
        return f"{self.journey} v{self.number}"


class Step(models.Model):
    class WaitFrom(models.TextChoices):
        ENTRY = "entry", "After entering the journey"
        PREVIOUS = "previous", "After the previous mail"
        BEFORE_EVENT = "before_event", "Before a moment in the event"
        AFTER_EVENT = "after_event", "After a moment in the event"

    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=200)
    wait_days = models.PositiveIntegerField()
    wait_from = models.CharField(max_length=12, choices=WaitFrom.choices, default=WaitFrom.ENTRY)
    # With before_event/after_event: the event's property holding the moment (e.g. starts_at).
    event_property = models.CharField(max_length=60, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["version", "position"], name="step_position_unique")
        ]
        ordering = ["version", "position"]

    def __str__(self) -> str:
        return f"{self.version} #{self.position} {self.name}"


DEFAULT_VARIANT = "default"


class Variant(models.Model):
    """The mail of one step for one segment; segment '' is the fallback for everyone else.
    Its content is stored once, as blocks; the body the renderer reads is written from them."""

    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="variants")
    segment = models.CharField(max_length=24, choices=Segment.choices, blank=True)
    subject = models.CharField(max_length=300)
    preheader = models.CharField(max_length=300, blank=True)
    blocks = models.JSONField(
        default=list, help_text="The mail's content as blocks (templating/blocks.py)."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["step", "segment"], name="variant_segment_unique")
        ]

    def __str__(self) -> str:
        return f"{self.step} [{self.segment or DEFAULT_VARIANT}]"

    @property
    def body(self) -> str:
        """The blocks as the staff template text mail/rendering.py renders (written once per
        content and kept: a batch reads it for every mail)."""
        return to_template(self.blocks)

    @property
    def with_reading_tips(self) -> bool:
        """Whether the mail places reading tips: only then are they chosen for it."""
        return has_reading_tips(self.blocks)


class SavedSegment(models.Model):
    """A named audience a marketer reuses: the entry of a journey or a broadcast."""

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="segments")
    key = models.SlugField(max_length=50)
    name = models.CharField(max_length=200)
    conditions = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["library", "key"], name="segment_key_unique")
        ]
        ordering = ["library", "key"]

    def __str__(self) -> str:
        return f"{self.library.code}/{self.key}"


class Enrolment(models.Model):
    """A member's way through one version of a journey; `next_position` and `next_due_on`
    say which step comes next and when, so the scheduler only reads what is due."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        COMPLETED = "completed", "Completed"
        EXITED = "exited", "Exited"

    class ExitReason(models.TextChoices):
        CAME_BACK = "came_back", "Came back (loan or visit)"
        ONLINE_PROFILE = "online_profile", "Created an online profile"
        BOUNCED = "bounced", "Address bounced"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
        LEFT_LIST = "left_list", "Left the journey's list"
        MEMBERSHIP_ENDED = "membership_ended", "Membership ended"
        INELIGIBLE = "ineligible", "No longer eligible for mail"
        ARCHIVED = "archived", "Journey archived"

    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="enrolments")
    version = models.ForeignKey(Version, on_delete=models.PROTECT, related_name="enrolments")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="enrolments")
    entered_on = models.DateField()
    segment = models.CharField(max_length=24, choices=Segment.choices, default=Segment.UNKNOWN)
    held_out = models.BooleanField(
        default=False, help_text="In the control group: walks the journey but is never mailed."
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    exit_reason = models.CharField(max_length=20, choices=ExitReason.choices, blank=True)
    ended_on = models.DateField(null=True, blank=True)
    next_position = models.PositiveSmallIntegerField(null=True, blank=True)
    next_due_on = models.DateField(null=True, blank=True)
    # Journeys that start on an event: the event this enrolment is for.
    event = models.ForeignKey(
        MemberEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="enrolments"
    )

    class Meta:
        constraints = [
            # One running enrolment per member and journey: a second tick cannot enrol twice.
            # Journeys that start on events enrol once per event instead.
            models.UniqueConstraint(
                fields=["journey", "member"],
                condition=Q(status="active", event__isnull=True),
                name="enrolment_active_unique",
            ),
            models.UniqueConstraint(fields=["journey", "event"], name="enrolment_event_unique"),
        ]
        indexes = [
            models.Index(fields=["journey", "status", "next_due_on"]),
            models.Index(fields=["member", "journey"]),
        ]

    def __str__(self) -> str:
        return f"{self.member} in {self.journey} ({self.status})"


class MailTally(models.Model):
    """What the mails of erased members did, counted per library, step, variant and week.

    Erasing a member deletes their messages, but last year's report must not change: their
    outcomes are added here first. No row names a member or a message.
    """

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="mail_tallies")
    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="tallies")
    variant = models.ForeignKey(Variant, on_delete=models.PROTECT, related_name="tallies")
    week = models.DateField(help_text="The Monday of the week the mails were sent.")
    sent = models.PositiveIntegerField(default=0)
    # Of `sent`: the sender stopped before recording the SMTP outcome (reports/metrics.py).
    uncertain = models.PositiveIntegerField(default=0)
    # Opened and clicked by anyone; human_*: by the member, not an image proxy or link
    # scanner (tracking/machines.py) — the counts every rate is made of.
    opened = models.PositiveIntegerField(default=0)
    human_opened = models.PositiveIntegerField(default=0)
    clicked = models.PositiveIntegerField(default=0)
    human_clicked = models.PositiveIntegerField(default=0)
    unsubscribed = models.PositiveIntegerField(default=0)
    thumbs_up = models.PositiveIntegerField(default=0)
    thumbs_down = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "privacy_mailtally"  # the table it had when privacy kept it
        constraints = [
            models.UniqueConstraint(
                fields=["library", "step", "variant", "week"], name="tally_once_per_week"
            )
        ]

    def __str__(self) -> str:
        return f"{self.variant} week of {self.week}: {self.sent} sent"


class ApprovalRequest(models.Model):
    """Four eyes: a change one staff member made to a journey or broadcast that waits for the
    library's other staff member before it goes active (operations/approvals.py).

    `base` is the journey's definition when the change was asked for: what the diff is
    shown against, and what the journey must still be when the change is approved — a
    journey that changed meanwhile makes the request stale rather than overwritten."""

    class Change(models.TextChoices):
        VERSION = "version", "New version"
        ACTIVATION = "activation", "Activation"

    class State(models.TextChoices):
        PENDING = "pending", "Waiting"
        APPROVED = "approved", "Approved"
        DECLINED = "declined", "Declined"
        STALE = "stale", "Stale"

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="approvals")
    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="approvals")
    change = models.CharField(max_length=10, choices=Change.choices)
    # A new version: the definition to install; an activation: empty.
    definition = models.JSONField(default=dict, blank=True)
    move_members = models.BooleanField(
        default=False, help_text="A new version: move members on their way onto it."
    )
    base = models.JSONField(help_text="The journey's definition when the change was asked for.")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["library", "state"])]

    def __str__(self) -> str:
        return f"{self.journey} {self.change} ({self.state})"


class NetworkTemplate(models.Model):
    """A journey or broadcast the network admin offers to all or chosen libraries, which
    adopt it as their own copy (Adoption); its content lives in its versions."""

    key = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Journey.Kind.choices)
    offered_to_all = models.BooleanField(default=True)
    libraries = models.ManyToManyField(Library, blank=True, related_name="offered_templates")
    # The journey the admin builds it in; a new version is taken from it.
    source = models.ForeignKey(
        Journey, on_delete=models.SET_NULL, null=True, blank=True, related_name="templates"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "key"]

    def __str__(self) -> str:
        return self.key

    @property
    def latest(self) -> "TemplateVersion":
        return self.versions.order_by("-number").first()


class TemplateVersion(models.Model):
    template = models.ForeignKey(NetworkTemplate, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    definition = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["template", "number"], name="template_version_number_unique"
            )
        ]
        ordering = ["template", "number"]

    def __str__(self) -> str:
        return f"{self.template} v{self.number}"


class Adoption(models.Model):
    """A library's journey that is its own copy of a network template: which template
    version it was made from or last took over, and the newest version it chose to leave."""

    template = models.ForeignKey(
        NetworkTemplate, on_delete=models.CASCADE, related_name="adoptions"
    )
    journey = models.OneToOneField(Journey, on_delete=models.CASCADE, related_name="adoption")
    version_number = models.PositiveIntegerField()
    left_number = models.PositiveIntegerField(null=True, blank=True)
    adopted_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.journey} from {self.template} v{self.version_number}"
