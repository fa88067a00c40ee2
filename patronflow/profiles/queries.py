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
    item_id: int
    title: str
    author: str


def popular_titles(
    library: Library, segment: str, today: dt.date, limit: int = 10, months: int = 12
) -> list[ReadingTip]:
    """The library's most borrowed recent titles of the segment's kind (fiction or not,
    digital or physical); for the 'unknown' segment, the most borrowed titles overall.

    Called once per send batch and segment, not per member.
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
    ranked = list(
        loans.values("item_id")
        .annotate(times=Count("id"))
        .order_by("-times", "item_id")
        .values_list("item_id", flat=True)[: limit * 20]
    )
    items = Item.objects.in_bulk(ranked)
    tips = []
    for item_id in ranked:
        item = items[item_id]
        fiction = rules.item_is_fiction(item.is_fiction, item.nur, item.siso, item.genre)
        if kind is None or fiction == kind[0]:
            tips.append(ReadingTip(item_id=item.pk, title=item.title, author=item.author))
        if len(tips) == limit:
            break
    return tips
