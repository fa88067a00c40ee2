"""A synthetic library for the demo, written as the exports a library system hands over.

The demo imports these files with the real importer, so they follow docs/import-format.md
exactly: UTF-8, comma separated, a header row, ISO dates and ja/nee booleans.

Members borrow at a rate of their own, before the start and through the simulated days alike:
loans.csv holds the 13 months up to the start (the baseline compares each month since the
launch with the same month a year earlier, which must be there whole), later_loans.csv the
ordinary loans of the simulated days after it, which the demo imports night by night — those
of the members already there, and of new members at the desk on the day they register. What
the mails change (members who come back, new members who borrow again) the simulation adds.

members.csv holds MALFORMED_ROWS bad rows unless told otherwise, so that the demo shows how the
importer reports them; the member on each has no loans, so no loan row is rejected in their
wake:
- an e-mail address with a doubled `@` (`voornaam.naam@@example.com`),
- an e-mail address without `@` (`voornaam.naam.example.org`),
- a birth date that does not exist (`31/02/1987`),
- a registration date with month 13 (`2019-13-07`).
`GeneratedLibrary.malformed` names their lines and columns.

E-mail addresses use only the reserved example.com, .org and .net (RFC 2606), so no mail can
reach a real person. Names come from Faker's nl_BE and nl_NL name lists, drawn with our own
seeded random generator so that a seed always yields the same files.
"""

import csv
import heapq
import math
import random
import unicodedata
from bisect import bisect, bisect_left
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from faker.providers.person import nl_BE, nl_NL

from patronflow.demo.catalogue import WORKS, Work
from patronflow.members.presets import COLUMNS
from patronflow.profiles.rules import item_is_fiction

MEMBER_COLUMNS = COLUMNS["members"]  # the members file of docs/import-format.md
ITEM_COLUMNS = ("item_id", "title", "author", "isbn", "material", "siso", "nur", "genre", "fiction")
LOAN_COLUMNS = ("loan_id", "member_id", "item_id", "loaned_on")
HISTORY_DAYS = 396  # 13 months of loans before the start

UNDER_16_SHARE = 0.10
DORMANT_SHARE = 0.27
ONLINE_PROFILE_SHARE = 0.40
ENDED_MEMBERSHIP_SHARE = 0.01
NO_EMAIL_SHARE = 0.002
LIGHT_BORROWER_SHARE = 0.12
# Active members who stopped borrowing in the past year, about as many as joined in it: without
# them the library would seem to grow by a fifth a year.
LAPSING_SHARE = 0.15
ARRIVALS_PER_60_DAYS = (0.045, 0.055)
UNFLAGGED_ITEM_SHARE = 0.35
DESK_LOAN_SHARE = 0.6  # new members who take something home on the day they register
MALFORMED_ROWS = 4
MINIMUM_MEMBERS = 50

# Dormant: no visit and no loan for more than a year; their last loan was 13 to 30 months ago.
DORMANT_LAST_LOAN_DAYS_AGO = (396, 912)
# Share of adults by what they mainly borrow: fiction or not, digital or not.
ADULT_TASTES = (
    ((True, False), 0.42),
    ((False, False), 0.28),
    ((True, True), 0.19),
    ((False, True), 0.11),
)
DIGITAL = frozenset({"ebook", "eaudiobook"})
AUDIENCES = {"adult": ("adult", "film", "comic"), "youth": ("youth", "comic")}
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


@dataclass(frozen=True)
class GeneratedLibrary:
    """Where the exports are and how many rows each holds, for the demo to import and report."""

    directory: Path
    members_csv: Path
    arrivals_csv: Path
    items_csv: Path
    loans_csv: Path
    later_loans_csv: Path
    members: int
    arrivals: int
    items: int
    loans: int
    later_loans: int
    malformed: tuple[MalformedRow, ...]


