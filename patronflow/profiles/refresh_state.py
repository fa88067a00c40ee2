"""A library's refresh state on its policy: the lock every profile writer takes, the loans'
watermark, and whether the next refresh can go by difference."""

import datetime as dt

from django.db import connection, transaction
from django.db.models import F

from patronflow.members.models import Library, Loan
from patronflow.profiles.models import ClassificationPolicy


def loans_watermark(*, wait: bool = True) -> int:
    """The largest loan id such that no transaction can still commit a loan with a lower id.

    On PostgreSQL ids are handed out when a row is inserted but become visible when its
    transaction commits, so a bare MAX(id) could pass over a loan an import is about to
    commit. A SHARE lock waits for the transactions writing loans to end (imports commit in
    chunks: a few seconds at most) and is released right away when no transaction is open.
    SQLite has one writer at a time, whose ids are all above what others can read."""
    loans = Loan._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        if wait and connection.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {loans} IN SHARE MODE")
        cursor.execute(f"SELECT MAX(id) FROM {loans}")
        return cursor.fetchone()[0] or 0


def lock_policy(library: Library) -> None:
    """Lock the library's policy row for this transaction by a write (a row lock on
    PostgreSQL, the database's write lock on SQLite); nothing when it has none."""
    ClassificationPolicy.objects.filter(library=library).update(profiles_as_of=F("profiles_as_of"))


def locked_policy(library: Library) -> ClassificationPolicy:
    """The library's policy, created when missing, and locked for this transaction:
    refreshes add and subtract, so two at once must not both apply the same day's
    difference."""
    ClassificationPolicy.objects.get_or_create(library=library)
    lock_policy(library)
    return ClassificationPolicy.objects.get(library=library)


def mark_refreshed(policy: ClassificationPolicy, today: dt.date, through: int) -> None:
    """Record that the stored profiles hold as of `today` for every loan up to `through`,
    under the policy's current window and source order."""
    policy.profiles_as_of = today
    policy.profiles_loans_through = through
    policy.profiles_window_months = policy.window_months
    policy.profiles_source_order = list(policy.source_order)
    policy.save(
        update_fields=[
            "profiles_as_of",
            "profiles_loans_through",
            "profiles_window_months",
            "profiles_source_order",
        ]
    )


def by_difference(policy: ClassificationPolicy, today: dt.date) -> bool:
    """Whether the stored profiles can be carried to `today` by difference: counted before,
    under the same window and source order, and not as of a later day."""
    return (
        policy.profiles_as_of is not None
        and policy.profiles_loans_through is not None
        and today >= policy.profiles_as_of
        and policy.profiles_window_months == policy.window_months
        and policy.profiles_source_order == list(policy.source_order)
    )
