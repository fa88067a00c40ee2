"""Synthetic library-system exports for bench/import.py: full files and a one-day delta.

Deterministic for a seed. Loans fall on the `loan_days` days (365 unless told) before `today`;
the delta holds the loans of `today` (new ids) and a day's new and changed members. Over more
days than the profiles' window (36 months: `loan_days` 1100 or more), each day's refresh also
has loans leaving the window.
"""

import csv
import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path

FIRST_NAMES = ["Anna", "Bart", "Céline", "Dirk", "Emma", "Finn", "Lotte", "Noah", "Zoë", "Loïc"]
LAST_NAMES = ["Peeters", "Janssens", "Maes", "Claes", "Dewaële", "Wouters", "Müller", "Goossens"]
MATERIALS = ["boek"] * 6 + ["e-book"] * 2 + ["luisterboek", "e-luisterboek", "strip", "dvd"]


@dataclass(frozen=True)
class Exports:
    members: Path
    items: Path
    loans: Path
    members_delta: Path
    loans_delta: Path
    sizes: dict[str, int]


def write_exports(
    folder: Path,
    *,
    members: int,
    items: int,
    loans: int,
    today: dt.date,
    seed: int = 7,
    loan_days: int = 365,
) -> Exports:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    first_day = today - dt.timedelta(days=loan_days)
    exports = Exports(
        members=folder / "members.csv",
        items=folder / "items.csv",
        loans=folder / "loans.csv",
        members_delta=folder / "members-delta.csv",
        loans_delta=folder / "loans-delta.csv",
        sizes={},
    )
    member_header = ["member_id", "first_name", "last_name", "email", "birth_date",
                     "registered_on", "last_activity_on", "online_profile"]  # fmt: skip

    def member(n: int, active: dt.date) -> list[str]:
        registered = first_day - dt.timedelta(days=rng.randrange(3000))
        born = dt.date(1940 + rng.randrange(70), 1 + rng.randrange(12), 1 + rng.randrange(28))
        return [
            f"M{n:08d}",
            rng.choice(FIRST_NAMES),
            rng.choice(LAST_NAMES),
            f"lid{n}@example.org" if rng.random() < 0.8 else "",
            born.strftime("%d/%m/%Y"),
            registered.isoformat(),
            active.isoformat(),
            rng.choice(["ja", "nee"]),
        ]

    with exports.members.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file, delimiter=";")
        writer.writerow(member_header)
        for n in range(members):
            writer.writerow(member(n, first_day + dt.timedelta(days=rng.randrange(365))))
    with exports.items.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["item_id", "title", "author", "material", "nur", "fiction"])
        for n in range(items):
            fiction = rng.random() < 0.6
            nur = rng.choice(["302", "305", "283"] if fiction else ["680", "400", "320"])
            writer.writerow(
                [f"I{n:07d}", f"Titel {n}", rng.choice(LAST_NAMES), rng.choice(MATERIALS), nur,
                 "ja" if fiction else "nee"]
            )  # fmt: skip
    days = [(first_day + dt.timedelta(days=d)).isoformat() for d in range(loan_days)]
    with exports.loans.open("w", newline="", encoding="utf-8") as file:
        file.write("loan_id,member_id,item_id,loaned_on\n")
        for n in range(loans):
            # A skewed choice of members: some borrow a lot, many rarely.
            who = int(members * rng.random() ** 2)
            file.write(f"L{n:09d},M{who:08d},I{rng.randrange(items):07d},{rng.choice(days)}\n")
    new_loans = max(loans // loan_days, 1)
    with exports.loans_delta.open("w", newline="", encoding="utf-8") as file:
        file.write("loan_id,member_id,item_id,loaned_on\n")
        for n in range(loans, loans + new_loans):
            who = int(members * rng.random() ** 2)
            file.write(f"L{n:09d},M{who:08d},I{rng.randrange(items):07d},{today.isoformat()}\n")
    changed = max(members // 1000, 1)
    with exports.members_delta.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file, delimiter=";")
        writer.writerow(member_header)
        for n in rng.sample(range(members), changed):
            writer.writerow(member(n, today))
        for n in range(members, members + changed):
            writer.writerow(member(n, today))
    exports.sizes.update(
        members=members, items=items, loans=loans, members_delta=2 * changed, loans_delta=new_loans
    )
    return exports
