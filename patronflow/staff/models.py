"""Who may use the staff web application, in which role, for which library.

A marketer holds one of a library's two seats; the seat number is what lets the database
itself refuse a third marketer (unique per library, and 1 or 2 only), whatever the code does.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from patronflow.members.models import Library

MARKETER_SEATS = (1, 2)


class StaffProfile(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", _("Network admin")
        MARKETER = "marketer", _("Library marketer")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile"
    )
    role = models.CharField(max_length=10, choices=Role.choices)
    library = models.ForeignKey(
        Library, on_delete=models.CASCADE, null=True, blank=True, related_name="staff"
    )
    seat = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["library", "seat"], name="staff_seat_unique"),
            models.CheckConstraint(
                condition=Q(role="admin", library__isnull=True, seat__isnull=True)
                | Q(role="marketer", library__isnull=False, seat__in=MARKETER_SEATS),
                name="staff_role_library_seat",
            ),
        ]

    def __str__(self) -> str:
        where = self.library.code if self.library_id else "network"
        return f"{self.user.get_username()} ({self.role}, {where})"

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN


SEED_LIMIT = 20  # a test goes to a few colleagues; more would be a mailing without its rules


class SeedAddress(models.Model):
    """One of a library's own staff addresses that a mail's test is sent to (the seed list).
    Stored in lower case, so that one address is listed once."""

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="seed_addresses")
    address = models.EmailField()
    label = models.CharField(max_length=100, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["address"]
        constraints = [
            models.UniqueConstraint(fields=["library", "address"], name="seed_address_unique")
        ]

    def __str__(self) -> str:
        return f"{self.address} ({self.library_id})"
