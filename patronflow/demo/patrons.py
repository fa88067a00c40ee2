"""The demo library's members: who they are (names, addresses, ages, registration, online
profiles, ended memberships) and members.csv's rows, some of them spoilt on purpose.

Names come from Faker's nl_BE and nl_NL name lists, drawn with our own seeded random generator
so that a seed always yields the same members. E-mail addresses use only the reserved
example.com, .org and .net (RFC 2606), so no mail can reach a real person.
"""

import heapq
import random
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from faker.providers.person import nl_BE, nl_NL

from patronflow.demo.exports import MEMBER_COLUMNS, write_rows, yes_no
from patronflow.demo.shelves import Pool

UNDER_16_SHARE = 0.10
DORMANT_SHARE = 0.27
ONLINE_PROFILE_SHARE = 0.40
ENDED_MEMBERSHIP_SHARE = 0.01
DOMAINS = {
    "nl_BE": (("example.com", 0.55), ("example.org", 0.30), ("example.net", 0.15)),
    "nl_NL": (("example.org", 0.60), ("example.net", 0.40)),
}


@dataclass(frozen=True)
class MalformedRow:
    """A row of members.csv that the importer must reject; `line` counts the header as 1."""

    line: int
    member_id: str
    column: str
    value: str


class NameBook:
    """Flemish and Dutch first and last names, with the frequencies Faker ships for them."""

    def __init__(self) -> None:
        self.lists = {
            locale: {
                kind: _WeightedNames(getattr(provider.Provider, kind))
                for kind in ("first_names_female", "first_names_male", "last_names")
            }
            for locale, provider in (("nl_BE", nl_BE), ("nl_NL", nl_NL))
        }

    def person(self, rng: random.Random) -> tuple[str, str, str]:
        locale = "nl_BE" if rng.random() < 0.6 else "nl_NL"
        names = self.lists[locale]
        first = names["first_names_female" if rng.random() < 0.53 else "first_names_male"]
        return locale, first.pick(rng), names["last_names"].pick(rng)


class _WeightedNames:
    def __init__(self, names: Mapping[str, float] | Sequence[str]) -> None:
        weighted = names.items() if isinstance(names, Mapping) else ((name, 1) for name in names)
        self.names, weights = zip(*weighted, strict=True)
        self.pool = Pool(range(len(self.names)), weights)

    def pick(self, rng: random.Random) -> str:
        return self.names[self.pool.pick(rng)]


@dataclass(slots=True)
class Patron:
    first_name: str
    last_name: str
    email: str
    birth_date: date
    registered_on: date
    last_activity_on: date
    dormant: bool = False
    malformed: bool = False
    online_profile: bool = False
    membership_ends_on: date | None = None

    def under_16_on(self, day: date) -> bool:
        birth = self.birth_date
        return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day)) < 16


class Population:
    """Draws members against quotas, so that the shares of children, dormant members and bad
    rows hold exactly at any size rather than only on average."""

    def __init__(
        self, rng: random.Random, names: NameBook, start: date, size: int, malformed: int
    ) -> None:
        self.rng = rng
        self.names = names
        self.start = start
        self.addresses: set[str] = set()
        self.children = set(rng.sample(range(size), round(size * UNDER_16_SHARE)))
        self.dormant = set(rng.sample(range(size), round(size * DORMANT_SHARE)))
        active_adults = [
            index
            for index in range(size)
            if index not in self.children and index not in self.dormant
        ]
        self.malformed = set(rng.sample(active_adults, malformed))

    def patron(self, index: int) -> Patron:
        """The member on the start; their loans (circulation.py) then set their last activity
        and may move their registration earlier."""
        rng, start = self.rng, self.start
        dormant = index in self.dormant
        # A dormant child is at least 6, old enough to have borrowed before lapsing.
        birth = _birth_date(rng, start, child=index in self.children, old_enough_to_lapse=dormant)
        locale, first, last = self.names.person(rng)
        return Patron(
            first_name=first,
            last_name=last,
            email=self.address(locale, first, last, birth),
            birth_date=birth,
            registered_on=_registration(rng, start, birth),
            last_activity_on=start,
            dormant=dormant,
            malformed=index in self.malformed,
        )

    def arrival(self, registered_on: date) -> Patron:
        locale, first, last = self.names.person(self.rng)
        birth = _birth_date(self.rng, self.start, child=self.rng.random() < 0.15)
        return Patron(
            first_name=first,
            last_name=last,
            email=self.address(locale, first, last, birth),
            birth_date=birth,
            registered_on=registered_on,
            last_activity_on=registered_on,
            online_profile=self.rng.random() < 0.08,
        )

    def address(self, locale: str, first_name: str, last_name: str, birth: date) -> str:
        rng = self.rng
        first, last = _mailbox(first_name) or "lezer", _mailbox(last_name) or "lid"
        local = rng.choices(
            (
                f"{first}.{last}",
                f"{first}{last}",
                f"{first[0]}.{last}",
                f"{first}{birth.year % 100:02d}",
                f"{last}.{first}",
                f"{first}_{last}",
            ),
            weights=(45, 15, 12, 12, 8, 8),
        )[0]
        domains, weights = zip(*DOMAINS[locale], strict=True)
        domain = rng.choices(domains, weights=weights)[0]
        address, number = f"{local}@{domain}", 1
        while address in self.addresses:
            number += 1
            address = f"{local}{number}@{domain}"
        self.addresses.add(address)
        return address


