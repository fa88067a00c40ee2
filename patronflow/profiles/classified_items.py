"""Each item's stored kind (ClassifiedItem), as its library's classifier decides it."""

from collections.abc import Iterable
from itertools import islice

from django.db.models import QuerySet

from patronflow.members.models import Item, Library
from patronflow.profiles.classification import ITEM_FIELDS, Classifier, ItemFacts
from patronflow.profiles.models import ClassifiedItem

ITEMS_PER_BATCH = 5000

_ITEM_COLUMNS = (
    "pk",
    "material",
    *ITEM_FIELDS,
    "classification__item",
    "classification__is_fiction",
    "classification__is_digital",
)


def _classify(classifier: Classifier, items: Iterable[tuple]) -> list[int]:
    """Store the kind of each item (rows of `_ITEM_COLUMNS`) whose stored kind is missing or
    differs; returns the items written. Items share few distinct facts (a NUR code, a flag, a
    material), so each distinct combination is classified once."""
    written: list[int] = []
    kinds: dict[tuple, tuple[bool | None, bool]] = {}
    rows = iter(items)
    while batch := list(islice(rows, ITEMS_PER_BATCH)):
        changed = []
        for pk, material, *facts, stored, was_fiction, was_digital in batch:
            key = (material, *facts)
            kind = kinds.get(key)
            if kind is None:
                kind = kinds[key] = classifier.kind(ItemFacts(*facts), material)
            if stored is None or (was_fiction, was_digital) != kind:
                changed.append(ClassifiedItem(item_id=pk, is_fiction=kind[0], is_digital=kind[1]))
        ClassifiedItem.objects.bulk_create(
            changed,
            update_conflicts=True,
            unique_fields=["item"],
            update_fields=["is_fiction", "is_digital"],
            batch_size=ITEMS_PER_BATCH,
        )
        written.extend(classified.item_id for classified in changed)
    return written


def classify_library(classifier: Classifier, library: Library) -> list[int]:
    """Classify every item of the library anew; returns the items whose stored kind changed
    (or that had none)."""
    rows = Item.objects.filter(library=library).order_by("pk").values_list(*_ITEM_COLUMNS)
    return _classify(classifier, rows.iterator(chunk_size=ITEMS_PER_BATCH))


def classify_unclassified(classifier: Classifier, items: QuerySet[Item]) -> None:
    """Classify the items of this queryset that have never been classified: the items import
    reclassifies the items it changed (reclassify_items), so the others are current."""
    rows = items.filter(classification__isnull=True).order_by("pk").values_list(*_ITEM_COLUMNS)
    _classify(classifier, rows.iterator(chunk_size=ITEMS_PER_BATCH))
