"""The demo library's collection: the catalogue's works held as editions and copies, with the
uneven records of a real library system, and the pools members borrow from."""

import random
from bisect import bisect
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from patronflow.demo.catalogue import Work, works
from patronflow.demo.exports import yes_no
from patronflow.profiles.rules import item_is_fiction

UNFLAGGED_ITEM_SHARE = 0.35
DIGITAL = frozenset({"ebook", "eaudiobook"})
AUDIENCES = {"adult": ("adult", "film", "comic"), "youth": ("youth", "comic")}


@dataclass(frozen=True, slots=True)
class Edition:
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


class Pool:
    """Things to pick from, weighted: items by popularity, names by frequency."""

    def __init__(self, items: Sequence[int], weights: Sequence[float]) -> None:
        self.items = tuple(items)
        self.cumulative = tuple(_running_total(weights))

    def pick(self, rng: random.Random) -> int:
        return self.items[bisect(self.cumulative, rng.random() * self.cumulative[-1])]


def _running_total(weights: Sequence[float]) -> Iterator[float]:
    total = 0.0
    for weight in weights:
        total += weight
        yield total


class Shelves:
    """The catalogue as copies (one item id per copy) and the pools members borrow from."""

    def __init__(self, editions: list[Edition], pools: Mapping[tuple[str, bool, bool], Pool]):
        self.editions = editions
        self.pools = pools

    @classmethod
    def stock(cls, rng: random.Random) -> "Shelves":
        catalogue = works()
        ranks = list(range(len(catalogue)))
        rng.shuffle(ranks)
        editions: list[Edition] = []
        for work, rank in zip(catalogue, ranks, strict=True):
            popularity = 1 / (rank + 10)
            for material, copies in _materials(rng, work, rank):
                editions.extend([_edition(rng, work, material, popularity)] * copies)
        return cls(editions, _pools(editions))

    def pick(self, rng: random.Random, audience: str, fiction: bool, digital: bool) -> int:
        pool = (
            self.pools.get((audience, fiction, digital)) or self.pools[("adult", fiction, digital)]
        )
        return pool.pick(rng)

    def rows(self) -> Iterator[tuple[str, ...]]:
        """items.csv's rows (exports.ITEM_COLUMNS), a row per copy."""
        for index, edition in enumerate(self.editions):
            fiction = "" if edition.fiction is None else yes_no(edition.fiction)
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


def _edition(rng: random.Random, work: Work, material: str, popularity: float) -> Edition:
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
    return Edition(work, material, isbn, nur, work.siso, genre, fiction, popularity)


def _isbn(rng: random.Random) -> str:
    """An ISBN-13 in the Dutch-language group (90, 94) with a valid check digit."""
    digits = f"978{rng.choice(('90', '94'))}{rng.randrange(10**7):07d}"
    total = sum(int(digit) * (3 if position % 2 else 1) for position, digit in enumerate(digits))
    return f"{digits}{(10 - total % 10) % 10}"


def _pools(editions: Sequence[Edition]) -> dict[tuple[str, bool, bool], Pool]:
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
    return {key: Pool(items, weights) for key, (items, weights) in stock.items()}
