"""The rights of people who signed up for a list without being members (choices.Contact):
everything held about an address exported or erased, each written to the audit log; and the
purge's part: requests nobody confirmed in time (choices.signup.PENDING_DAYS) and contacts
who left.

A contact is an address, a list, the sign-up's state and its consent records; the limits'
attempts are keyed hashes, and those of the address go with an erasure too.
"""

import datetime as dt
from collections import Counter

from django.db import transaction
from django.db.models import QuerySet

from patronflow.choices.models import ConsentRecord, Contact, SignupAttempt
from patronflow.choices.signup import attempt_key, expired_requests
from patronflow.choices.texts import TEXTS
from patronflow.members.models import Library
from patronflow.operations.personal_data import fields_of
from patronflow.privacy.audit import record
from patronflow.privacy.models import AuditEntry

CONTACTS = "choices.contact"
CONSENTS = "choices.consentrecord"
ATTEMPTS = "choices.signupattempt"


def contacts_of(library: Library, email: str) -> QuerySet[Contact]:
    """The library's contacts with this address (any case): one per list signed up for."""
    return Contact.objects.filter(library=library, email=email.strip().lower())


def export_contact(library: Library, email: str, *, operator: str) -> dict:
    """The right of access for an address that is no member's: each list it signed up for,
    the sign-up's state and its consent records with the words they were given through."""
    contacts = contacts_of(library, email).select_related("mailing_list").order_by("pk")
    export = {
        "library": library.code,
        "email": email.strip().lower(),
        "contacts": [
            {
                **fields_of(contact, leave_out={"id", "library_id", "mailing_list_id"}),
                "list": contact.mailing_list.name,
                "consent_records": [
                    {
                        **fields_of(
                            consent,
                            leave_out={
                                "id",
                                "library_id",
                                "member_id",
                                "contact_id",
                                "mailing_list_id",
                            },
                        ),
                        "choice_meaning": ConsentRecord.Choice(consent.choice).label,
                        "source_meaning": ConsentRecord.Source(consent.source).label,
                        "wording": TEXTS.get(consent.text_version, ""),
                    }
                    for consent in contact.consents.order_by("chosen_at", "pk")
                ],
            }
            for contact in contacts
        ],
    }
    record(
        AuditEntry.Action.EXPORTED,
        operator=operator,
        library=library,
        counts={
            CONTACTS: len(export["contacts"]),
            CONSENTS: sum(len(c["consent_records"]) for c in export["contacts"]),
        },
    )
    return export


def erase_contact(library: Library, email: str, *, operator: str) -> Counter:
    """The right to erasure for an address that is no member's: its contacts, their consent
    records and the address's counted sign-up attempts go, and the log says how many."""
    address = email.strip().lower()
    with transaction.atomic():
        contacts = contacts_of(library, address)
        removed = Counter(
            {
                CONSENTS: ConsentRecord.objects.filter(contact__in=contacts).count(),
                CONTACTS: contacts.count(),
            }
        )
        contacts.delete()
        removed[ATTEMPTS] = SignupAttempt.objects.filter(
            kind=SignupAttempt.Kind.ADDRESS, key=attempt_key(SignupAttempt.Kind.ADDRESS, address)
        ).delete()[0]
        removed = +removed
        record(AuditEntry.Action.ERASED, operator=operator, library=library, counts=dict(removed))
    return removed


def expire_contacts(library: Library, today: dt.date, *, dry_run: bool = False) -> Counter:
    """Requests nobody confirmed in time, and contacts who left, with their
    consent records (for the purge, which logs the counts)."""
    expired = expired_requests(library_id=library.pk, today=today)
    counts = Counter(
        {
            CONSENTS: ConsentRecord.objects.filter(contact__in=expired).count(),
            CONTACTS: expired.count(),
        }
    )
    if not dry_run:
        expired.delete()
    return +counts
