"""Compute and store reading profiles: set-based, in the database.

Every item a refresh touches is classified once in Python by its library's classifier and
stored as a ClassifiedItem; the loans are then counted per member in one INSERT ... SELECT
(GROUP BY member, conditional counts over loans joined to classified items) that upserts the
profiles. A full rebuild and a refresh of a few members run the same statement over a
different set of members, so they cannot disagree.
"""

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from itertools import islice

from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from patronflow.members.models import Item, Library, Loan, Member
from patronflow.profiles import queries, rules
from patronflow.profiles.classification import ITEM_FIELDS, Classifier, ItemFacts
from patronflow.profiles.models import ClassificationPolicy, ClassifiedItem, ReadingProfile, Segment

ProgressCallback = Callable[[int, int], None]

MEMBERS_PER_STATEMENT = 2000
MEMBERS_PER_REBUILD_STEP = 250_000
ITEMS_PER_BATCH = 5000

_COUNT = {
    "fiction": "SUM(CASE WHEN c.is_fiction THEN 1 ELSE 0 END)",
    "nonfiction": "SUM(CASE WHEN NOT c.is_fiction THEN 1 ELSE 0 END)",
    "digital": "SUM(CASE WHEN c.is_digital THEN 1 ELSE 0 END)",
    "physical": "SUM(CASE WHEN NOT c.is_digital THEN 1 ELSE 0 END)",
}
_TOTAL = {name: f"COALESCE(t.{name}, 0)" for name in _COUNT}


def _upsert_sql(scope: str) -> str:
    """Count each member's classified loans in the window and upsert their profiles.

    `scope` is a condition on the member id with a `{column}` placeholder, applied both to
    the members (m.id) and to their loans (l.member_id) so that each side uses its index.
    Rows are written in member order, so concurrent refreshes lock in the same order.
    """
    profile = ReadingProfile._meta.db_table
    columns = (
        "member_id, fiction_loans, nonfiction_loans, digital_loans, physical_loans, "
        "oldest_counted_on, as_of, segment, computed_at"
    )
    counts = ", ".join(f"{sql} AS {name}" for name, sql in _COUNT.items())
    segment = rules.segment_sql(*_TOTAL.values())
    updated = ", ".join(f"{column} = excluded.{column}" for column in columns.split(", ")[1:])
    return f"""
        INSERT INTO {profile} ({columns})
        SELECT m.id, {", ".join(_TOTAL.values())}, t.oldest, %(as_of)s, {segment}, %(now)s
        FROM {Member._meta.db_table} m
        LEFT JOIN (
            SELECT l.member_id, {counts}, MIN(l.loaned_on) AS oldest
            FROM {Loan._meta.db_table} l
            JOIN {ClassifiedItem._meta.db_table} c
                ON c.item_id = l.item_id AND c.is_fiction IS NOT NULL
            WHERE {scope.format(column="l.member_id")}
                AND l.loaned_on >= %(since)s AND l.loaned_on <= %(as_of)s
            GROUP BY l.member_id
        ) t ON t.member_id = m.id
        WHERE m.library_id = %(library)s AND {scope.format(column="m.id")}
        ORDER BY m.id
        ON CONFLICT (member_id) DO UPDATE SET {updated}
    """


def _count_into_profiles(
    library: Library, policy: ClassificationPolicy, today: dt.date, scope: str, params: dict
) -> int:
    ops = connection.ops
    values = {
        "library": library.pk,
        "since": ops.adapt_datefield_value(queries.window_start(today, policy.window_months)),
        "as_of": ops.adapt_datefield_value(today),
        "now": ops.adapt_datetimefield_value(timezone.now()),
        **params,
    }
    with connection.cursor() as cursor:
        cursor.execute(_upsert_sql(scope), values)
        return cursor.rowcount


_ITEM_COLUMNS = (
    "pk",
    "material",
    *ITEM_FIELDS,
    "classification__item",
    "classification__is_fiction",
    "classification__is_digital",
)


def _classify(classifier: Classifier, items, seen: set[int]) -> list[int]:
    """Store the kind of each item (rows of `_ITEM_COLUMNS`) whose stored kind is missing or
    differs, skipping items already `seen` in this run; returns the items written."""
    written: list[int] = []
    rows = (row for row in items if row[0] not in seen)
    while batch := list(islice(rows, ITEMS_PER_BATCH)):
        changed = []
        for pk, material, *facts, stored, was_fiction, was_digital in batch:
            seen.add(pk)
            fiction, digital = classifier.kind(ItemFacts(*facts), material)
            if stored is None or (was_fiction, was_digital) != (fiction, digital):
                changed.append(ClassifiedItem(item_id=pk, is_fiction=fiction, is_digital=digital))
        ClassifiedItem.objects.bulk_create(
            changed,
            update_conflicts=True,
            unique_fields=["item"],
            update_fields=["is_fiction", "is_digital"],
        )
        written.extend(classified.item_id for classified in changed)
    return written


def _chunks(ids: Iterable[int], size: int) -> Iterator[list[int]]:
    rows = iter(ids)
    while chunk := list(islice(rows, size)):
        yield chunk


