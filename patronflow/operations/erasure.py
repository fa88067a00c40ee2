"""Removing members' data, whatever the reason (an erasure request, or the purge when its
time is up): their mails' outcomes go into the tallies first, their bounced and suppressed
addresses are forgotten (the suppression list keeps a keyed hash), then every row of every
personal table goes (operations/personal_data.py), in one transaction per chunk — what their
loans and visits added to the library's activity counts stays there, as kept (members/
activity.py), so the reports keep ex-members' loans without them. And the
member's own rights: erasure and export, each written to the audit log. An erasure also takes
the sign-ups (choices.Contact) under the member's addresses, with their consent records,
unless another member of the library still has the address."""

import datetime as dt
from collections import Counter
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from patronflow.choices.models import ConsentRecord, Contact
from patronflow.mail.models import Bounce, Message
from patronflow.members.activity import keep_members, lock_counts
from patronflow.members.models import Member
from patronflow.operations.personal_data import (
    CONSENTS,
    CONTACTS,
    contacts_of_member,
    export_counts,
    member_export,
    removal_order,
)
from patronflow.operations.tallies import fold_into_tallies
from patronflow.privacy.audit import record
from patronflow.privacy.models import AuditEntry, ErasedMember, Suppression
from patronflow.privacy.references import erasure_reference

ADDRESS_HASHED = "mail.suppression (address hashed)"


def forget_addresses(member_ids: list[int], *, dry_run: bool = False) -> Counter:
    """Remove the bounces of these members' mails and addresses, and blank their addresses on
    the suppression list, which keeps the keyed hash: a bounced or complained address stays
    unmailed without being held in clear. An address another member of the library still
    has is theirs too, and stays. `dry_run`: count what would change, change nothing."""
    sent = Message.objects.filter(enrolment__member__in=member_ids)
    addresses: dict[int, set[str]] = {}
    for library_id, address in [
        *Member.objects.filter(pk__in=member_ids).values_list("library_id", "email"),
        *sent.values_list("library_id", "to_email"),
    ]:
        if address.strip():
            addresses.setdefault(library_id, set()).add(address.strip().lower())
    gone = Q(message_id__in=sent.values("pk"))
    forgotten = 0
    for library_id, used in addresses.items():
        still_used = set(
            Member.objects.filter(library_id=library_id)
            .exclude(pk__in=member_ids)
            .annotate(address=Lower("email"))
            .filter(address__in=used)
            .values_list("address", flat=True)
        )
        unused = used - still_used
        gone |= Q(library_id=library_id, email__in=unused)
        suppressed = Suppression.objects.filter(library_id=library_id, email__in=unused)
        if dry_run:
            forgotten += suppressed.count()
        else:
            forgotten += suppressed.update(email="", source_message_id=None)
    bounced = Bounce.objects.filter(gone)
    bounces = bounced.count() if dry_run else bounced.delete()[0]
    return +Counter({"mail.bounce": bounces, ADDRESS_HASHED: forgotten})


def remove_members(member_ids: Iterable[int]) -> Counter:
    """Fold the members' mail outcomes into the tallies, forget their bounced and suppressed
    addresses, keep what their loans and visits add to the activity counts, then delete every
    row about them.

    One transaction: either a member is fully gone and counted once, or nothing happened.
    Members another process removed meanwhile are skipped, so two runs never count twice.
    Returns the rows deleted per table (model label).
    """
    removed: Counter = Counter()
    member_ids = list(member_ids)
    with transaction.atomic():
        # The counts' lock before the members' rows: a purge holding it waits on those rows.
        lock_counts(
            libraries=Member.objects.filter(pk__in=member_ids).values_list("library_id", flat=True)
        )
        still_here = list(
            Member.objects.select_for_update()
            .filter(pk__in=member_ids)
            .values_list("pk", flat=True)
        )
        if not still_here:
            return removed
        fold_into_tallies(Message.objects.filter(enrolment__member__in=still_here))
        removed.update(forget_addresses(still_here))
        keep_members(members=still_here)
        for model, path in removal_order():
            lookup = "pk__in" if path == "pk" else f"{path}__in"
            _, per_model = model._default_manager.filter(**{lookup: still_here}).delete()
            removed.update({label.lower(): n for label, n in per_model.items() if n})
    return removed


def erase_member(member: Member, operator: str, today: dt.date | None = None) -> Counter:
    """The right to erasure: everything about one member goes, and the log says so. The
    erasure register remembers the member (as a keyed hash) so that the library system's
    next export does not bring them back."""
    library, external_id = member.library, member.external_id
    today = today or timezone.localdate()
    with transaction.atomic():
        sign_ups = _sign_ups_to_erase(member)
        removed = remove_members([member.pk])
        removed.update(
            {
                CONSENTS: ConsentRecord.objects.filter(contact__in=sign_ups).count(),
                CONTACTS: len(sign_ups),
            }
        )
        Contact.objects.filter(pk__in=sign_ups).delete()
        removed = +removed
        ErasedMember.objects.update_or_create(
            library=library,
            member_ref=erasure_reference(library.code, external_id),
            defaults={"erased_on": today, "last_listed_on": today},
        )
        record(
            AuditEntry.Action.ERASED,
            operator=operator,
            library=library,
            external_id=external_id,
            counts=dict(removed),
        )
    return removed


def _sign_ups_to_erase(member: Member) -> list[int]:
    """The member's sign-ups that go with them: not those under an address another member
    of the library still has, which are theirs too."""
    sign_ups = contacts_of_member(member)
    shared = (
        Member.objects.filter(library_id=member.library_id)
        .exclude(pk=member.pk)
        .annotate(address=Lower("email"))
        .filter(address__in=sign_ups.values("email"))
        .values_list("address", flat=True)
    )
    return list(sign_ups.exclude(email__in=list(shared)).values_list("pk", flat=True))


def export_member(member: Member, operator: str) -> dict:
    """The right of access: everything held about one member, logged as exported."""
    export = member_export(member)
    record(
        AuditEntry.Action.EXPORTED,
        operator=operator,
        library=member.library,
        external_id=member.external_id,
        counts=export_counts(export),
    )
    return export