def _mailbox(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(character for character in plain.lower() if character.isalnum())


def _birth_date(
    rng: random.Random, start: date, *, child: bool, old_enough_to_lapse: bool = False
) -> date:
    if child:
        youngest = 6 * 366 if old_enough_to_lapse else 4 * 366
        return start - timedelta(days=rng.randint(youngest, 16 * 365 - 5))
    age = rng.choices((16, 25, 40, 55, 70), weights=(12, 25, 25, 24, 14))[0]
    span = 9 if age == 16 else 20 if age == 70 else 15
    return start - timedelta(days=rng.randint(age * 366, (age + span) * 365))


def _registration(rng: random.Random, start: date, birth: date) -> date:
    """Most members joined years ago; a card is possible from the age of one."""
    roll = rng.random()
    if roll < 0.15:
        days_ago = rng.randint(0, 364)
    elif roll < 0.45:
        days_ago = rng.randint(365, 5 * 365)
    else:
        days_ago = rng.randint(5 * 365, 25 * 365)
    earliest = birth + timedelta(days=366)
    registered = start - timedelta(days=days_ago)
    if registered < earliest:
        registered = earliest + timedelta(days=rng.randint(0, (start - earliest).days // 2))
    return registered


def assign_online_profiles(rng: random.Random, patrons: Sequence[Patron], start: date) -> None:
    """Active adults are likelier to have made a profile than children or lapsed members;
    weighted sampling without replacement keeps the overall share exact."""

    def weight(patron: Patron) -> float:
        if patron.under_16_on(start):
            return 0.5
        return 1.2 if patron.dormant else 3.0

    keyed = (
        (rng.random() ** (1 / weight(patron)), number) for number, patron in enumerate(patrons)
    )
    for _, number in heapq.nlargest(round(len(patrons) * ONLINE_PROFILE_SHARE), keyed):
        patrons[number].online_profile = True


def end_memberships(
    rng: random.Random, patrons: Sequence[Patron], start: date, borrowing_on: set[int]
) -> None:
    """Some who stopped coming also ended their membership; those who still borrow did not."""
    candidates = [
        patron
        for index, patron in enumerate(patrons)
        if not patron.malformed
        and patron.last_activity_on < start - timedelta(days=1)
        and index not in borrowing_on
    ]
    for patron in rng.sample(candidates, max(1, round(len(patrons) * ENDED_MEMBERSHIP_SHARE))):
        room = (start - timedelta(days=1) - patron.last_activity_on).days
        patron.membership_ends_on = patron.last_activity_on + timedelta(
            days=rng.randint(0, min(room, 365))
        )


def member_row(member_id: str, patron: Patron) -> list[str]:
    """The member's row of members.csv (exports.MEMBER_COLUMNS)."""
    ends = patron.membership_ends_on
    return [
        member_id,
        patron.first_name,
        patron.last_name,
        patron.email,
        patron.birth_date.isoformat(),
        patron.registered_on.isoformat(),
        patron.last_activity_on.isoformat(),
        yes_no(patron.online_profile),
        ends.isoformat() if ends else "",
    ]


DEFECTS: tuple[tuple[str, Callable[[Patron], str]], ...] = (
    ("email", lambda patron: patron.email.replace("@", "@@")),
    ("email", lambda patron: patron.email.split("@")[0] + ".example.org"),
    ("birth_date", lambda patron: f"31/02/{patron.birth_date.year}"),
    ("registered_on", lambda patron: f"{patron.registered_on:%Y}-13-{patron.registered_on:%d}"),
)


def write_members(
    path: Path, patrons: Sequence[Patron]
) -> tuple[list[str], tuple[MalformedRow, ...]]:
    """Member ids follow the order of registration, as a library system hands them out; the
    malformed members' rows are spoilt, each in the next way of DEFECTS."""
    order = sorted(range(len(patrons)), key=lambda number: (patrons[number].registered_on, number))
    member_ids = [""] * len(patrons)
    for rank, number in enumerate(order):
        member_ids[number] = f"M{rank + 1:06d}"
    defects = iter(DEFECTS)
    malformed: list[MalformedRow] = []

    def rows():
        for rank, number in enumerate(order):
            patron = patrons[number]
            row = member_row(member_ids[number], patron)
            if patron.malformed:
                column, spoil = next(defects)
                position = MEMBER_COLUMNS.index(column)
                row[position] = spoil(patron)
                malformed.append(MalformedRow(rank + 2, row[0], column, row[position]))
            yield row

    write_rows(path, MEMBER_COLUMNS, rows())
    return member_ids, tuple(malformed)
