"""How a loan counts towards a reading profile. Documented in docs/reading-profiles.md.

Fiction or non-fiction comes from the item's fiction flag; when the library system left it
empty, from the NUR code, then the SISO number, then the genre word. Digital means e-book or
e-audiobook. A member needs MINIMUM_CLASSIFIED_LOANS loans whose kind is known for a profile.
"""

from patronflow.members.models import Item
from patronflow.profiles.models import Segment

MINIMUM_CLASSIFIED_LOANS = 3

FICTION_GENRES = frozenset(
    {
        "roman", "romans", "literaire roman", "literatuur", "thriller", "detective", "misdaad",
        "spanning", "fantasy", "sciencefiction", "science fiction", "sf", "romantiek",
        "romantisch", "historische roman", "verhalen", "kortverhalen", "poëzie", "gedichten",
        "streekroman", "oorlogsroman", "humor", "chicklit", "feelgood", "horror", "jeugdroman",
        "fiction", "novel", "crime", "romance", "poetry", "short stories",
    }
)  # fmt: skip
NONFICTION_GENRES = frozenset(
    {
        "informatief", "non-fictie", "biografie", "autobiografie", "geschiedenis", "kookboek",
        "koken", "reisgids", "reizen", "gezondheid", "psychologie", "filosofie", "wetenschap",
        "natuur", "kunst", "muziek", "sport", "economie", "politiek", "opvoeding", "religie",
        "taal", "studieboek", "hobby", "tuinieren", "non-fiction", "biography", "history",
        "cookery", "travel", "science",
    }
)  # fmt: skip


def nur_is_fiction(nur: str) -> bool | None:
    """NUR 300-399 is fiction except 320-329 (literary non-fiction: essays, biographies);
    270-289 (youth fiction) is fiction; 400-999 is non-fiction."""
    try:
        code = int(nur.strip()[:3])
    except ValueError:
        return None
    if 320 <= code <= 329:
        return False
    if 300 <= code <= 399 or 270 <= code <= 289:
        return True
    if 400 <= code <= 999:
        return False
    return None


def siso_is_fiction(siso: str) -> bool | None:
    """A SISO number (e.g. '947.1') places an item in the non-fiction classification."""
    value = siso.strip()
    if value and value[0].isdigit():
        return False
    return None


def genre_is_fiction(genre: str) -> bool | None:
    word = genre.strip().lower()
    if word in FICTION_GENRES:
        return True
    if word in NONFICTION_GENRES:
        return False
    return None


def item_is_fiction(is_fiction: bool | None, nur: str, siso: str, genre: str) -> bool | None:
    if is_fiction is not None:
        return is_fiction
    for verdict in (nur_is_fiction(nur), siso_is_fiction(siso), genre_is_fiction(genre)):
        if verdict is not None:
            return verdict
    return None


def item_is_digital(material: str) -> bool:
    return material in Item.DIGITAL_MATERIALS


def segment_for(fiction: int, nonfiction: int, digital: int, physical: int) -> Segment:
    """'Mainly' means at least half; ties go to fiction and to physical, the commoner kinds."""
    if fiction + nonfiction < MINIMUM_CLASSIFIED_LOANS:
        return Segment.UNKNOWN
    mainly_fiction = fiction >= nonfiction
    mainly_digital = digital > physical
    return {
        (True, True): Segment.FICTION_DIGITAL,
        (True, False): Segment.FICTION_PHYSICAL,
        (False, True): Segment.NONFICTION_DIGITAL,
        (False, False): Segment.NONFICTION_PHYSICAL,
    }[(mainly_fiction, mainly_digital)]