def generate_library(
    directory: Path,
    *,
    members: int = 5000,
    start: date,
    days: int = 60,
    seed: int = 2026,
    malformed_rows: int = MALFORMED_ROWS,
) -> GeneratedLibrary:
    """Write members.csv (the library on `start`), arrivals.csv (who registers in the
    `days` after it, in order of registration), items.csv, loans.csv (the 13 months up to
    it) and later_loans.csv (the ordinary loans of the `days` after it, in date order)."""
    if members < MINIMUM_MEMBERS:
        raise ValueError(f"a demo library needs at least {MINIMUM_MEMBERS} members")
    if not 0 <= malformed_rows <= MALFORMED_ROWS:
        raise ValueError(f"a demo library has from 0 to {MALFORMED_ROWS} malformed rows")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    names = _NameBook()
    shelves = _Shelves.stock(rng)
    items_csv = directory / "items.csv"
    _write_rows(items_csv, ITEM_COLUMNS, shelves.rows())

    most_arrivals = math.ceil(members * ARRIVALS_PER_60_DAYS[1] * days / 60)
    circulation = _Circulation(rng, shelves, start, days, people=members + most_arrivals + 1)
    population = _Population(rng, names, start, members, malformed_rows)
    patrons = [population.patron(index, circulation) for index in range(members)]
    _assign_online_profiles(rng, patrons, start)
    _end_memberships(rng, patrons, start, circulation.borrowing_on)
    without_email = max(1, round(members * NO_EMAIL_SHARE))
    for patron in rng.sample([p for p in patrons if not p.malformed], without_email):
        patron.email = ""

    members_csv = directory / "members.csv"
    member_ids, malformed = _write_members(members_csv, patrons)

    arrivals_csv = directory / "arrivals.csv"
    rate = rng.uniform(*ARRIVALS_PER_60_DAYS) * days / 60
    arrival_days = sorted(
        start + timedelta(days=rng.randint(1, days)) for _ in range(round(members * rate))
    )
    newcomers = [population.arrival(day) for day in arrival_days]
    arrival_ids = [f"M{members + number:06d}" for number in range(1, len(newcomers) + 1)]
    for number, patron in enumerate(newcomers, start=members):
        circulation.lend_at_desk(number, patron)
    arrival_rows = (
        _member_row(member_id, patron)
        for member_id, patron in zip(arrival_ids, newcomers, strict=True)
    )
    _write_rows(arrivals_csv, MEMBER_COLUMNS, arrival_rows)

    loans_csv = directory / "loans.csv"
    later_loans_csv = directory / "later_loans.csv"
    history, later = circulation.rows([*member_ids, *arrival_ids])
    loans = _write_rows(loans_csv, LOAN_COLUMNS, history)
    later_loans = _write_rows(later_loans_csv, LOAN_COLUMNS, later)

    return GeneratedLibrary(
        directory=directory,
        members_csv=members_csv,
        arrivals_csv=arrivals_csv,
        items_csv=items_csv,
        loans_csv=loans_csv,
        later_loans_csv=later_loans_csv,
        members=members,
        arrivals=len(newcomers),
        items=len(shelves.editions),
        loans=loans,
        later_loans=later_loans,
        malformed=malformed,
    )


