"""A synthetic library for the demo, written as the exports a library system hands over.

The demo imports these files with the real importer, so they follow docs/import-format.md
exactly (exports.py). The collection is shelves.py's, the members patrons.py's and their loans
circulation.py's, all drawn from one seeded random generator so that a seed always yields the
same files.

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
"""

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from patronflow.demo.circulation import Circulation
from patronflow.demo.exports import (
    ITEM_COLUMNS,
    LOAN_COLUMNS,
    MEMBER_COLUMNS,
    write_rows,
)
from patronflow.demo.patrons import (
    DEFECTS,
    MalformedRow,
    NameBook,
    Population,
    assign_online_profiles,
    end_memberships,
    member_row,
    write_members,
)
from patronflow.demo.shelves import Shelves

NO_EMAIL_SHARE = 0.002
ARRIVALS_PER_60_DAYS = (0.045, 0.055)
MALFORMED_ROWS = len(DEFECTS)
MINIMUM_MEMBERS = 50


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
    names = NameBook()
    shelves = Shelves.stock(rng)
    items_csv = directory / "items.csv"
    write_rows(items_csv, ITEM_COLUMNS, shelves.rows())

    most_arrivals = math.ceil(members * ARRIVALS_PER_60_DAYS[1] * days / 60)
    circulation = Circulation(rng, shelves, start, days, people=members + most_arrivals + 1)
    population = Population(rng, names, start, members, malformed_rows)
    patrons = []
    for index in range(members):
        patron = population.patron(index)
        circulation.lend(index, patron, child=index in population.children)
        patrons.append(patron)
    assign_online_profiles(rng, patrons, start)
    end_memberships(rng, patrons, start, circulation.borrowing_on)
    without_email = max(1, round(members * NO_EMAIL_SHARE))
    for patron in rng.sample([p for p in patrons if not p.malformed], without_email):
        patron.email = ""

    members_csv = directory / "members.csv"
    member_ids, malformed = write_members(members_csv, patrons)

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
        member_row(member_id, patron)
        for member_id, patron in zip(arrival_ids, newcomers, strict=True)
    )
    write_rows(arrivals_csv, MEMBER_COLUMNS, arrival_rows)

    loans_csv = directory / "loans.csv"
    later_loans_csv = directory / "later_loans.csv"
    history, later = circulation.rows([*member_ids, *arrival_ids])
    loans = write_rows(loans_csv, LOAN_COLUMNS, history)
    later_loans = write_rows(later_loans_csv, LOAN_COLUMNS, later)

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
