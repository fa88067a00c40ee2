"""Reading tips: titles a library's members of one segment borrow most, in the format that
segment reads, with what staff pinned first and what they excluded left out.

Chosen once per send batch and segment (mail/compose.py TipChooser), then thinned per member
to titles they have not borrowed. A title is its title and author: editions and copies of one
work count together, and a tip links to the catalogue by the ISBN of the edition that fits.
"""

import datetime as dt
from dataclasses import dataclass
from urllib.parse import quote

from django.db import transaction
from django.db.models import Count, Q

from patronflow.members.models import Item, Library, Loan
from patronflow.privacy.audit import Actor, operator_of, record_change
from patronflow.profiles.classification import ITEM_FIELDS, ItemFacts, digital_materials
from patronflow.profiles.models import Segment, TipChoice
from patronflow.profiles.queries import classifier_for

# What a reading tip can be: films, music, games and magazines are lent too, but are no tip
# for a reader.
READING_MATERIALS = frozenset(
    {
        Item.Material.BOOK,
        Item.Material.EBOOK,
        Item.Material.AUDIOBOOK,
        Item.Material.EAUDIOBOOK,
        Item.Material.COMIC,
    }
)
# (fiction, digital) per segment; the 'unknown' segment gets the library's favourites.
SEGMENT_KIND = {
    Segment.FICTION_DIGITAL: (True, True),
    Segment.FICTION_PHYSICAL: (True, False),
    Segment.NONFICTION_DIGITAL: (False, True),
    Segment.NONFICTION_PHYSICAL: (False, False),
}
TIPS_CHOSEN = 10
TIPS_PER_MAIL = 3
MONTHS_LOOKED_AT = 12


@dataclass(frozen=True)
class ReadingTip:
    """A title, whatever edition or copy of it members borrowed; the ISBN is the edition in
    the reader's format (for the catalogue link), empty when the catalogue has none."""

    title: str
    author: str
    isbn: str = ""

    @property
    def work(self) -> tuple[str, str]:
        return (self.title, self.author)


def catalogue_link(pattern: str, tip: ReadingTip) -> str:
    """The library's catalogue page for a tip, from its URL pattern with {isbn}, {title} and
    {author}; without an ISBN, {isbn} searches for title and author instead. Only https."""
    if not pattern.startswith("https://"):
        return ""
    values = {
        "{isbn}": tip.isbn or f"{tip.title} {tip.author}".strip(),
        "{title}": tip.title,
        "{author}": tip.author,
    }
    link = pattern
    for placeholder, value in values.items():
        link = link.replace(placeholder, quote(value, safe=""))
    return link


def _formats(segment: str) -> frozenset[str]:
    kind = SEGMENT_KIND.get(segment)
    if kind is None:
        return READING_MATERIALS
    digital = digital_materials()
    return frozenset(m for m in READING_MATERIALS if (m in digital) == kind[1])


def _choices(library: Library, segment: str) -> tuple[list[TipChoice], set[tuple[str, str]]]:
    """Pinned titles in the order staff first chose them, and excluded works, for the
    segment."""
    choices = TipChoice.objects.filter(library=library, segment__in=("", segment))
    pinned = [c for c in choices.order_by("pk") if c.action == TipChoice.Action.PIN]
    excluded = {(c.title, c.author) for c in choices if c.action == TipChoice.Action.EXCLUDE}
    return pinned, excluded


def tips_for_segment(
    library: Library,
    segment: str,
    today: dt.date,
    limit: int = TIPS_CHOSEN,
    months: int = MONTHS_LOOKED_AT,
) -> list[ReadingTip]:
    """Pinned titles first, then the most borrowed recent titles of the segment's kind
    (fiction or not) and format (digital or physical), without excluded ones."""
    pinned, excluded = _choices(library, segment)
    # A title pinned for the segment and for every segment is still one tip.
    pinned_works = list(
        dict.fromkeys((c.title, c.author) for c in pinned if (c.title, c.author) not in excluded)
    )
    popular = [
        work
        for work in _popular_works(library, segment, today, limit + len(excluded), months)
        if work not in excluded and work not in pinned_works
    ]
    works = (pinned_works + popular)[:limit]
    isbns = _isbns(library, works, _formats(segment))
    return [ReadingTip(title, author, isbns.get((title, author), "")) for title, author in works]