def _write_rows(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> int:
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


def _yes_no(value: bool) -> str:
    return "ja" if value else "nee"


# --- the catalogue --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Edition:
    """One bibliographic record; each physical copy repeats it under its own item id."""

    work: Work
    material: str
    isbn: str
    nur: str
    siso: str
    genre: str
    fiction: bool | None
    popularity: float

    @property
    def digital(self) -> bool:
        return self.material in DIGITAL


class _Pool:
    """Items a member may pick from, weighted by popularity."""

    def __init__(self, items: Sequence[int], weights: Sequence[float]) -> None:
        self.items = tuple(items)
        self.cumulative = tuple(_running_total(weights))

    def pick(self, rng: random.Random) -> int:
        return self.items[bisect(self.cumulative, rng.random() * self.cumulative[-1])]


def _running_total(weights: Sequence[float]):
    total = 0.0
    for weight in weights:
        total += weight
        yield total


class _Shelves:
    """The catalogue as copies (one item id per copy) and the pools members borrow from."""

    def __init__(self, editions: list[_Edition], pools: Mapping[tuple[str, bool, bool], _Pool]):
        self.editions = editions
        self.pools = pools

    @classmethod
    def stock(cls, rng: random.Random) -> "_Shelves":
        ranks = list(range(len(WORKS)))
        rng.shuffle(ranks)
        editions: list[_Edition] = []
        for work, rank in zip(WORKS, ranks, strict=True):
            popularity = 1 / (rank + 10)
            for material, copies in _materials(rng, work, rank):
                editions.extend([_edition(rng, work, material, popularity)] * copies)
        return cls(editions, _pools(editions))

    def pick(self, rng: random.Random, audience: str, fiction: bool, digital: bool) -> int:
        pool = (
            self.pools.get((audience, fiction, digital)) or self.pools[("adult", fiction, digital)]
        )
        return pool.pick(rng)

    def rows(self):
        for index, edition in enumerate(self.editions):
            fiction = "" if edition.fiction is None else _yes_no(edition.fiction)
            yield (
                self.item_id(index),
                edition.work.title,
                edition.work.author,
                edition.isbn,
                edition.material,
                edition.siso,
                edition.nur,
                edition.genre,
                fiction,
            )

    @staticmethod
    def item_id(index: int) -> str:
        return f"I{index + 1:06d}"


def _materials(rng: random.Random, work: Work, rank: int) -> list[tuple[str, int]]:
    """Which forms a work is held in, and how many copies of the printed one."""
    if work.shelf == "film":
        return [("film", 1)]
    if work.shelf == "comic":
        return [("comic", 1 + (rank < 100))]
    copies = 1 + (rank < 120) + (rank < 40)
    held = [("book", copies)]
    if work.shelf == "youth":
        odds = {"ebook": 0.25, "eaudiobook": 0.20}
    elif work.fiction:
        odds = {"ebook": 0.70, "eaudiobook": 0.50, "audiobook": 0.08}
    elif work.genre in {"kookboek", "reisgids", "taal"}:
        odds = {"ebook": 0.35}
    else:
        odds = {"ebook": 0.65, "eaudiobook": 0.40}
    held.extend((material, 1) for material, chance in odds.items() if rng.random() < chance)
    return held


def _edition(rng: random.Random, work: Work, material: str, popularity: float) -> _Edition:
    """Library records are uneven: some lack a NUR, a genre or an ISBN, and about a third
    leave the fiction flag empty where the NUR, SISO or genre still tells."""
    nur = "" if rng.random() < 0.10 else work.nur
    genre = "" if rng.random() < 0.08 else work.genre
    isbn = "" if material == "film" or rng.random() < 0.04 else _isbn(rng)
    fiction: bool | None = work.fiction
    if (
        rng.random() < UNFLAGGED_ITEM_SHARE
        and item_is_fiction(None, nur, work.siso, genre) is work.fiction
    ):
        fiction = None
    return _Edition(work, material, isbn, nur, work.siso, genre, fiction, popularity)


def _isbn(rng: random.Random) -> str:
    """An ISBN-13 in the Dutch-language group (90, 94) with a valid check digit."""
    digits = f"978{rng.choice(('90', '94'))}{rng.randrange(10**7):07d}"
    total = sum(int(digit) * (3 if position % 2 else 1) for position, digit in enumerate(digits))
    return f"{digits}{(10 - total % 10) % 10}"


def _pools(editions: Sequence[_Edition]) -> dict[tuple[str, bool, bool], _Pool]:
    """Adults borrow from the whole collection bar the youth shelf; children from the youth
    shelf and the comics, and from the adult shelves where the youth shelf has nothing."""
    stock: dict[tuple[str, bool, bool], tuple[list[int], list[float]]] = {}
    for index, edition in enumerate(editions):
        for audience, shelves in AUDIENCES.items():
            if edition.work.shelf in shelves:
                items, weights = stock.setdefault(
                    (audience, edition.work.fiction, edition.digital), ([], [])
                )
                items.append(index)
                weights.append(edition.popularity)
    return {key: _Pool(items, weights) for key, (items, weights) in stock.items()}


# --- the members ----------------------------------------------------------------------------


class _NameBook:
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
        self.pool = _Pool(range(len(self.names)), weights)

    def pick(self, rng: random.Random) -> str:
        return self.names[self.pool.pick(rng)]


@dataclass(slots=True)
class _Patron:
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


class _Population:
    """Draws members against quotas, so that the shares of children, dormant members and bad
    rows hold exactly at any size rather than only on average."""

    def __init__(
        self, rng: random.Random, names: _NameBook, start: date, size: int, malformed: int
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

    def patron(self, index: int, circulation: "_Circulation") -> _Patron:
        rng, start = self.rng, self.start
        child = index in self.children
        dormant = index in self.dormant
        malformed = index in self.malformed
        # A dormant child is at least 6, old enough to have borrowed before lapsing.
        birth = _birth_date(rng, start, child=child, old_enough_to_lapse=dormant)
        locale, first, last = self.names.person(rng)
        patron = _Patron(
            first_name=first,
            last_name=last,
            email=self.address(locale, first, last, birth),
            birth_date=birth,
            registered_on=_registration(rng, start, birth),
            last_activity_on=start,
            dormant=dormant,
            malformed=malformed,
        )
        circulation.lend(index, patron, child=child)
        return patron

    def arrival(self, registered_on: date) -> _Patron:
        locale, first, last = self.names.person(self.rng)
        birth = _birth_date(self.rng, self.start, child=self.rng.random() < 0.15)
        return _Patron(
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


def _assign_online_profiles(rng: random.Random, patrons: Sequence[_Patron], start: date) -> None:
    """Active adults are likelier to have made a profile than children or lapsed members;
    weighted sampling without replacement keeps the overall share exact."""

    def weight(patron: _Patron) -> float:
        if patron.under_16_on(start):
            return 0.5
        return 1.2 if patron.dormant else 3.0

    keyed = (
        (rng.random() ** (1 / weight(patron)), number) for number, patron in enumerate(patrons)
    )
    for _, number in heapq.nlargest(round(len(patrons) * ONLINE_PROFILE_SHARE), keyed):
        patrons[number].online_profile = True


def _end_memberships(
    rng: random.Random, patrons: Sequence[_Patron], start: date, borrowing_on: set[int]
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


def _member_row(member_id: str, patron: _Patron) -> list[str]:
    ends = patron.membership_ends_on
    return [
        member_id,
        patron.first_name,
        patron.last_name,
        patron.email,
        patron.birth_date.isoformat(),
        patron.registered_on.isoformat(),
        patron.last_activity_on.isoformat(),
        _yes_no(patron.online_profile),
        ends.isoformat() if ends else "",
    ]


def _write_members(
    path: Path, patrons: Sequence[_Patron]
) -> tuple[list[str], tuple[MalformedRow, ...]]:
    """Member ids follow the order of registration, as a library system hands them out."""
    order = sorted(range(len(patrons)), key=lambda number: (patrons[number].registered_on, number))
    member_ids = [""] * len(patrons)
    for rank, number in enumerate(order):
        member_ids[number] = f"M{rank + 1:06d}"
    defects = iter(_DEFECTS)
    malformed: list[MalformedRow] = []

    def rows():
        for rank, number in enumerate(order):
            patron = patrons[number]
            row = _member_row(member_ids[number], patron)
            if patron.malformed:
                column, spoil = next(defects)
                position = MEMBER_COLUMNS.index(column)
                row[position] = spoil(patron)
                malformed.append(MalformedRow(rank + 2, row[0], column, row[position]))
            yield row

    _write_rows(path, MEMBER_COLUMNS, rows())
    return member_ids, tuple(malformed)


_DEFECTS = (
    ("email", lambda patron: patron.email.replace("@", "@@")),
    ("email", lambda patron: patron.email.split("@")[0] + ".example.org"),
    ("birth_date", lambda patron: f"31/02/{patron.birth_date.year}"),
    ("registered_on", lambda patron: f"{patron.registered_on:%Y}-13-{patron.registered_on:%d}"),
)


# --- the loans ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Taste:
    audience: str
    fiction_share: float
    digital_share: float


class _Circulation:
    """Loans, packed as one integer each (day, member, item) so that months of them sort by
    date in little memory before they are written with ids in date order."""

    def __init__(
        self, rng: random.Random, shelves: _Shelves, start: date, days: int, people: int
    ) -> None:
        self.rng = rng
        self.shelves = shelves
        self.start = start
        self.last_day = start + timedelta(days=days)  # of the simulated days
        self.people = people  # room for every member and arrival: the packing's radix
        self.items = len(shelves.editions)
        self.packed: list[int] = []
        self.borrowing_on: set[int] = set()  # members who borrow through the simulated days

    def lend(self, index: int, patron: _Patron, *, child: bool) -> None:
        """Give the member loans that fit their status and taste — before the start and, for
        one who still borrows, through the simulated days — and set their last activity on the
        start no earlier than their last loan before it."""
        rng, start = self.rng, self.start
        taste = self.taste(child=child)
        if patron.dormant:
            # Some lapsed members only ever came for the reading room or the computers.
            if rng.random() < 0.12:
                patron.last_activity_on = start - timedelta(days=rng.randint(366, 1460))
                patron.registered_on = min(patron.registered_on, patron.last_activity_on)
                return
            last_loan = start - timedelta(days=rng.randint(*DORMANT_LAST_LOAN_DAYS_AGO))
            first_day = last_loan - timedelta(days=rng.randint(60, 365))
            patron.registered_on = min(
                patron.registered_on, first_day - timedelta(days=rng.randint(0, 90))
            )
            count = 1 + int(rng.lognormvariate(1.4, 0.8))
            self.record(index, taste, first_day, last_loan, count, ends_on_last_day=True)
            patron.last_activity_on = min(
                last_loan + timedelta(days=rng.randint(0, 20)), start - timedelta(days=366)
            )
            return
        first_day = max(patron.registered_on, start - timedelta(days=HISTORY_DAYS))
        within_year = max(first_day, start - timedelta(days=364))
        if patron.malformed:
            per_year = 0
        elif rng.random() < LIGHT_BORROWER_SHARE:
            per_year = rng.choice((0, 1, 1, 2))
        else:
            per_year = min(3 + int(rng.lognormvariate(2.45, 0.8)), 250)
        if first_day < start and rng.random() < LAPSING_SHARE:
            # Stopped coming some time this year: not dormant yet, and borrows no more.
            stopped = _day_between(rng, within_year, start - timedelta(days=1))
        else:
            # Borrows on through the simulated days at the same rate, on visits as before.
            stopped = self.last_day
            self.borrowing_on.add(index)
        count = self.loans_between(per_year, first_day, stopped)
        days = self.record(index, taste, first_day, stopped, count)
        last_loan = max((day for day in days if day <= start), default=None)
        last_seen = min(stopped, start)
        # An active member came in within the year, if only to read or use a computer.
        if last_loan is None or last_loan < within_year:
            patron.last_activity_on = _day_between(rng, within_year, last_seen)
        elif rng.random() < 0.35:
            patron.last_activity_on = _day_between(rng, last_loan, last_seen)
        else:
            patron.last_activity_on = last_loan

    def lend_at_desk(self, index: int, patron: _Patron) -> None:
        """A new member (`index` counts on from the members') often takes a book or two home
        on the day they register."""
        rng = self.rng
        if rng.random() >= DESK_LOAN_SHARE:
            return
        taste = self.taste(child=patron.under_16_on(patron.registered_on))
        for _ in range(rng.randint(1, 3)):
            fiction = rng.random() < taste.fiction_share
            item = self.shelves.pick(rng, taste.audience, fiction, False)
            self.packed.append(self.pack(patron.registered_on, index, item))

    def loans_between(self, per_year: int, first_day: date, last_day: date) -> int:
        """The member's loans over these days, at their yearly rate (a fraction of a loan is
        one with that chance)."""
        expected = per_year * ((last_day - first_day).days + 1) / 365
        return int(expected) + (self.rng.random() < expected % 1)

    def taste(self, *, child: bool) -> _Taste:
        rng = self.rng
        if child:
            audience = "adult" if rng.random() < 0.1 else "youth"
            return _Taste(audience, rng.uniform(0.85, 0.98), rng.uniform(0.0, 0.12))
        fiction, digital = rng.choices(
            [taste for taste, _ in ADULT_TASTES], weights=[share for _, share in ADULT_TASTES]
        )[0]
        return _Taste(
            "adult",
            rng.uniform(0.70, 0.95) if fiction else rng.uniform(0.08, 0.35),
            rng.uniform(0.65, 0.95) if digital else rng.uniform(0.0, 0.15),
        )

    def record(
        self,
        index: int,
        taste: _Taste,
        first_day: date,
        last_day: date,
        count: int,
        *,
        ends_on_last_day: bool = False,
    ) -> list[date]:
        """Physical loans cluster on a few visits; digital ones fall on any day. Returns the
        loans' days."""
        rng = self.rng
        visits = [_day_between(rng, first_day, last_day) for _ in range(math.ceil(count / 2.5))]
        days = []
        for number in range(count):
            digital = rng.random() < taste.digital_share
            item = self.shelves.pick(
                rng, taste.audience, rng.random() < taste.fiction_share, digital
            )
            if number == 0 and ends_on_last_day:
                day = last_day
            elif digital:
                day = _day_between(rng, first_day, last_day)
            else:
                day = rng.choice(visits)
            days.append(day)
            self.packed.append(self.pack(day, index, item))
        return days

    def pack(self, day: date, index: int, item: int) -> int:
        return (day.toordinal() * self.people + index) * self.items + item

    def rows(self, member_ids: Sequence[str]) -> tuple[Iterator[tuple], Iterator[tuple]]:
        """The loans up to the start and those of the simulated days after it, each in date
        order, their ids one series: `member_ids` name the members, then the arrivals."""
        self.packed.sort()
        boundary = bisect_left(self.packed, self.pack(self.start + timedelta(days=1), 0, 0))
        return (
            self._rows(member_ids, 0, boundary),
            self._rows(member_ids, boundary, len(self.packed)),
        )

    def _rows(self, member_ids: Sequence[str], first: int, last: int) -> Iterator[tuple]:
        for number in range(first, last):
            rest, item = divmod(self.packed[number], self.items)
            ordinal, member = divmod(rest, self.people)
            yield (
                f"L{number + 1:07d}",
                member_ids[member],
                _Shelves.item_id(item),
                date.fromordinal(ordinal).isoformat(),
            )


def _day_between(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, (last - first).days))
