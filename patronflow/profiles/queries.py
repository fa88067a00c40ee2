"""Reads over reading profiles: a library's policy, which profiles are stale, and which
titles to suggest to a segment."""

import calendar
import datetime as dt
from dataclasses import dataclass

from django.db.models import Count

from patronflow.members.models import Item, Library, Loan, Member
from patronflow.profiles.classification import (
    ITEM_FIELDS,
    Classifier,
    ItemFacts,
    digital_materials,
)
from patronflow.profiles.models import ClassificationPolicy, Segment

_SEGMENT_KIND = {
    Segment.FICTION_DIGITAL: (True, True),
    Segment.FICTION_PHYSICAL: (True, False),
    Segment.NONFICTION_DIGITAL: (False, True),
    Segment.NONFICTION_PHYSICAL: (False, False),
}


def policy_for(library: Library) -> ClassificationPolicy:
    """The library's policy, or the defaults (unsaved) when it has none."""
    try:
        return ClassificationPolicy.objects.get(library=library)
    except ClassificationPolicy.DoesNotExist:
        return ClassificationPolicy(library=library)


def classifier_for(library: Library) -> Classifier:
    return policy_for(library).classifier


def window_start(today: dt.date, months: int) -> dt.date:
    """The first day whose loans count: the same day `months` calendar months back (the
    month's last day when it is shorter). Never moves back as `today` moves on."""
    index = today.year * 12 + today.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(today.day, calendar.monthrange(year, month)[1]))


def stale_member_ids(library: Library, today: dt.date) -> set[int]:
    """Members whose stored profile no longer holds as of `today`: a counted loan left the
    window, a loan came into it (dated after the last library-wide refresh, or imported
    since), or the profile was recounted outside a refresh. Never refreshed (or a refresh
    that would rebuild): every member of the library."""
    from patronflow.profiles.services import difference_member_ids

    changing = difference_member_ids(library, today)
    if changing is None:
        return set(Member.objects.filter(library=library).values_list("pk", flat=True))
    return changing


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
        digital = list(digital_materials())
        if kind[1]:
            loans = loans.filter(item__material__in=digital)
        else:
            loans = loans.exclude(item__material__in=digital)
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
    """Whether each title is fiction, from the first of its editions that the library's
    classifier can place."""
    classifier = classifier_for(library)
    fiction: dict[ReadingTip, bool] = {}
    editions = Item.objects.filter(library=library, title__in={tip.title for tip in tips})
    for title, author, *facts in editions.values_list("title", "author", *ITEM_FIELDS):
        verdict = classifier.is_fiction(ItemFacts(*facts))
        if verdict is not None:
            fiction.setdefault(ReadingTip(title=title, author=author), verdict)
    return fiction