def _popular_works(
    library: Library, segment: str, today: dt.date, limit: int, months: int
) -> list[tuple[str, str]]:
    since = today - dt.timedelta(days=30 * months)
    loans = Loan.objects.filter(
        library=library,
        loaned_on__gte=since,
        loaned_on__lte=today,
        item__material__in=_formats(segment),
    )
    ranked = [
        (row["item__title"], row["item__author"])
        for row in loans.values("item__title", "item__author")
        .annotate(times=Count("id"))
        .order_by("-times", "item__title", "item__author")[: limit * 20]
    ]
    kind = SEGMENT_KIND.get(segment)
    if kind is None:
        return ranked[:limit]
    fiction = _fiction_by_work(library, ranked)
    return [work for work in ranked if fiction.get(work) == kind[0]][:limit]


def _fiction_by_work(library: Library, works: list[tuple[str, str]]) -> dict:
    """Whether each work is fiction, from the first of its editions that the library's
    classifier can place."""
    classifier = classifier_for(library)
    fiction: dict[tuple[str, str], bool] = {}
    editions = Item.objects.filter(library=library, title__in={title for title, _ in works})
    for title, author, *facts in editions.values_list("title", "author", *ITEM_FIELDS):
        verdict = classifier.is_fiction(ItemFacts(*facts))
        if verdict is not None:
            fiction.setdefault((title, author), verdict)
    return fiction


def _isbns(
    library: Library, works: list[tuple[str, str]], formats: frozenset[str]
) -> dict[tuple[str, str], str]:
    """Per work, the ISBN of its most borrowed edition in a fitting format; '' when that
    edition has none (the link then searches for title and author: an e-book without ISBN
    must not lead a digital reader to the printed book). Only a pinned title the library
    holds in no fitting format links to another format's edition."""
    editions = (
        Item.objects.filter(library=library, title__in={title for title, _ in works})
        .values("title", "author", "isbn", "material")
        .annotate(times=Count("loans"))
        .order_by("-times", "-isbn")
    )
    fitting: dict[tuple[str, str], str] = {}
    other: dict[tuple[str, str], str] = {}
    for edition in editions:
        work = (edition["title"], edition["author"])
        chosen = fitting if edition["material"] in formats else other
        if not chosen.get(work):
            chosen[work] = edition["isbn"]
    return {work: fitting[work] if work in fitting else other.get(work, "") for work in works}


def borrowed_works(member_ids: list[int], works: set[tuple[str, str]]) -> set[tuple]:
    """(member id, title, author) for each of the works a member ever borrowed, any edition."""
    return set(
        Loan.objects.filter(
            member_id__in=member_ids, item__title__in={title for title, _ in works}
        ).values_list("member_id", "item__title", "item__author")
    )


@transaction.atomic
def choose(
    library: Library,
    title: str,
    author: str,
    action: str,
    segment: str = "",
    *,
    actor: Actor = None,
) -> TipChoice:
    """Pin or exclude a title (for one segment, or '' for all); choosing again replaces.
    Logged as the actor's change."""
    earlier = TipChoice.objects.filter(
        library=library, segment=segment, title=title, author=author
    ).first()
    choice, _ = TipChoice.objects.update_or_create(
        library=library,
        segment=segment,
        title=title,
        author=author,
        defaults={"action": action, "chosen_by": operator_of(actor)},
    )
    _log_choice(choice, earlier.action if earlier else None, choice.action, actor)
    return choice


