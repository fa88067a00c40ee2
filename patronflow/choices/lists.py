"""A library's lists as its staff keep them: added, renamed, put in order, told who receives
them, and removed while nothing hangs on them; every change in the audit log.

The key a list gets from its first name stays when it is renamed: it is in the address of
the list's sign-up form, which the library's website may carry.

A list is only removed while it holds nobody's choice: a "left" choice removed with its list
would be forgotten, and a list of the same name or key (a standard list comes back by itself
when a journey asks for it) would mail those members again. For the same reason a list that
members left does not become a service list, which reaches everyone who wants mail.
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils.text import slugify

from patronflow.choices.models import Contact, ListChoice, MailingList
from patronflow.choices.services import STANDARD_LISTS
from patronflow.members.models import Library
from patronflow.privacy.audit import Actor, changed_values, record_change

KEY_LENGTH = MailingList._meta.get_field("key").max_length
# What staff set on a list, and what the log shows of it.
FIELDS = (
    "name",
    "name_en",
    "description",
    "description_en",
    "service",
    "members_join_by_default",
)


@dataclass(frozen=True)
class Keeps:
    """What keeps a list from being removed: the journeys that go out on it, being one of
    the standard lists (which come back by themselves), and the members' choices and
    sign-ups it holds (removed with it, they would be lost)."""

    journeys: list[str]
    standard: bool
    choices: int
    contacts: int

    def __bool__(self) -> bool:
        return bool(self.journeys or self.standard or self.choices or self.contacts)


class ListKept(Exception):
    """The list cannot be removed; `keeps` says why."""

    def __init__(self, keeps: Keeps) -> None:
        super().__init__(repr(keeps))
        self.keeps = keeps


class MembersLeft(Exception):
    """A list members left does not become a service list: it would mail them again."""

    def __init__(self, count: int) -> None:
        super().__init__(f"{count} members left the list")
        self.count = count


@dataclass(frozen=True)
class ListRow:
    """A list on the staff's screen: how many members left it and joined it by their own
    choice, how many non-members confirmed a sign-up, and the journeys that go out on it."""

    mailing_list: MailingList
    left: int
    joined: int
    contacts: int
    journeys: list[str]


def list_rows(library: Library) -> list[ListRow]:
    lists = (
        MailingList.objects.filter(library=library)
        .annotate(
            left=Count("member_choices", filter=Q(member_choices__receives=False), distinct=True),
            joined=Count("member_choices", filter=Q(member_choices__receives=True), distinct=True),
        )
        .order_by("position", "pk")
    )
    contacts = dict(
        Contact.objects.filter(library=library, confirmed_at__isnull=False, left_at__isnull=True)
        .values_list("mailing_list")
        .annotate(n=Count("pk"))
        .order_by()
    )
    journeys: dict[int, list[str]] = {}
    for mailing_list in lists:
        journeys[mailing_list.pk] = journeys_on(mailing_list)
    return [ListRow(m, m.left, m.joined, contacts.get(m.pk, 0), journeys[m.pk]) for m in lists]


def journeys_on(mailing_list: MailingList) -> list[str]:
    """The names of the journeys and broadcasts that go out on the list."""
    return list(mailing_list.journeys.order_by("name").values_list("name", flat=True))


def what_keeps(mailing_list: MailingList) -> Keeps:
    """Why the list cannot be removed (falsy: nothing keeps it)."""
    return Keeps(
        journeys=journeys_on(mailing_list),
        standard=mailing_list.key in STANDARD_LISTS,
        choices=ListChoice.objects.filter(mailing_list=mailing_list).count(),
        contacts=Contact.objects.filter(mailing_list=mailing_list).count(),
    )


def members_who_left(mailing_list: MailingList) -> int:
    return ListChoice.objects.filter(mailing_list=mailing_list, receives=False).count()


def _new_key(library: Library, name: str) -> str:
    base = (slugify(name) or "lijst")[:KEY_LENGTH].strip("-") or "lijst"
    taken = set(
        MailingList.objects.filter(library=library, key__startswith=base).values_list(
            "key", flat=True
        )
    )
    key, number = base, 1
    while key in taken:
        number += 1
        suffix = f"-{number}"
        key = base[: KEY_LENGTH - len(suffix)] + suffix
    return key


def _snapshot(mailing_list: MailingList) -> dict:
    return {name: getattr(mailing_list, name) for name in FIELDS}


def _log(mailing_list: MailingList, changes: dict, actor: Actor) -> None:
    record_change(
        f"list {mailing_list.key}",
        changes,
        actor=actor,
        library_code=mailing_list.library.code,
    )


def create_list(library: Library, *, values: dict, actor: Actor) -> MailingList:
    """A new list at the end of the library's order, its key made from its name."""
    with transaction.atomic():
        Library.objects.select_for_update().get(pk=library.pk)
        last = MailingList.objects.filter(library=library).aggregate(last=Max("position"))
        mailing_list = MailingList.objects.create(
            library=library,
            key=_new_key(library, values["name"]),
            position=(last["last"] or 0) + 1,
            **{name: values[name] for name in FIELDS},
        )
        _log(mailing_list, changed_values({}, {"key": mailing_list.key, **values}), actor)
    return mailing_list


def update_list(mailing_list: MailingList, *, values: dict, actor: Actor) -> None:
    """New names, descriptions or who receives it; the key stays. Raises MembersLeft when
    it would become a service list while members have left it."""
    with transaction.atomic():
        MailingList.objects.select_for_update().get(pk=mailing_list.pk)
        if values["service"] and not mailing_list.service:
            left = members_who_left(mailing_list)
            if left:
                raise MembersLeft(left)
        before = _snapshot(mailing_list)
        for name in FIELDS:
            setattr(mailing_list, name, values[name])
        mailing_list.save(update_fields=list(FIELDS))
        _log(mailing_list, changed_values(before, _snapshot(mailing_list)), actor)


def move_list(mailing_list: MailingList, *, up: bool, actor: Actor) -> bool:
    """Swap the list with the one before (up) or after it; False at either end."""
    with transaction.atomic():
        Library.objects.select_for_update().get(pk=mailing_list.library_id)
        ordered = list(
            MailingList.objects.filter(library_id=mailing_list.library_id).order_by(
                "position", "pk"
            )
        )
        index = [m.pk for m in ordered].index(mailing_list.pk)
        other = index - 1 if up else index + 1
        if not 0 <= other < len(ordered):
            return False
        ordered[index], ordered[other] = ordered[other], ordered[index]
        for position, each in enumerate(ordered, start=1):
            if each.position != position:
                MailingList.objects.filter(pk=each.pk).update(position=position)
        _log(mailing_list, {"position": (index + 1, other + 1)}, actor)
    return True


def delete_list(mailing_list: MailingList, *, actor: Actor) -> None:
    """Remove a list nothing keeps (no journey, not a standard list, nobody's choice or
    sign-up); raises ListKept otherwise. The list's row is locked first, so no choice can
    arrive between the check and the removal."""
    with transaction.atomic():
        MailingList.objects.select_for_update().get(pk=mailing_list.pk)
        keeps = what_keeps(mailing_list)
        if keeps:
            raise ListKept(keeps)
        _log(
            mailing_list,
            {"key": (mailing_list.key, None), "name": (mailing_list.name, None)},
            actor,
        )
        mailing_list.delete()
