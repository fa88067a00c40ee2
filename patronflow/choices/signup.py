"""Sign-up for one list through a form, with double opt-in (docs/lists-and-signup.md).

A request stores a pending Contact and its REQUESTED consent record, whoever asks: whether
the address belongs to a member is only looked at when the link in the one confirmation mail
is used, so nothing about the request (nor the page that answers it) tells members apart.
Confirming turns the contact into a confirmed one, or, for an address of members of the
library, into those members' own choice for the list (the contact row then goes).

The limits count attempts in the database (SignupAttempt, under keyed hashes), so that every
server process counts the same ones.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.core import signing
from django.db import transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone
from email_validator import EmailNotValidError, validate_email

from patronflow.choices import texts
from patronflow.choices.models import ConsentRecord, Contact, MailingList, SignupAttempt
from patronflow.crypto import salted_hmac
from patronflow.members.models import Member

# At most this many requests per address per day, and per client address per hour.
PER_ADDRESS, ADDRESS_WINDOW = 3, dt.timedelta(days=1)
PER_CLIENT, CLIENT_WINDOW = 20, dt.timedelta(hours=1)
# The survey and its focus-group form, per client address per hour: room for a library's
# public wifi, where many respondents share one address, and none for stuffing answers or
# volunteering a list of other people's addresses.
CLIENT_LIMITS = {
    SignupAttempt.Kind.SURVEY: (60, dt.timedelta(hours=1)),
    SignupAttempt.Kind.VOLUNTEER: (5, dt.timedelta(hours=1)),
}
# A confirmation link works this long; a request nobody confirmed is purged after PENDING_DAYS.
CONFIRM_WITHIN = dt.timedelta(days=7)
PENDING_DAYS = 30
LANGUAGES = ("nl", "en")
_TOKEN_SALT = "patronflow.signup.confirm"
_ATTEMPT_SALT = "patronflow.signup.attempt"


def normalized_address(raw: str) -> str | None:
    """The address as it is stored and compared (lower case), or None when it is no address."""
    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


def attempt_key(kind: str, value: str) -> str:
    """What an attempt keeps of an address or a client: a keyed hash."""
    return salted_hmac(f"{_ATTEMPT_SALT}.{kind}", value).hexdigest()


def prune_attempts(now: dt.datetime) -> int:
    """Forget attempts older than the longest window: they count for nothing any more."""
    longest = max(ADDRESS_WINDOW, CLIENT_WINDOW, *(window for _, window in CLIENT_LIMITS.values()))
    return SignupAttempt.objects.filter(at__lt=now - longest).delete()[0]


def attempt_allowed(*, address: str, client: str, now: dt.datetime | None = None) -> bool:
    """Count one attempt for the address and the client and say whether both are still
    within their limits. Attempts older than the longest window are pruned on the way."""
    now = now or timezone.now()
    address_key = attempt_key(SignupAttempt.Kind.ADDRESS, address)
    client_key = attempt_key(SignupAttempt.Kind.CLIENT, client)
    with transaction.atomic():
        prune_attempts(now)
        SignupAttempt.objects.bulk_create(
            [
                SignupAttempt(kind=SignupAttempt.Kind.ADDRESS, key=address_key, at=now),
                SignupAttempt(kind=SignupAttempt.Kind.CLIENT, key=client_key, at=now),
            ]
        )
        by_address = SignupAttempt.objects.filter(
            kind=SignupAttempt.Kind.ADDRESS, key=address_key, at__gt=now - ADDRESS_WINDOW
        ).count()
        by_client = SignupAttempt.objects.filter(
            kind=SignupAttempt.Kind.CLIENT, key=client_key, at__gt=now - CLIENT_WINDOW
        ).count()
    return by_address <= PER_ADDRESS and by_client <= PER_CLIENT


def client_allowed(*, kind: str, client: str, now: dt.datetime | None = None) -> bool:
    """Count one attempt of this kind (CLIENT_LIMITS) for the client and say whether it is
    still within the limit; for the forms that take no address of their own to count."""
    limit, window = CLIENT_LIMITS[kind]
    now = now or timezone.now()
    key = attempt_key(kind, client)
    with transaction.atomic():
        prune_attempts(now)
        SignupAttempt.objects.create(kind=kind, key=key, at=now)
        counted = SignupAttempt.objects.filter(kind=kind, key=key, at__gt=now - window).count()
    return counted <= limit


def signup_list(library_code: str, key: str) -> MailingList | None:
    """The list a form signs up for; None for an unknown one and for a service list, which
    nobody joins or leaves on its own."""
    return (
        MailingList.objects.select_related("library")
        .filter(library__code=library_code, key=key, service=False)
        .first()
    )


@transaction.atomic
def request_signup(
    mailing_list: MailingList, *, email: str, language: str, at: dt.datetime | None = None
) -> Contact | None:
    """Store the request (a pending contact with its REQUESTED record) and return the
    contact to send the confirmation to; None when the address confirmed this list before,
    which needs no mail. A contact who left asks anew."""
    at = at or timezone.now()
    language = language if language in LANGUAGES else LANGUAGES[0]
    contact, created = Contact.objects.select_for_update().get_or_create(
        mailing_list=mailing_list,
        email=email,
        defaults={"library_id": mailing_list.library_id, "language": language, "requested_at": at},
    )
    if not created:
        if contact.confirmed_at is not None and contact.left_at is None:
            return None
        contact.language, contact.requested_at = language, at
        contact.confirmed_at = contact.left_at = None
        contact.save(update_fields=["language", "requested_at", "confirmed_at", "left_at"])
    ConsentRecord.objects.create(
        library_id=mailing_list.library_id,
        contact=contact,
        mailing_list=mailing_list,
        list_name=mailing_list.name,
        choice=ConsentRecord.Choice.REQUESTED,
        source=ConsentRecord.Source.SIGNUP_FORM,
        text_version=texts.SIGNUP_FORM,
        chosen_at=at,
    )
    return contact


def _address_check(email: str) -> str:
    return salted_hmac(_TOKEN_SALT, email).hexdigest()[:16]


def confirmation_token(contact: Contact) -> str:
    """A signed, timed token naming the contact and a keyed hash of its address (no address
    in clear): a new request for the same list and address keeps the earlier link working."""
    return signing.dumps(
        [contact.pk, contact.mailing_list_id, _address_check(contact.email)],
        salt=_TOKEN_SALT,
        compress=False,
    )


@dataclass(frozen=True)
class Confirmation:
    """What a confirmation link leads to: the contact (None when there is nothing to
    confirm: its sign-up became members' choices, it was purged or erased, or the list
    became a service list, which nobody joins on its own), the list, and whether it was
    confirmed already."""

    contact: Contact | None
    mailing_list: MailingList
    confirmed: bool


def confirmation_for(token: str) -> Confirmation | None:
    """The request a link confirms, or None for a forged or expired link (or one of a list
    that is gone)."""
    try:
        contact_id, list_id, check = signing.loads(
            token, salt=_TOKEN_SALT, max_age=CONFIRM_WITHIN.total_seconds()
        )
    except (signing.BadSignature, ValueError, TypeError):
        return None
    mailing_list = MailingList.objects.select_related("library").filter(pk=list_id).first()
    if mailing_list is None:
        return None
    contact = Contact.objects.filter(pk=contact_id, mailing_list=mailing_list).first()
    if mailing_list.service or contact is None or _address_check(contact.email) != check:
        return Confirmation(None, mailing_list, confirmed=False)
    return Confirmation(contact, mailing_list, confirmed=contact.confirmed_at is not None)


MemberChoice = Callable[..., bool]


def confirm(contact: Contact, *, choose: MemberChoice, at: dt.datetime | None = None) -> bool:
    """Confirm a pending request; True when it changed something (a replay changes nothing).
    For an address of members of the list's library (case-insensitive) the request becomes
    each member's own: their REQUESTED record moves over, `choose` (tracking's choose_list,
    passed in) makes them receive the list, a CONFIRMED record follows and the contact goes.
    Otherwise the contact is confirmed and gets its CONFIRMED record."""
    at = at or timezone.now()
    with transaction.atomic():
        contact = Contact.objects.select_for_update().filter(pk=contact.pk).first()
        if contact is None or contact.confirmed_at is not None:
            return False
        mailing_list = contact.mailing_list
        if mailing_list.service:  # became service mail since the link was opened
            return False
        members = list(
            Member.objects.filter(library_id=contact.library_id)
            .annotate(address=Lower("email"))
            .filter(address=contact.email)
        )
        record = {
            "library_id": contact.library_id,
            "mailing_list": mailing_list,
            "list_name": mailing_list.name,
        }
        if not members:
            contact.confirmed_at = at
            contact.save(update_fields=["confirmed_at"])
            ConsentRecord.objects.create(
                contact=contact,
                choice=ConsentRecord.Choice.CONFIRMED,
                source=ConsentRecord.Source.CONFIRMATION,
                text_version=texts.CONFIRMATION,
                chosen_at=at,
                **record,
            )
            return True
        requested = list(contact.consents.filter(choice=ConsentRecord.Choice.REQUESTED))
        for member in members:
            ConsentRecord.objects.bulk_create(
                [
                    ConsentRecord(
                        member=member,
                        choice=old.choice,
                        source=old.source,
                        text_version=old.text_version,
                        chosen_at=old.chosen_at,
                        **record,
                    )
                    for old in requested
                ]
            )
            choose(
                member,
                mailing_list,
                receives=True,
                source=ConsentRecord.Source.CONFIRMATION,
                text_version=texts.CONFIRMATION,
                at=at,
            )
            ConsentRecord.objects.create(
                member=member,
                choice=ConsentRecord.Choice.CONFIRMED,
                source=ConsentRecord.Source.CONFIRMATION,
                text_version=texts.CONFIRMATION,
                chosen_at=at,
                **record,
            )
        contact.delete()
    return True


def expired_requests(*, library_id: int, today: dt.date) -> QuerySet[Contact]:
    """Requests nobody confirmed within PENDING_DAYS, and contacts who left: the purge's."""
    cutoff = timezone.make_aware(
        dt.datetime.combine(today - dt.timedelta(days=PENDING_DAYS), dt.time.min)
    )
    pending = Q(confirmed_at__isnull=True, requested_at__lt=cutoff)
    return Contact.objects.filter(Q(left_at__isnull=False) | pending, library_id=library_id)