def _recompute(library: Library, member_ids: Iterable[int], today: dt.date) -> int:
    """Recompute these members of one library, MEMBERS_PER_STATEMENT per statement."""
    policy = queries.policy_for(library)
    classifier = policy.classifier
    since = queries.window_start(today, policy.window_months)
    seen: set[int] = set()
    done = 0
    for chunk in _chunks(sorted(set(member_ids)), MEMBERS_PER_STATEMENT):
        # A subquery, not a join: driven by the loans' (member, date) index, not by the items.
        borrowed = Loan.objects.filter(
            member_id__in=chunk, loaned_on__gte=since, loaned_on__lte=today
        ).values("item_id")
        # Only items never classified: the items import reclassifies the items it changed
        # (reclassify_items), so re-checking every borrowed item here would be wasted work.
        items = (
            Item.objects.filter(pk__in=borrowed, classification__isnull=True)
            .order_by("pk")
            .values_list(*_ITEM_COLUMNS)
        )
        placeholders = ", ".join(f"%(m{i})s" for i in range(len(chunk)))
        params = {f"m{i}": pk for i, pk in enumerate(chunk)}
        with transaction.atomic():
            _classify(classifier, items.iterator(chunk_size=ITEMS_PER_BATCH), seen)
            done += _count_into_profiles(
                library, policy, today, f"{{column}} IN ({placeholders})", params
            )
    return done


def refresh_profiles(member_ids: Iterable[int], today: dt.date | None = None) -> dict[int, Segment]:
    """Recompute the profiles of these members as of `today` (default: the local date);
    returns member id → segment. Members of several libraries are fine: each library's
    classifier and window apply to its own members."""
    today = today or timezone.localdate()
    wanted = sorted(set(member_ids))
    by_library: dict[int, list[int]] = {}
    for chunk in _chunks(wanted, MEMBERS_PER_STATEMENT):
        for pk, library_id in Member.objects.filter(pk__in=chunk).values_list("pk", "library_id"):
            by_library.setdefault(library_id, []).append(pk)
    for library in Library.objects.filter(pk__in=by_library):
        _recompute(library, by_library[library.pk], today)
    segments: dict[int, Segment] = {}
    for chunk in _chunks(wanted, MEMBERS_PER_STATEMENT):
        profiles = ReadingProfile.objects.filter(member_id__in=chunk)
        for pk, segment in profiles.values_list("member_id", "segment"):
            segments[pk] = Segment(segment)
    return segments


def rebuild_profiles(
    library: Library, today: dt.date, progress: ProgressCallback | None = None
) -> int:
    """Reclassify every item of the library and recount every member's loans as of `today`,
    in steps of MEMBERS_PER_REBUILD_STEP member ids; returns the number of profiles written.
    `progress(done, total)` is called after each step."""
    policy = queries.policy_for(library)
    members = Member.objects.filter(library=library)
    total = members.count()
    with transaction.atomic():
        _classify(
            policy.classifier,
            Item.objects.filter(library=library)
            .order_by("pk")
            .values_list(*_ITEM_COLUMNS)
            .iterator(chunk_size=ITEMS_PER_BATCH),
            set(),
        )
    done = 0
    if total:
        lowest, highest = members.aggregate(Min("pk"), Max("pk")).values()
        for low in range(lowest, highest + 1, MEMBERS_PER_REBUILD_STEP):
            bounds = {"low": low, "high": low + MEMBERS_PER_REBUILD_STEP}
            with transaction.atomic():
                done += _count_into_profiles(
                    library, policy, today, "{column} >= %(low)s AND {column} < %(high)s", bounds
                )
            if progress:
                progress(done, total)
    _mark_refreshed(library, today)
    return done


def reclassify_items(library: Library, today: dt.date) -> int:
    """After an items import: store the new kind of every item whose facts changed, and
    recount the members who borrowed such an item within the window. Returns the number of
    profiles recomputed (none before the library's first refresh, which rebuilds anyway)."""
    policy = queries.policy_for(library)
    with transaction.atomic():
        changed = _classify(
            policy.classifier,
            Item.objects.filter(library=library)
            .order_by("pk")
            .values_list(*_ITEM_COLUMNS)
            .iterator(chunk_size=ITEMS_PER_BATCH),
            set(),
        )
    if not changed or policy.profiles_as_of is None:
        return 0
    since = queries.window_start(today, policy.window_months)
    borrowers: set[int] = set()
    for chunk in _chunks(changed, ITEMS_PER_BATCH):
        borrowers.update(
            Loan.objects.filter(
                item_id__in=chunk, loaned_on__gte=since, loaned_on__lte=today
            ).values_list("member_id", flat=True)
        )
    return _recompute(library, borrowers, today)


def refresh_after_import(library: Library, member_ids: Iterable[int], today: dt.date) -> int:
    """The daily refresh: the members an import says have new or changed loans, plus those
    whose profile aged (`queries.stale_member_ids`). The first refresh of a library, or one
    back in time, is a full rebuild. Returns the number of profiles recomputed."""
    policy = queries.policy_for(library)
    if policy.profiles_as_of is None or today < policy.profiles_as_of:
        return rebuild_profiles(library, today)
    stale = set(member_ids) | queries.stale_member_ids(library, today)
    done = _recompute(library, stale, today)
    _mark_refreshed(library, today)
    return done


def _mark_refreshed(library: Library, today: dt.date) -> None:
    ClassificationPolicy.objects.update_or_create(
        library=library, defaults={"profiles_as_of": today}
    )
