"""Writes of members' choices: the standard lists, a member's choice for a list and its
consent record. Ending enrolments and withdrawing queued mails of a list a member leaves is
the mail stage's (tracking/services.py: choose_list, which calls this)."""

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from patronflow import notices
from patronflow.choices.models import ConsentRecord, ListChoice, MailingList
from patronflow.members.models import Library, Member

# The lists every library starts with: key → (position, Dutch name, English name,
# Dutch description, English description, service). Staff rename, reorder and add lists.
STANDARD_LISTS = {
    "welcome": (
        1,
        "Welkomstmails",
        "Welcome mails",
        "Een paar mails in je eerste weken als lid, met tips om de bib te leren kennen.",
        "A few mails in your first weeks as a member, with tips to get to know the library.",
        False,
    ),
    "newsletter": (
        2,
        "Nieuwsbrief",
        "Newsletter",
        "Nieuws, activiteiten en leestips van de bib.",
        "News, activities and reading tips from the library.",
        False,
    ),
    "membership": (
        3,
        "Berichten over je lidmaatschap",
        "About your membership",
        "Bijvoorbeeld dat je account binnenkort verwijderd wordt. Die krijg je zolang je "
        "mails van de bib wilt.",
        "For instance that your account will soon be removed. You get these as long as you "
        "want mails from the library.",
        True,
    ),
}
# Where a journey or broadcast goes when its definition names no list.
DEFAULT_LIST = "newsletter"


def standard_lists(library: Library) -> dict[str, MailingList]:
    """The library's standard lists, created the first time they are asked for."""
    found = {m.key: m for m in MailingList.objects.filter(library=library, key__in=STANDARD_LISTS)}
    for key, (
        position,
        name,
        name_en,
        description,
        description_en,
        service,
    ) in STANDARD_LISTS.items():
        if key not in found:
            found[key], _ = MailingList.objects.get_or_create(
                library=library,
                key=key,
                defaults={
                    "position": position,
                    "name": name,
                    "name_en": name_en,
                    "description": description,
                    "description_en": description_en,
                    "service": service,
                },
            )
    return found


def list_for(library: Library, key: str | None) -> MailingList:
    """The library's list by key (a standard one is created when missing); no key: the
    default list. Raises MailingList.DoesNotExist for an unknown key."""
    key = key or DEFAULT_LIST
    if key in STANDARD_LISTS:
        return standard_lists(library)[key]
    return MailingList.objects.get(library=library, key=key)


@transaction.atomic
def record_list_choice(
    member: Member,
    mailing_list: MailingList,
    *,
    receives: bool,
    source: str,
    text_version: str,
    at: dt.datetime | None = None,
) -> bool:
    """Store the member's choice for a list and its consent record; True when it changed
    what the member receives (a repeated choice, a one-click retry, records nothing more),
    and only then announced (list.left or list.joined, patronflow/notices.py).
    A service list takes no choice of its own: ValueError.

    The row lock serialises two choices for a list the member already chose about; the
    first choice ever has no row to lock, so two of those at once (a double click, two
    tabs) meet at the unique constraint: the one that comes second reads the winner's row
    under its lock and goes on as if it had come after it."""
    if mailing_list.service:
        raise ValueError("a service list is not left or joined on its own")
    at = at or timezone.now()
    chosen = ListChoice.objects.filter(member=member, mailing_list=mailing_list)
    current = chosen.select_for_update().values_list("receives", flat=True).first()
    if current is None:
        try:
            with transaction.atomic():
                ListChoice.objects.create(
                    member=member, mailing_list=mailing_list, receives=receives, chosen_at=at
                )
        except IntegrityError:
            current = chosen.select_for_update().values_list("receives", flat=True).get()
    before = mailing_list.members_join_by_default if current is None else current
    if current is not None and current != receives:
        chosen.update(receives=receives, chosen_at=at)
    if before == receives:
        return False
    ConsentRecord.objects.create(
        library_id=member.library_id,
        member=member,
        mailing_list=mailing_list,
        list_name=mailing_list.name,
        choice=ConsentRecord.Choice.JOINED if receives else ConsentRecord.Choice.LEFT,
        source=source,
        text_version=text_version,
        chosen_at=at,
    )
    notices.announce(
        library_id=member.library_id,
        kind=notices.LIST_JOINED if receives else notices.LIST_LEFT,
        data={
            "member": member.external_id,
            "list": {"key": mailing_list.key, "name": mailing_list.name},
        },
        at=at,
    )
    return True


def record_all_mail_choice(
    member: Member, *, stopped: bool, source: str, text_version: str, at: dt.datetime
) -> None:
    """The consent record of "no more mails from the library" (or of taking it back); the
    choice itself is Member.unsubscribed_at, set by the caller."""
    ConsentRecord.objects.create(
        library_id=member.library_id,
        member=member,
        choice=ConsentRecord.Choice.STOPPED_ALL if stopped else ConsentRecord.Choice.RESUMED_ALL,
        source=source,
        text_version=text_version,
        chosen_at=at,
    )
