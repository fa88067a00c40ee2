"""Whether an item is fiction and whether it is digital, from the code tables in `data/`.

Each source (the library's own flag, MARC 21 008/33, NUR, Thema, SISO, the genre label) gives
a verdict or none; a library's `Classifier` asks them in its policy's order and the first
verdict wins. The tables and their sources are documented in docs/reading-profiles.md.
"""

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import NamedTuple

FICTION, NON_FICTION, UNKNOWN = "fiction", "non-fiction", "unknown"
_VERDICTS = {FICTION: True, NON_FICTION: False, UNKNOWN: None}

SOURCES = ("library", "marc", "nur", "thema", "siso", "genre")
# The library's own decision first; then the catalogue's coded fields, the cataloguer's MARC
# before the publisher's NUR and Thema; SISO only says something when present; free-text
# genre labels, the least controlled, last.
DEFAULT_ORDER = SOURCES


class ItemFacts(NamedTuple):
    """The columns of an item that the sources read, in `ITEM_FIELDS` order."""

    is_fiction: bool | None
    literary_form: str
    nur: str
    thema: str
    siso: str
    genre: str


ITEM_FIELDS = ItemFacts._fields


@cache
def _table(name: str) -> dict:
    with resources.files("patronflow.profiles").joinpath("data", name).open("rb") as handle:
        return tomllib.load(handle)


def _label(value: str) -> str:
    return unicodedata.normalize("NFC", value).strip().lower()


def literary_form_verdict(code: str) -> bool | None:
    """MARC 21 008/33: 0 and 1 generic, letters the specific literary forms."""
    entry = _table("literary_form.toml")["codes"].get(code.strip().lower())
    return _VERDICTS[entry["verdict"]] if entry else None


def nur_verdict(nur: str) -> bool | None:
    """The first three digits are the NUR code; the first range holding it decides."""
    digits = nur.strip()[:3]
    if len(digits) != 3 or not digits.isdigit():
        return None
    code = int(digits)
    for entry in _table("nur.toml")["ranges"]:
        if entry["from"] <= code <= entry["to"]:
            return _VERDICTS[entry["verdict"]]
    return None


def thema_verdict(thema: str) -> bool | None:
    """The longest listed prefix of the (first) Thema code decides; other codes are subjects."""
    code = re.split(r"[\s,;]+", thema.strip().upper())[0]
    if not code or not code[0].isalpha():
        return None
    table = _table("thema.toml")
    for length in range(len(code), 0, -1):
        verdict = table["prefixes"].get(code[:length])
        if verdict is not None:
            return _VERDICTS[verdict]
    return _VERDICTS[table["other"]]


def siso_verdict(siso: str) -> bool | None:
    """A SISO number (e.g. '947.1') places an item in the non-fiction classification; its
    absence says nothing, since fiction is shelved by author."""
    value = siso.strip()
    return False if value and value[0].isdigit() else None


def genre_verdict(genre: str) -> bool | None:
    label = _label(genre)
    table = _table("genres.toml")
    if label in table["fiction"]:
        return True
    if label in table["non-fiction"]:
        return False
    return None


def is_digital(material: str) -> bool:
    return _table("materials.toml")["materials"].get(_label(material)) == "digital"


def digital_materials() -> frozenset[str]:
    """The material codes lent digitally, for filtering loans in the database."""
    materials = _table("materials.toml")["materials"]
    return frozenset(code for code, way in materials.items() if way == "digital")


def _library_verdict(is_fiction: bool | None) -> bool | None:
    return is_fiction


_SOURCE_FIELD = {
    "library": ("is_fiction", _library_verdict),
    "marc": ("literary_form", literary_form_verdict),
    "nur": ("nur", nur_verdict),
    "thema": ("thema", thema_verdict),
    "siso": ("siso", siso_verdict),
    "genre": ("genre", genre_verdict),
}


def verdict(source: str, value) -> bool | None:
    """One source's verdict on one value: True fiction, False non-fiction, None no verdict."""
    return _SOURCE_FIELD[source][1](value)


def check_order(order: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """A usable source order: known names, each once. Raises ValueError otherwise."""
    unknown = [name for name in order if name not in SOURCES]
    if unknown:
        raise ValueError(f"unknown classification sources {unknown}; known: {list(SOURCES)}")
    if len(set(order)) != len(order):
        raise ValueError("each classification source may appear once")
    return tuple(order)


@dataclass(frozen=True)
class Classifier:
    """A library's way of classifying items: built once per run, asked once per item."""

    order: tuple[str, ...] = DEFAULT_ORDER

    def __post_init__(self) -> None:
        check_order(self.order)

    def is_fiction(self, facts: ItemFacts) -> bool | None:
        for source in self.order:
            field, rule = _SOURCE_FIELD[source]
            value = getattr(facts, field)
            if value is None or value == "":
                continue
            found = rule(value)
            if found is not None:
                return found
        return None

    def kind(self, facts: ItemFacts, material: str) -> tuple[bool | None, bool]:
        """(fiction, digital) of an item: what a loan of it adds to a reading profile."""
        return self.is_fiction(facts), is_digital(material)