@transaction.atomic
def forget(
    library: Library,
    title: str,
    author: str | None = None,
    segment: str = "",
    *,
    actor: Actor = None,
) -> int:
    """Undo the pins or exclusions of a title (any author when None) as they were stored,
    whatever the catalogue calls it now; returns how many went. Logged as the actor's
    change."""
    choices = TipChoice.objects.filter(library=library, segment=segment, title__iexact=title)
    if author is not None:
        choices = choices.filter(author__iexact=author)
    for choice in choices:
        forget_choice(choice, actor=actor)
    return len(choices)


@transaction.atomic
def forget_choice(choice: TipChoice, *, actor: Actor = None) -> None:
    """Undo one stored pin or exclusion; logged as the actor's change."""
    choice.delete()
    _log_choice(choice, choice.action, None, actor)


def _log_choice(choice: TipChoice, before: str | None, after: str | None, actor: Actor) -> None:
    """One entry per title: what it is for which segments, before and after."""
    segment = choice.segment or "every segment"
    record_change(
        f"reading tip “{choice.title}” ({choice.author or 'no author'})",
        {segment: (before, after)} if before != after else {},
        actor=actor,
        library_code=choice.library.code,
    )


@dataclass(frozen=True)
class ShownTip:
    """A tip as staff see it: where it links and the pin that put it there (None when it is
    there by popularity)."""

    tip: ReadingTip
    link: str
    pin: TipChoice | None


def tips_per_segment(library: Library, today: dt.date) -> dict[str, list[ShownTip]]:
    """Each segment's tips as a mail of today would draw from them."""
    pins = {
        (choice.title, choice.author, choice.segment): choice
        for choice in library.tip_choices.filter(action=TipChoice.Action.PIN)
    }

    def pin_of(tip: ReadingTip, segment: str) -> TipChoice | None:
        return pins.get((*tip.work, segment)) or pins.get((*tip.work, ""))

    return {
        segment: [
            ShownTip(tip, catalogue_link(library.catalogue_url, tip), pin_of(tip, segment))
            for tip in tips_for_segment(library, segment, today)
        ]
        for segment in Segment.values
    }


class UnknownTitle(LookupError):
    """No work, or more than one, in the library's catalogue answers to what staff gave."""


def work_in_catalogue(
    library: Library, *, title: str = "", author: str | None = None, isbn: str = ""
) -> tuple[str, str]:
    """The one work (title, author) an ISBN or a title (and author) names, as the catalogue
    spells it. Raises UnknownTitle saying what it found instead."""
    items = Item.objects.filter(library=library, material__in=READING_MATERIALS)
    if isbn:
        items = items.filter(isbn=isbn.replace("-", "").strip())
    else:
        items = items.filter(title__iexact=title.strip())
        if author is not None:
            items = items.filter(author__iexact=author.strip())
    works = sorted(set(items.values_list("title", "author")))
    if len(works) == 1:
        return works[0]
    asked = f"ISBN {isbn}" if isbn else repr(title)
    if not works:
        raise UnknownTitle(
            f"{asked} is not a book, e-book, audiobook or comic in the catalogue of {library.code}"
        )
    found = "; ".join(f"{t} – {a}" if a else t for t, a in works)
    raise UnknownTitle(f"{asked} names {len(works)} works, give the author: {found}")


def find_titles(library: Library, text: str, limit: int = 20) -> list[ReadingTip]:
    """Works in the library's catalogue whose title, author or ISBN matches, for pinning."""
    text = text.strip()
    if not text:
        return []
    match = Q(title__icontains=text) | Q(author__icontains=text) | Q(isbn=text.replace("-", ""))
    rows = (
        Item.objects.filter(match, library=library, material__in=READING_MATERIALS)
        .values("title", "author")
        .annotate(times=Count("loans"))
        .order_by("-times", "title")[:limit]
    )
    return [ReadingTip(row["title"], row["author"]) for row in rows]
