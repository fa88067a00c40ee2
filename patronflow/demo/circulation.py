"""The demo library's loans: each member's taste and rate of borrowing, before the start and
through the simulated days, and loans.csv's and later_loans.csv's rows in date order."""

import math
import random
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from patronflow.demo.patrons import Patron
from patronflow.demo.shelves import Shelves

HISTORY_DAYS = 396  # 13 months of loans before the start
LIGHT_BORROWER_SHARE = 0.12
# Active members who stopped borrowing in the past year, about as many as joined in it: without
# them the library would seem to grow by a fifth a year.
LAPSING_SHARE = 0.15
DESK_LOAN_SHARE = 0.6  # new members who take something home on the day they register
# Dormant: no visit and no loan for more than a year; their last loan was 13 to 30 months ago.
DORMANT_LAST_LOAN_DAYS_AGO = (396, 912)
# Share of adults by what they mainly borrow: fiction or not, digital or not.
ADULT_TASTES = (
    ((True, False), 0.42),
    ((False, False), 0.28),
    ((True, True), 0.19),
    ((False, True), 0.11),
)


@dataclass(frozen=True, slots=True)
class _Taste:
    audience: str
    fiction_share: float
    digital_share: float


class Circulation:
    """Loans, packed as one integer each (day, member, item) so that months of them sort by
    date in little memory before they are written with ids in date order."""

    def __init__(
        self, rng: random.Random, shelves: Shelves, start: date, days: int, people: int
    ) -> None:
        self.rng = rng
        self.shelves = shelves
        self.start = start
        self.last_day = start + timedelta(days=days)  # of the simulated days
        self.people = people  # room for every member and arrival: the packing's radix
        self.items = len(shelves.editions)
        self.packed: list[int] = []
        self.borrowing_on: set[int] = set()  # members who borrow through the simulated days

    def lend(self, index: int, patron: Patron, *, child: bool) -> None:
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

    def lend_at_desk(self, index: int, patron: Patron) -> None:
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
                Shelves.item_id(item),
                date.fromordinal(ordinal).isoformat(),
            )


def _day_between(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, (last - first).days))
