"""What privacy keeps: each library's retention periods, its suppression list (addresses never
mailed again), the register of erased members, and the audit log of every access to and
removal of a member's data and of every change to a library's set-up (docs/privacy.md)."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, models, transaction

from patronflow.members.models import Library
from patronflow.privacy.references import address_reference

EX_MEMBER_DAYS = 730  # 2 years after a membership ended
AUDIT_DAYS = 1827  # 5 years: outlives the member data it is about, then goes too
# Loans older than this go, for current members too. The reading profile looks back as far by
# default (profiles.models.DEFAULT_WINDOW_MONTHS), and never further (profiles/policies.py).
LOAN_HISTORY_MONTHS = 36


class RetentionPolicy(models.Model):
    """How long one library keeps what it no longer needs. A library without one gets the
    defaults, which are the network's agreement with its libraries."""

    library = models.OneToOneField(
        Library, on_delete=models.CASCADE, primary_key=True, related_name="retention_policy"
    )
    ex_member_days = models.PositiveIntegerField(
        default=EX_MEMBER_DAYS,
        help_text="Everything about a member goes this many days after their membership ended.",
    )
    audit_days = models.PositiveIntegerField(
        default=AUDIT_DAYS, help_text="Audit entries about this library go after this many days."
    )
    loan_history_months = models.PositiveSmallIntegerField(
        default=LOAN_HISTORY_MONTHS,
        help_text="Loans older than this many months go; never shorter than the reading "
        "profile's window.",
    )

    class Meta:
        verbose_name_plural = "retention policies"

    def __str__(self) -> str:
        return f"{self.library.code}: ex-members {self.ex_member_days} days"


class Suppression(models.Model):
    """An address this library never mails again (until staff remove it from the list)."""

    class Reason(models.TextChoices):
        HARD_BOUNCE = "hard_bounce", "Hard bounce"
        SOFT_BOUNCES = "soft_bounces", "Repeated soft bounces"
        COMPLAINT = "complaint", "Spam complaint"
        MANUAL = "manual", "Added by staff"

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="suppressions")
    # Lower case: addresses are compared without regard to case. Empty once the member who had
    # the address was erased or purged: `address_ref` still stops mail to it, and an import
    # that brings the address back puts it here again (docs/privacy.md).
    email = models.CharField(max_length=254, blank=True)
    # The address as a keyed hash (privacy.references.address_reference), set on every row.
    address_ref = models.CharField("address reference", max_length=64)
    reason = models.CharField(max_length=16, choices=Reason.choices)
    # The message whose bounce or complaint put it here (an id: see Bounce.message_id).
    source_message_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "mail_suppression"  # the table it had when the mail stage kept it
        constraints = [
            models.UniqueConstraint(
                fields=["library", "address_ref"], name="suppressed_once_per_library"
            ),
            models.UniqueConstraint(
                fields=["library", "email"],
                condition=~models.Q(email=""),
                name="suppressed_address_once_per_library",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.library_id}:{self.email or '(erased address)'} ({self.reason})"

    def save(self, *args, **kwargs) -> None:
        if self.email and not self.address_ref:
            self.address_ref = address_reference(self.email)
        super().save(*args, **kwargs)


class ErasedMember(models.Model):
    """A member erased at their request, so that the library system's next export does not
    bring them back. Holds no personal data: the member is a keyed hash of library and
    member id (privacy.references.erasure_reference), and the day of the erasure."""

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="erased_members")
    member_ref = models.CharField("member reference", max_length=64)
    erased_on = models.DateField()
    # The last day an import still listed the member: the entry goes when the library
    # system has not listed them for the ex-member retention period.
    last_listed_on = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["library", "member_ref"], name="erased_once_per_library"
            )
        ]

    def __str__(self) -> str:
        return f"{self.library_id}: erased on {self.erased_on}"


class AuditMaintenance(models.Model):
    """SQLite only: a row here, inserted and removed inside the purge's own transaction, is
    what lets the database's trigger accept the deletion of expired audit entries (SQLite
    has no transaction-local setting; PostgreSQL uses one instead). Empty at every commit."""

    opened_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"audit maintenance opened at {self.opened_at}"


@contextmanager
def audit_maintenance() -> Iterator[None]:
    """Let the database delete audit entries, for the rest of this block and transaction only
    (migration 0002 of privacy): the retention's expiry is the one caller."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT set_config('patronflow.audit_maintenance', 'on', true)")
            yield
            cursor.execute("SELECT set_config('patronflow.audit_maintenance', 'off', true)")
        else:
            opened = AuditMaintenance.objects.create()
            yield
            AuditMaintenance.objects.filter(pk=opened.pk).delete()


class AppendOnly(Exception):
    """The audit log is written once and never edited; only its retention removes entries."""


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnly("audit entries cannot be changed")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnly("audit entries cannot be changed")

    def delete(self):
        raise AppendOnly("audit entries cannot be deleted (they expire: see expire_before)")

    def expire_before(self, moment) -> int:
        """The one way entries leave: older than their retention period (`purge` calls it).
        The database refuses the deletion unless it is told, in this transaction, that it is
        the retention's (migration 0002 of privacy)."""
        with audit_maintenance():
            deleted, _ = models.QuerySet.delete(self.filter(at__lt=moment))
        return deleted


def _described(value: object) -> str:
    return "–" if value is None or value == "" else str(value)


class AuditEntry(models.Model):
    """Who did what to which member's data, and when. The member is named by a keyed hash
    of the library's code and member id (privacy.references.member_reference), not in clear.

    A `changed` entry is about a library's set-up, not a member (privacy/audit.py): what
    was changed (`subject`) and, per name, what it was and what it became (`changes`)."""

    class Action(models.TextChoices):
        VIEWED = "viewed", "Viewed"
        EXPORTED = "exported", "Exported"
        ERASED = "erased", "Erased"
        PURGED = "purged", "Purged (retention)"
        CHANGED = "changed", "Changed"

    at = models.DateTimeField(db_index=True)
    operator = models.CharField(max_length=150)
    action = models.CharField(max_length=10, choices=Action.choices)
    # A code, not a foreign key: the log outlives the member and even the library.
    library_code = models.CharField(max_length=32)
    member_ref = models.CharField(
        "member reference", max_length=64, blank=True, help_text="Empty: library-wide."
    )
    counts = models.JSONField(default=dict, blank=True, help_text="Rows per table.")
    subject = models.CharField(
        max_length=200, blank=True, help_text="What was changed, e.g. journey welcome."
    )
    changes = models.JSONField(
        default=dict, blank=True, help_text="Per name changed: [what it was, what it became]."
    )

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "audit entries"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["library_code", "member_ref"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.operator} {self.action} {self.library_code}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AppendOnly("audit entries cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("audit entries cannot be deleted")

    def described_changes(self) -> str:
        """The changes as a person reads them: `status: active → paused; body: (1,204
        characters) → (1,310 characters)`; – where a value did not exist."""
        return "; ".join(
            f"{name}: {_described(before)} → {_described(after)}"
            for name, (before, after) in self.changes.items()
        )
