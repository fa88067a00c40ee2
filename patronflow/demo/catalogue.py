"""The demo library's shelves: real Dutch-language and Flemish works, read from data/works.csv,
so that reading tips, reports and previews show titles a Flemish or Dutch librarian recognises.

works.csv holds one work a row, in the order the demo draws their popularity from: its shelf
(adult, youth, comic or film), genre, fiction (ja/nee), NUR, SISO, author and title. NUR codes
follow the Dutch-language book trade's rubrics (301 literaire roman, 305 literaire thriller,
306 poëzie, 320 literaire non-fictie, 330-332 spannend/detective/thriller, 340 romantisch,
360 strips, 281-285 jeugd by age, 440 koken, 500 reizen, 680 geschiedenis, 770 psychologie).
SISO numbers are plausible placements within the main classes, not copied from a catalogue
record. Films carry their director as author, as library catalogues do.
"""

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

Shelf = Literal["adult", "youth", "comic", "film"]
WORKS_CSV = Path(__file__).parent / "data" / "works.csv"
SHELVES = frozenset(("adult", "youth", "comic", "film"))


@dataclass(frozen=True, slots=True)
class Work:
    title: str
    author: str
    fiction: bool
    genre: str
    nur: str
    siso: str
    shelf: Shelf


@cache
def works() -> tuple[Work, ...]:
    """Every work of works.csv, in its order."""
    with WORKS_CSV.open(encoding="utf-8", newline="") as handle:
        return tuple(_work(row) for row in csv.DictReader(handle))


def _work(row: dict[str, str]) -> Work:
    if row["shelf"] not in SHELVES or row["fiction"] not in {"ja", "nee"}:
        raise ValueError(f"{WORKS_CSV}: not a shelf or not ja/nee in {row}")
    return Work(
        title=row["title"],
        author=row["author"],
        fiction=row["fiction"] == "ja",
        genre=row["genre"],
        nur=row["nur"],
        siso=row["siso"],
        shelf=row["shelf"],
    )
