"""Reads for privacy: each library's retention policy and erasure register, who is due for
removal, and the audit log's entries about a member."""

import datetime as dt

from django.core.management.base import CommandError
from django.db.models import QuerySet

from patronflow.members.models import Library, Member
from patronflow.privacy.models import (
    AUDIT_DAYS,
    EX_MEMBER_DAYS,
    LOAN_HISTORY_MONTHS,
    AuditEntry,
    RetentionPolicy,
)
from patronflow.privacy.references import member_reference


def retention_of(library: Library) -> RetentionPolicy:
    """The library's policy, or the defaults (not saved) when it has none. Read afresh, not
    from the library's cache, so that every import and purge asks the same queries."""
    policy = RetentionPolicy.objects.filter(library=library).select_related("library").first()
    if policy is None:
        return RetentionPolicy(
            library=library,
            ex_member_days=EX_MEMBER_DAYS,
            audit_days=AUDIT_DAYS,
            loan_history_months=LOAN_HISTORY_MONTHS,
        )
    return policy


def expired_members(library: Library, today: dt.date) -> QuerySet[Member]:
    """Members whose membership ended more than the library's retention period before today."""
    cutoff = today - dt.timedelta(days=retention_of(library).ex_member_days)
    return Member.objects.filter(library=library, membership_ends_on__lt=cutoff)


def member_for_command(library: Library, external_id: str) -> Member:
    """The member a command names by the library's own member id."""
    try:
        return Member.objects.get(library=library, external_id=external_id.strip())
    except Member.DoesNotExist:
        raise CommandError(
            f"library {library.code} holds no member {external_id!r} "
            "(never imported, or already erased or purged)"
        ) from None


def audit_entries_about(library: Library, external_id: str) -> QuerySet[AuditEntry]:
    """The log's entries about one member, found by computing their reference again."""
    reference = member_reference(library.code, external_id.strip())
    return AuditEntry.objects.filter(library_code=library.code, member_ref=reference)


# The export --------------------------------------------------------------------------------
