"""Who may be mailed at all. Every journey and every send goes through these rules.

A member is mailable on a day when they are 16 or older on that day (an unknown birth date
counts as not proven, so not mailable), have an address, have not unsubscribed, their
membership has not ended, and their address is not on the library's suppression list
(privacy.Suppression: hard bounces, repeated soft bounces, complaints, fed by
patronflow/mail/bounces.py). Below 16, nothing beyond the import is done with a member's
data: no reading profile either (profiles count only members born on or before
`born_on_or_before`).

The rule depends on members and privacy's own tables only: a stage that needs it imports it,
never the other way round (docs/architecture.md).
"""

import datetime as dt

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Lower
from django.db.models.lookups import In

from patronflow.members.models import Library, Member
from patronflow.privacy.models import Suppression
from patronflow.privacy.references import address_reference


def latest_birth_date(today: dt.date, years: int) -> dt.date:
    """The latest birth date of someone who is `years` old on `today`. On 29 February, in a
    year that has none, that is the 28th: someone born on 1 March has their birthday tomorrow.
    (Born on 29 February, one turns a year older on 1 March in common years.)"""
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # today is 29 February
        return today.replace(year=today.year - years, day=28)


def born_on_or_before(today: dt.date) -> dt.date:
    """The latest birth date of someone who is old enough to be mailed on `today`."""
    return latest_birth_date(today, settings.MINIMUM_MAILING_AGE)


def mailable_condition(today: dt.date, prefix: str = "", library: Library | None = None) -> Q:
    """The rule as a filter, usable on Member (or, with a prefix, through a relation). With
    the `library` all the rows belong to, its suppression list is read once and every row
    checked against it, in parallel where the database can, instead of looked up row by row:
    what a count over a whole library wants."""
    p = prefix
    if library is None:
        suppressed = Exists(
            Suppression.objects.filter(
                library_id=OuterRef(f"{p}library_id"), email=Lower(OuterRef(f"{p}email"))
            )
        )
    else:
        listed = Suppression.objects.filter(library=library).values("email")
        suppressed = In(Lower(f"{p}email"), listed)
    return (
        ~Q(suppressed)
        & Q(**{f"{p}birth_date__lte": born_on_or_before(today)})
        & ~Q(**{f"{p}email": ""})
        & Q(**{f"{p}unsubscribed_at__isnull": True})
        & (
            Q(**{f"{p}membership_ends_on__isnull": True})
            | Q(**{f"{p}membership_ends_on__gt": today})
        )
    )


def is_suppressed(member: Member) -> bool:
    """Whether the member's address is on their library's suppression list, also when only
    its keyed hash is left there (an erased member's address)."""
    return Suppression.objects.filter(
        library_id=member.library_id, address_ref=address_reference(member.email)
    ).exists()


def why_not_mailable(member: Member, today: dt.date, suppressed: bool | None = None) -> str | None:
    """The reason a member may not be mailed today, or None when they may. `suppressed`:
    whether the address is on the suppression list, when the caller looked it up already
    (a batch does it in one query); None looks it up."""
    if member.birth_date is None:
        return "birth date unknown: age 16+ not proven"
    if member.birth_date > born_on_or_before(today):
        return f"under {settings.MINIMUM_MAILING_AGE}"
    if not member.email:
        return "no e-mail address"
    if member.unsubscribed_at is not None:
        return "unsubscribed"
    if member.membership_ends_on is not None and member.membership_ends_on <= today:
        return "membership ended"
    if suppressed if suppressed is not None else is_suppressed(member):
        return "address suppressed (bounced or complained)"
    return None
