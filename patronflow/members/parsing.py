"""Reading one cell of a library-system export into a model value.

Library systems write dates, yes/no flags and material types in many local ways; these
parsers accept the documented forms (docs/import-format.md) and raise ValueError with a
message a librarian can act on for anything else.
"""

import datetime as dt
import re

from email_validator import EmailNotValidError, validate_email

from patronflow.members.models import Item

_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_DAY_FIRST_DATE = re.compile(r"(\d{1,2})([/-])(\d{1,2})\2(\d{4})")
DATE_FORMS = "YYYY-MM-DD, DD/MM/YYYY or DD-MM-YYYY"

# A value quoted in a rejection shows at most this much of itself: the reasons are listed
# on screen and kept in the summary, and a cell may be tens of thousands of characters long.
SHOWN_VALUE_CHARS = 60

_TRUE = frozenset({"yes", "true", "1", "ja", "y", "j"})
_FALSE = frozenset({"no", "false", "0", "nee", "n"})
BOOLEAN_FORMS = "yes/no, true/false, 1/0 or ja/nee"

Material = Item.Material
# Keys are lower case with spaces, hyphens, dots and underscores removed: "E-Book" -> "ebook".
MATERIAL_WORDS: dict[str, str] = {
    **dict.fromkeys(
        ["boek", "boeken", "book", "books", "paperback", "pocket", "hardcover", "gebonden",
         "prentenboek", "groteletter", "grootletterboek", "largeprint"],
        Material.BOOK,
    ),
    **dict.fromkeys(["ebook", "eboek", "ebooks", "digitaalboek", "epub"], Material.EBOOK),
    **dict.fromkeys(
        ["luisterboek", "luisterboeken", "audioboek", "audiobook", "audiobooks", "daisy",
         "daisyrom", "luistercd"],
        Material.AUDIOBOOK,
    ),
    **dict.fromkeys(
        ["eluisterboek", "eaudiobook", "eaudioboek", "digitaalluisterboek"],
        Material.EAUDIOBOOK,
    ),
    **dict.fromkeys(
        ["strip", "strips", "stripboek", "stripverhaal", "comic", "comics", "graphicnovel",
         "beeldroman", "manga"],
        Material.COMIC,
    ),
    **dict.fromkeys(
        ["tijdschrift", "tijdschriften", "magazine", "magazines", "periodiek", "krant"],
        Material.MAGAZINE,
    ),
    **dict.fromkeys(["dvd", "dvds", "bluray", "film", "films", "video", "movie"], Material.FILM),
    **dict.fromkeys(["cd", "cds", "muziek", "music", "lp", "vinyl", "audiocd"], Material.MUSIC),
    **dict.fromkeys(
        ["game", "games", "videogame", "spel", "spellen", "gezelschapsspel", "boardgame"],
        Material.GAME,
    ),
    **{choice.value: choice for choice in Material},
}  # fmt: skip
_MATERIAL_NOISE = re.compile(r"[\s\-._]+")


def shown(text: str) -> str:
    """A value as a rejection quotes it: in quotes, and only its beginning when it is long."""
    if len(text) <= SHOWN_VALUE_CHARS:
        return repr(text)
    return f"{text[:SHOWN_VALUE_CHARS]!r}… ({len(text):,} characters)"


def parse_date(text: str) -> dt.date | None:
    """An empty cell is no date; a time after an ISO date (a datetime export) is ignored."""
    text = text.strip()
    if not text:
        return None
    if len(text) == 10 and text[4] == "-" and text[7] == "-" and text.isascii():
        # The common case, tens of millions of times in a loans file: skip the patterns.
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass  # the patterns below say what is wrong with it
    if match := _ISO_DATE.fullmatch(text):
        year, month, day = match.groups()
    elif match := _DAY_FIRST_DATE.fullmatch(text):
        day, _, month, year = match.groups()
    else:
        raise ValueError(f"{shown(text)} is not a date (expected {DATE_FORMS})")
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        raise ValueError(f"{shown(text)} is not a date on the calendar") from None


def parse_boolean(text: str) -> bool | None:
    """None for an empty cell, so each column can choose its own default."""
    word = text.strip().lower()
    if not word:
        return None
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ValueError(f"{shown(text)} is not a yes/no value (expected {BOOLEAN_FORMS})")


def parse_material(text: str) -> str:
    """Unknown material words become 'other' rather than rejecting the item: the catalogue
    keeps growing new formats, and a reading profile only needs to know digital or not."""
    key = _MATERIAL_NOISE.sub("", text.strip().lower())
    if not key:
        return Material.BOOK
    return MATERIAL_WORDS.get(key, Material.OTHER)


# The words a visits export may use for where the member came in (docs/import-format.md).
CHANNEL_WORDS: dict[str, str] = {
    "gate": "gate", "entrance": "gate", "poort": "gate", "toegangspoort": "gate", "ingang": "gate",
    "checkin": "checkin", "incheck": "checkin", "inchecken": "checkin", "zuil": "checkin",
    "desk": "desk", "balie": "desk", "counter": "desk",
}  # fmt: skip
CHANNEL_FORMS = "gate, checkin or desk"


def parse_channel(text: str) -> str:
    """Where a visit was seen: an empty cell is the entrance gate, the usual source; an
    unknown word rejects the row rather than guess."""
    key = _MATERIAL_NOISE.sub("", text.strip().lower())
    if not key:
        return "gate"
    try:
        return CHANNEL_WORDS[key]
    except KeyError:
        raise ValueError(f"{shown(text)} is not a channel (expected {CHANNEL_FORMS})") from None


def parse_email(text: str) -> str:
    """The normalised address, or '' for none: a member without an address is simply not
    mailable, but a malformed one means the export is wrong and should be fixed."""
    text = text.strip()
    if not text:
        return ""
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise ValueError(f"{shown(text)} is not a valid e-mail address: {error}") from None
