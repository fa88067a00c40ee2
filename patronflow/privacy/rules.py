"""Who may be mailed at all. Every journey and every send goes through these rules.

A member is mailable on a day when they are 16 or older on that day (an unknown birth date
counts as not proven, so not mailable), have an address, have not unsubscribed, their
membership has not ended, and their address is not on the library's suppression list (hard
bounces, repeated soft bounces, complaints: patronflow/mail/bounces.py). Below 16, nothing
beyond the import is done with a member's data: no reading profile either
(profiles/services.py counts only members born on or before `born_on_or_before`).

Also the rules that name people without naming them (keyed hashes of an address, of an erased
member) and the rule that ties the loan history to the reading profile's window.
"""

import datetime as dt

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Lower

from patronflow.crypto import salted_hmac
from patronflow.members.models import Member

ADDRESS_KEY_SALT = "patronflow.privacy.suppression.address"
ERASURE_KEY_SALT = "patronflow.privacy.erasure.member"


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


def mailable_condition(today: dt.date, prefix: str = "") -> Q:
    """The rule as a filter, usable on Member (or, with a prefix, through a relation)."""
    from patronflow.mail.models import Suppression

    p = prefix
    suppressed = Suppression.objects.filter(
        library_id=OuterRef(f"{p}library_id"), email=Lower(OuterRef(f"{p}email"))
    )
    return (
        ~Exists(suppressed)
        & Q(**{f"{p}birth_date__lte": born_on_or_before(today)})
        & ~Q(**{f"{p}email": ""})
        & Q(**{f"{p}unsubscribed_at__isnull": True})
        & (
            Q(**{f"{p}membership_ends_on__isnull": True})
            | Q(**{f"{p}membership_ends_on__gt": today})
        )
    )


def mailable_members(members: QuerySet[Member], today: dt.date) -> QuerySet[Member]:
    return members.filter(mailable_condition(today))


def address_reference(address: str) -> str:
    """A suppressed address as a keyed hash: what the suppression list keeps of an erased
    member's address, so that it still stops mail to it without holding it in clear."""
    value = address.strip().lower()
    return salted_hmac(ADDRESS_KEY_SALT, value).hexdigest()


def erasure_reference(library_code: str, external_id: str) -> str:
    """How the erasure register names a member: a keyed hash of library and member id (its
    own key, so that register and audit log cannot be joined without the secret key)."""
    value = f"{library_code}:{external_id.strip()}"
    return salted_hmac(ERASURE_KEY_SALT, value).hexdigest()


def _stored_window_and_history(library_id: int) -> tuple[int, int]:
    """The library's reading-profile window and loan history in months, as stored (or the
    defaults): each setting is checked against the other one's stored value."""
    from patronflow.privacy.models import LOAN_HISTORY_MONTHS, RetentionPolicy
    from patronflow.profiles.models import DEFAULT_WINDOW_MONTHS, ClassificationPolicy

    window = ClassificationPolicy.objects.filter(library_id=library_id).values_list(
        "window_months", flat=True
    )
    kept = RetentionPolicy.objects.filter(library_id=library_id).values_list(
        "loan_history_months", flat=True
    )
    return window.first() or DEFAULT_WINDOW_MONTHS, kept.first() or LOAN_HISTORY_MONTHS


def loan_history_problem(library_id: int | None, loan_history_months: int | None) -> str | None:
    """Why a library's loan history may not be this short, or None. Reading profiles count
    the loans of their window and are carried on by difference (profiles/services.py): a
    loan removed while inside the window would change a stored profile or a later refresh."""
    if library_id is None or loan_history_months is None:
        return None
    window, _ = _stored_window_and_history(library_id)
    if loan_history_months < window:
        return (
            f"The loan history must cover the reading profile's window of {window} months: "
            f"{loan_history_months} months is shorter."
        )
    return None


def profile_window_problem(library_id: int | None, window_months: int | None) -> str | None:
    """Why a reading profile may not look this far back, or None: not beyond the loans the
    library keeps (see loan_history_problem)."""
    if library_id is None or window_months is None:
        return None
    _, kept = _stored_window_and_history(library_id)
    if window_months > kept:
        return (
            f"The library keeps {kept} months of loan history (its retention policy): "
            f"a profile cannot count {window_months} months."
        )
    return None


def is_suppressed(member: Member) -> bool:
    """Whether the member's address is on their library's suppression list, also when only
    its keyed hash is left there (an erased member's address)."""
    from patronflow.mail.models import Suppression

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
