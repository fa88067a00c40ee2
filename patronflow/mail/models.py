"""The outbox: one Message per (enrolment, step), enforced by the database; and what came
back: bounces and complaints (which feed privacy's suppression list), and the mails the
bounce listener has recorded (so that one delivered again is not counted again)."""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Value
from django.db.models.functions import Coalesce

from patronflow.journeys.models import Enrolment, Step, Variant
from patronflow.members.models import Library

HEX_COLOUR = RegexValidator(r"^#[0-9a-fA-F]{6}$", "a colour like #1f5f8b")


class Message(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed permanently"
        SUPPRESSED = "suppressed", "Not sent (member not mailable)"
        # Handed to the SMTP server by a sender that stopped before it recorded the outcome:
        # the mail may or may not have left, so it is never resent automatically.
        UNCERTAIN = "uncertain", "Outcome unknown (sender stopped)"

    # No index of their own: (library, sent_at) and the unique (enrolment, step) lead with
    # them, and every index is one more write each time a message changes state.
    library = models.ForeignKey(
        Library, on_delete=models.CASCADE, related_name="messages", db_index=False
    )
    enrolment = models.ForeignKey(
        Enrolment, on_delete=models.CASCADE, related_name="messages", db_index=False
    )
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
    # Wall-clock moment after which a sender that has not recorded an outcome is presumed dead.
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # Set, durably, just before the sender hands the mail to the SMTP server, a small group at
    # a time: a dead sender's mails without it were never handed over and go back to the queue.
    handed_over_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "step"], name="message_once_per_step")
        ]
        # Every index is written again each time a message changes state (queued → sending →
        # sent), so those for one state hold that state's messages only.
        indexes = [
            # The daily cap counts a library's mails sent since the start of its day.
            models.Index(fields=["library", "sent_at"], name="mail_message_library_sent_idx"),
            # Leases that ran out (reclaim_expired_leases).
            models.Index(
                fields=["lease_expires_at"],
                condition=models.Q(status="sending"),
                name="mail_message_sending_lease_idx",
            ),
            # Mails a sender stopped on: few, counted on every report and /metrics scrape.
            models.Index(
                fields=["library"],
                condition=models.Q(status="uncertain"),
                name="mail_message_uncertain_idx",
            ),
            # The outbox itself: a claim walks one library's queued messages in id order, and
            # must not wade through the years of sent ones the table also holds.
            models.Index(
                fields=["library", "id"],
                condition=models.Q(status="queued"),
                name="mail_message_queued_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"message {self.pk} ({self.status})"


class Bounce(models.Model):
    """A delivery report (RFC 3464) or complaint (RFC 5965) that came back for a message."""

    class Kind(models.TextChoices):
        HARD = "hard", "Hard bounce (address does not exist)"
        SOFT = "soft", "Soft bounce (temporary: mailbox full, server busy)"
        COMPLAINT = "complaint", "Complaint (marked as spam)"

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="bounces")
    # The message it came back for, by id and not as a foreign key: erasing a member erases
    # their messages, while what bounced for an address stays evidence for the suppression.
    message_id = models.BigIntegerField(null=True, blank=True)
    email = models.CharField(max_length=254)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    status_code = models.CharField(max_length=16, blank=True)
    diagnostic = models.TextField(blank=True)
    received_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["library", "email", "received_at"])]

    def __str__(self) -> str:
        return f"{self.kind} bounce for {self.email}"


class ReceivedMail(models.Model):
    """A mail the bounce listener (mail/inbound.py) recorded, known by a keyed hash of the
    mail's own Message-ID and envelope recipients (of its content when it has no
    Message-ID): the sending MTA delivers a mail again when the listener's 250 did not reach
    it, and that second delivery must not count a soft bounce twice. Recorded in the same
    transaction as what the mail caused; the key says nothing without the mail itself."""

    key = models.CharField(max_length=64, unique=True)
    # Kept for received.KEEP_DAYS, well past the days an MTA keeps trying.
    received_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"mail received {self.received_at:%Y-%m-%d %H:%M}"


class MailImage(models.Model):
    """An image a library uploaded for its mails, re-encoded without its metadata and kept
    in the database (every web machine serves it, no shared files). Mail clients fetch it
    from patronflow itself at a random key, so nothing in a mail comes from a third party and
    one library's images cannot be found by counting another's ids. A network image (no
    library) is the network brand kit's logo."""

    class Format(models.TextChoices):
        PNG = "png", "PNG"
        JPEG = "jpeg", "JPEG"

    library = models.ForeignKey(
        Library, on_delete=models.CASCADE, null=True, blank=True, related_name="mail_images"
    )
    key = models.CharField(max_length=32, unique=True)
    original_name = models.CharField(max_length=255)
    # What a screen reader says, and what a mail shows while images are off.
    alt = models.CharField(max_length=300)
    format = models.CharField(max_length=4, choices=Format.choices)
    # The mail rendition: up to twice the width a mail shows it at, sharp on phones.
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    data = models.BinaryField()
    thumbnail = models.BinaryField()
    # Bytes kept (both renditions), what the library's quota counts.
    size = models.PositiveIntegerField()
    # Of the uploaded file: the same file uploaded twice is one image.
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["library", "sha256"])]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.width}x{self.height})"


class BrandKit(models.Model):
    """How a library's mails look: its logo, colours and footer lines (mail/brand.py). The
    kit without a library is the network's default, set by a network admin, worn wherever a
    library has set nothing of its own; an empty field means "not set"."""

    library = models.OneToOneField(
        Library, on_delete=models.CASCADE, null=True, blank=True, related_name="brand_kit"
    )
    logo = models.ForeignKey(
        MailImage, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The logo on the library's own site, from before images were uploaded: still the
    # library's own, so worn when no logo is uploaded (https only).
    logo_url = models.URLField(blank=True)
    colour = models.CharField(max_length=7, blank=True, validators=[HEX_COLOUR])
    button_colour = models.CharField(max_length=7, blank=True, validators=[HEX_COLOUR])
    # A few plain lines under every mail: the address, opening hours.
    footer = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            # One network kit: the kits without a library share one key.
            models.UniqueConstraint(
                Coalesce("library", Value(0)), name="brand_kit_one_per_library_and_network"
            )
        ]

    def __str__(self) -> str:
        return f"brand kit of {self.library or 'the network'}"
