"""Reads over reading profiles: which titles to suggest to a segment."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count

from patronflow.members.models import Item, Library, Loan
from patronflow.profiles import rules
from patronflow.profiles.models import Segment

_SEGMENT_KIND = {
    Segment.FICTION_DIGITAL: (True, True),
    Segment.FICTION_PHYSICAL: (True, False),
    Segment.NONFICTION_DIGITAL: (False, True),
    Segment.NONFICTION_PHYSICAL: (False, False),
}


@dataclass(frozen=True)
class ReadingTip:
    """A title, whatever edition or copy of it members borrowed."""

    title: str
    author: str


def popular_titles(
    library: Library, segment: str, today: dt.date, limit: int = 10, months: int = 12
) -> list[ReadingTip]:
    """The library's most borrowed recent titles of the segment's kind (fiction or not,
    digital or physical); for the 'unknown' segment, the most borrowed titles overall.

    Editions of one title count together. Called once per send batch and segment.
    """
    since = today - dt.timedelta(days=30 * months)
    loans = Loan.objects.filter(library=library, loaned_on__gte=since, loaned_on__lte=today)
    kind = _SEGMENT_KIND.get(segment)
    if kind is not None:
        digital_materials = list(Item.DIGITAL_MATERIALS)
        if kind[1]:
            loans = loans.filter(item__material__in=digital_materials)
        else:
            loans = loans.exclude(item__material__in=digital_materials)
    ranked = [
        ReadingTip(title=row["item__title"], author=row["item__author"])
        for row in loans.values("item__title", "item__author")
        .annotate(times=Count("id"))
        .order_by("-times", "item__title")[: limit * 20]
    ]
    if kind is None:
        return ranked[:limit]
    fiction_by_title = _fiction_by_title(library, ranked)
    return [tip for tip in ranked if fiction_by_title.get(tip) == kind[0]][:limit]


def _fiction_by_title(library: Library, tips: list[ReadingTip]) -> dict[ReadingTip, bool]:
    """Whether each title is fiction, from the first of its editions that says."""
    fiction: dict[ReadingTip, bool] = {}
    editions = Item.objects.filter(library=library, title__in={tip.title for tip in tips})
    for title, author, is_fiction, nur, siso, genre in editions.values_list(
        "title", "author", "is_fiction", "nur", "siso", "genre"
    ):
        verdict = rules.item_is_fiction(is_fiction, nur, siso, genre)
        if verdict is not None:
            fiction.setdefault(ReadingTip(title=title, author=author), verdict)
    return fiction
