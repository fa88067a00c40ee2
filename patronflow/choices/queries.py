"""Reads of members' choices: who receives a list, and a member's lists with their choice."""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q

from patronflow.choices.models import ListChoice, MailingList
from patronflow.members.models import Library, Member


def receives_condition(mailing_list: MailingList, prefix: str = "") -> Q:
    """Members (or, with a prefix, rows related to them) who receive this list by their own
    choice or its default. A service list is everybody's: the global rules (privacy/rules.py)
    decide alone."""
    if mailing_list.service:
        return Q()
    choice = ListChoice.objects.filter(mailing_list=mailing_list, member=OuterRef(f"{prefix}pk"))
    if mailing_list.members_join_by_default:
        return ~Q(Exists(choice.filter(receives=False)))
    return Q(Exists(choice.filter(receives=True)))


def received(mailing_list: MailingList, chosen: bool | None) -> bool:
    """Whether a member receives the list, given their own choice for it (None: none made):
    the rule receives_condition puts to the database, for a choice already read."""
    if mailing_list.service:
        return True
    return mailing_list.members_join_by_default if chosen is None else chosen


def receives(member: Member, mailing_list: MailingList) -> bool:
    if mailing_list.service:
        return True  # no choice to read
    chosen = (
        ListChoice.objects.filter(mailing_list=mailing_list, member=member)
        .values_list("receives", flat=True)
        .first()
    )
    return received(mailing_list, chosen)


@dataclass(frozen=True)
class ListState:
    mailing_list: MailingList
    receives: bool


def lists_of(library: Library) -> list[MailingList]:
    return list(MailingList.objects.filter(library=library).order_by("position", "pk"))


def member_lists(member: Member) -> list[ListState]:
    """Every list of the member's library, in the library's order, with whether the member
    receives it (their own choice, else the list's default)."""
    chosen = dict(member.list_choices.values_list("mailing_list_id", "receives"))
    return [
        ListState(mailing_list, received(mailing_list, chosen.get(mailing_list.pk)))
        for mailing_list in lists_of(member.library)
    ]
