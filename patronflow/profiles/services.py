"""Compute and store reading profiles: set-based, in the database.

Every item a refresh touches is classified once in Python by its library's classifier and
stored as a ClassifiedItem; loans are then counted per member in the database.

Three ways to bring profiles up to date, one set of counting rules:

- a full rebuild counts every loan of the library's window once (one hash join of the loans to
  the classified items, one aggregate) and writes only the profiles whose counts changed;
- the daily refresh works *by difference*: the stored counts hold as of the library's
  reference date P for every loan up to a watermark W (the largest loan id then counted), so
  as of a later day T they change only by the loans that left the window between P and T
  (subtracted), the loans dated after P that came into it (added) and the loans new since W
  (added). It reads those few loans, not each member's history;
- a recount of named members (a journey's candidates, borrowers of reclassified items, the
  members of loans an import changed in place) runs the full count over just those members.

A property test holds the daily refresh equal to a rebuild.

Members under 16 (or of unknown age) get no profile: nothing beyond the import is done with
their data (privacy/rules.py). All three ways write profiles only for members 16
or older on the day counted, remove the profiles of younger ones, and the daily refresh
counts the members who came of age since (every member old enough but without a profile).
"""

import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator
from itertools import islice

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from patronflow.members.models import Item, Library, Loan, Member
from patronflow.privacy.rules import born_on_or_before
from patronflow.profiles import queries, rules
from patronflow.profiles.classification import ITEM_FIELDS, Classifier, ItemFacts
from patronflow.profiles.models import ClassificationPolicy, ClassifiedItem, ReadingProfile, Segment

ProgressCallback = Callable[[int, int], None]

MEMBERS_PER_STATEMENT = 2000
ITEMS_PER_BATCH = 5000

PROFILE = ReadingProfile._meta.db_table
LOAN = Loan._meta.db_table
MEMBER = Member._meta.db_table
CLASSIFIED = ClassifiedItem._meta.db_table
COUNTS = "profiles_counts"  # temporary: one transaction's counts, per member
CHANGES = "profiles_changes"  # temporary: the loans a daily refresh adds or subtracts


def _come_of_age_sql() -> str:
    """Members old enough for a profile who have none: come of age since the last refresh,
    or given a birth date by an import."""
    return f"""
        SELECT m.id FROM {MEMBER} m
        WHERE m.library_id = %(library)s AND m.birth_date <= %(born_by)s
            AND NOT EXISTS (SELECT 1 FROM {PROFILE} p WHERE p.member_id = m.id)
    """


def _outside_refresh_sql() -> str:
    """The library's profiles recounted outside a refresh, driven by their partial index (a
    materialized CTE keeps both databases from starting at the library's members instead:
    15-45 ms per 100,000 members)."""
    return f"""
        WITH f AS MATERIALIZED (SELECT member_id FROM {PROFILE} WHERE outside_refresh)
        SELECT f.member_id FROM f
        JOIN {MEMBER} m ON m.id = f.member_id AND m.library_id = %(library)s
    """


# PostgreSQL, for the statements that aggregate a library's loans: one member per hash entry
# fits in memory (the default 4 MB of work_mem spilled the aggregate of 100,000 members to
# disk), and JIT compiling costs more than it saves on these simple expressions. The profiles
# are recomputed from the loans, so a crash losing the last commit loses nothing
# (synchronous_commit only delays the flush; it never risks consistency).
_PG_SETTINGS = {"work_mem": "512MB", "jit": "off", "synchronous_commit": "off"}
_PG_FEW = {"enable_hashjoin": "off", "enable_mergejoin": "off", "enable_seqscan": "off"}


# -- counting -------------------------------------------------------------------------------


def _segment(fiction: str, nonfiction: str, digital: str, physical: str) -> str:
    return rules.segment_sql(fiction, nonfiction, digital, physical)


def _count_sql(scope: str, *, everyone: bool = False) -> str:
    """Each member's counted loans as of %(as_of)s, among loans up to the watermark
    %(through)s: one pass, four aggregates (non-fiction and physical are the remainders).

    `everyone`: all the library's members. SQLite then reads the loans table in its own
    order (NOT INDEXED) instead of through the (library, date) index: 3.5-4 s against 5-6 s
    for 2,000,000 loans, the rest being its sort for the GROUP BY. Counting a few members,
    SQLite took that index too and read the library's whole window (0.56 s for 10 members
    among 200,000 loans); the unary + leaves it their (member, date) index (0.02 s)."""
    sqlite = connection.vendor == "sqlite"
    loans = f"{LOAN} l NOT INDEXED" if everyone and sqlite else f"{LOAN} l"
    library = "+l.library_id" if sqlite and not everyone else "l.library_id"
    return f"""
        SELECT l.member_id,
            COUNT(*) AS counted,
            SUM(CASE WHEN c.is_fiction THEN 1 ELSE 0 END) AS fiction,
            SUM(CASE WHEN c.is_digital THEN 1 ELSE 0 END) AS digital,
            MIN(l.loaned_on) AS oldest
        FROM {loans}
        JOIN {CLASSIFIED} c ON c.item_id = l.item_id AND c.is_fiction IS NOT NULL
        WHERE {library} = %(library)s AND {scope.format(column="l.member_id")}
            AND l.loaned_on >= %(since)s AND l.loaned_on <= %(as_of)s
            AND l.id <= %(through)s
        GROUP BY l.member_id
    """


def _write_counts_sql(scope: str) -> tuple[str, str]:
    """From the COUNTS table to the profiles of the members in `scope`: an UPDATE of the
    profiles whose counts differ (or that were recounted outside a refresh), then an INSERT of
    the missing ones. Unchanged profiles are not written at all: most of a rebuild's. Two
    ticks entering the same new members count the same loans, so when both insert a profile
    the second one simply finds it there."""
    fiction = "COALESCE(t.fiction, 0)"
    nonfiction = "COALESCE(t.counted - t.fiction, 0)"
    digital = "COALESCE(t.digital, 0)"
    physical = "COALESCE(t.counted - t.digital, 0)"
    segment = _segment(fiction, nonfiction, digital, physical)
    update = f"""
        UPDATE {PROFILE} SET
            fiction_loans = {fiction}, nonfiction_loans = {nonfiction},
            digital_loans = {digital}, physical_loans = {physical},
            oldest_counted_on = t.oldest, segment = {segment},
            as_of = %(as_of)s, computed_at = %(now)s, outside_refresh = %(outside)s
        FROM {MEMBER} m LEFT JOIN {COUNTS} t ON t.member_id = m.id
        WHERE {PROFILE}.member_id = m.id
            AND m.library_id = %(library)s AND {scope.format(column="m.id")}
            AND m.birth_date <= %(born_by)s
            AND ({PROFILE}.outside_refresh OR %(outside)s
                OR {PROFILE}.fiction_loans <> {fiction}
                OR {PROFILE}.nonfiction_loans <> {nonfiction}
                OR {PROFILE}.digital_loans <> {digital}
                OR {PROFILE}.physical_loans <> {physical}
                OR {PROFILE}.oldest_counted_on IS DISTINCT FROM t.oldest)
    """
    insert = f"""
        INSERT INTO {PROFILE} (member_id, fiction_loans, nonfiction_loans, digital_loans,
            physical_loans, oldest_counted_on, segment, as_of, computed_at, outside_refresh)
        SELECT m.id, {fiction}, {nonfiction}, {digital}, {physical}, t.oldest, {segment},
            %(as_of)s, %(now)s, %(outside)s
        FROM {MEMBER} m LEFT JOIN {COUNTS} t ON t.member_id = m.id
        WHERE m.library_id = %(library)s AND {scope.format(column="m.id")}
            AND m.birth_date <= %(born_by)s
            AND NOT EXISTS (SELECT 1 FROM {PROFILE} p WHERE p.member_id = m.id)
        ORDER BY m.id
        ON CONFLICT (member_id) DO NOTHING
    """
    return update, insert


def _too_young_sql(scope: str) -> str:
    """Remove the profiles of the members in `scope` not proven 16 or older on the day."""
    return f"""
        DELETE FROM {PROFILE} WHERE member_id IN (
            SELECT m.id FROM {MEMBER} m
            WHERE m.library_id = %(library)s AND {scope.format(column="m.id")}
                AND (m.birth_date IS NULL OR m.birth_date > %(born_by)s))
    """


def _settings(cursor, *, few: bool = False) -> None:
    """Per-transaction planner and commit settings (PostgreSQL). `few`: the statements touch
    a few profiles among many, each found through its primary key; the planner, which
    cannot know how few before it sees the temporary table, otherwise reads every profile
    of the table into a hash (30 ms per 100,000 profiles)."""
    if connection.vendor == "postgresql":
        few_or_not = _PG_FEW if few else dict.fromkeys(_PG_FEW, "on")
        settings = {**_PG_SETTINGS, **few_or_not}
        cursor.execute(
            "SELECT " + ", ".join("set_config(%s, %s, true)" for _ in settings),
            [part for pair in settings.items() for part in pair],
        )


def _fresh_statistics(cursor) -> None:
    """ANALYZE the tables a rebuild reads when a tenth or more of their rows changed since
    their last statistics (PostgreSQL). Right after a library's first import the loans have
    none: the planner then expects a handful of loans and joins two million of them to the
    classified items one index look-up at a time, then sorts them (13 s instead of 1 s for
    2,000,000 loans). Sampling costs a fraction of a second."""
    if connection.vendor != "postgresql":
        return
    tables = [LOAN, CLASSIFIED, MEMBER, PROFILE]
    cursor.execute(
        """
        SELECT relname FROM pg_stat_user_tables
        WHERE relname = ANY(%s) AND schemaname = current_schema()
            AND n_mod_since_analyze > 1000 + n_live_tup / 10
        """,
        [tables],
    )
    for (table,) in cursor.fetchall():
        cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


def _drop_counts(cursor) -> None:
    cursor.execute(f"DROP TABLE IF EXISTS {COUNTS}")


def _params(
    library: Library, policy: ClassificationPolicy, today: dt.date, through: int, **extra
) -> dict:
    ops = connection.ops
    return {
        "library": library.pk,
        "since": ops.adapt_datefield_value(queries.window_start(today, policy.window_months)),
        "as_of": ops.adapt_datefield_value(today),
        "born_by": ops.adapt_datefield_value(born_on_or_before(today)),
        "now": ops.adapt_datetimefield_value(timezone.now()),
        "through": through,
        "outside": False,
        **extra,
    }


def _count_into_profiles(scope: str, params: dict, *, everyone: bool = False) -> int:
    """Count the loans of the members in `scope` (a condition on `{column}`) into COUNTS and
    write their profiles; returns the number of profiles written."""
    update, insert = _write_counts_sql(scope)
    with connection.cursor() as cursor:
        _settings(cursor)
        _drop_counts(cursor)
        cursor.execute(
            f"CREATE TEMPORARY TABLE {COUNTS} AS {_count_sql(scope, everyone=everyone)}", params
        )
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {COUNTS}")
        else:
            cursor.execute(f"CREATE UNIQUE INDEX temp.{COUNTS}_member ON {COUNTS} (member_id)")
        cursor.execute(_too_young_sql(scope), params)
        cursor.execute(update, params)
        written = cursor.rowcount
        cursor.execute(insert, params)
        written += cursor.rowcount
        _drop_counts(cursor)
    return written


def _member_scope(member_ids: list[int]) -> tuple[str, dict]:
    """A condition on `{column}` for these members, as one parameter (an array on
    PostgreSQL, JSON on SQLite) rather than thousands of placeholders."""
    if connection.vendor == "postgresql":
        return "{column} = ANY(%(members)s)", {"members": member_ids}
    return "{column} IN (SELECT value FROM json_each(%(members)s))", {
        "members": json.dumps(member_ids)
    }


# -- classification -------------------------------------------------------------------------

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
    differs, skipping items already `seen` in this run; returns the items written. Items
    share few distinct facts (a NUR code, a flag, a material), so each distinct combination is
    classified once."""
    written: list[int] = []
    kinds: dict[tuple, tuple[bool | None, bool]] = {}
    rows = (row for row in items if row[0] not in seen)
    while batch := list(islice(rows, ITEMS_PER_BATCH)):
        changed = []
        for pk, material, *facts, stored, was_fiction, was_digital in batch:
            seen.add(pk)
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


def _classify_unclassified(classifier: Classifier, items) -> None:
    """Classify the items of this queryset that have never been classified: the items import
    reclassifies the items it changed (reclassify_items), so the others are current."""
    rows = items.filter(classification__isnull=True).order_by("pk").values_list(*_ITEM_COLUMNS)
    _classify(classifier, rows.iterator(chunk_size=ITEMS_PER_BATCH), set())


def _chunks(ids: Iterable[int], size: int) -> Iterator[list[int]]:
    rows = iter(ids)
    while chunk := list(islice(rows, size)):
        yield chunk


# -- the library's state ---------------------------------------------------------------------


def _loans_watermark(*, wait: bool = True) -> int:
    """The largest loan id such that no transaction can still commit a loan with a lower id.

    On PostgreSQL ids are handed out when a row is inserted but become visible when its
    transaction commits, so a bare MAX(id) could pass over a loan an import is about to
    commit. A SHARE lock waits for the transactions writing loans to end (imports commit in
    chunks: a few seconds at most) and is released right away when no transaction is open.
    SQLite has one writer at a time, whose ids are all above what others can read."""
    with transaction.atomic(), connection.cursor() as cursor:
        if wait and connection.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {LOAN} IN SHARE MODE")
        cursor.execute(f"SELECT MAX(id) FROM {LOAN}")
        return cursor.fetchone()[0] or 0


def _locked_policy(library: Library) -> ClassificationPolicy:
    """The library's policy, created when missing, and locked for this transaction by a
    write: refreshes add and subtract, so two at once must not both apply the same day's
    difference (a row lock on PostgreSQL, the database's write lock on SQLite)."""
    policy, _ = ClassificationPolicy.objects.get_or_create(library=library)
    ClassificationPolicy.objects.filter(pk=policy.pk).update(profiles_as_of=F("profiles_as_of"))
    return ClassificationPolicy.objects.get(pk=policy.pk)


def _mark_refreshed(policy: ClassificationPolicy, today: dt.date, through: int) -> None:
    policy.profiles_as_of = today
    policy.profiles_loans_through = through
    policy.profiles_window_months = policy.window_months
    policy.profiles_source_order = list(policy.source_order)
    policy.save(
        update_fields=[
            "profiles_as_of",
            "profiles_loans_through",
            "profiles_window_months",
            "profiles_source_order",
        ]
    )


def _by_difference(policy: ClassificationPolicy, today: dt.date) -> bool:
    """Whether the stored profiles can be carried to `today` by difference: counted before,
    under the same window and source order, and not as of a later day."""
    return (
        policy.profiles_as_of is not None
        and policy.profiles_loans_through is not None
        and today >= policy.profiles_as_of
        and policy.profiles_window_months == policy.window_months
        and policy.profiles_source_order == list(policy.source_order)
    )


# -- the public services ---------------------------------------------------------------------


def refresh_profiles(member_ids: Iterable[int], today: dt.date | None = None) -> dict[int, Segment]:
    """Recompute the profiles of these members as of `today` (default: the local date);
    returns member id → segment. Members of several libraries are fine: each library's
    classifier and window apply to its own members.

    These counts are as of the caller's day, not the library's reference date, so the
    profiles are marked `outside_refresh` and the next library-wide refresh recounts them.
    A member under 16 has no profile: their segment is UNKNOWN.

    Each library's policy is locked before any of its profiles is written, as the daily
    refresh, a rebuild and an import's marks (recount_at_next_refresh) lock it: a journey's
    recount and an import's marks then queue one behind the other instead of each holding
    profile rows the other waits for (a deadlock). Called in a caller's transaction (the
    journey's enrolment), the locks are held until it ends, taken in library order."""
    today = today or timezone.localdate()
    wanted = sorted(set(member_ids))
    by_library: dict[int, list[int]] = {}
    for chunk in _chunks(wanted, MEMBERS_PER_STATEMENT):
        for pk, library_id in Member.objects.filter(pk__in=chunk).values_list("pk", "library_id"):
            by_library.setdefault(library_id, []).append(pk)
    for library in Library.objects.filter(pk__in=by_library).order_by("pk"):
        with transaction.atomic():
            policy = _locked_policy(library)
            _recount(library, policy, by_library[library.pk], today, None, outside=True)
    segments: dict[int, Segment] = {}
    for chunk in _chunks(wanted, MEMBERS_PER_STATEMENT):
        profiles = ReadingProfile.objects.filter(member_id__in=chunk)
        for pk, segment in profiles.values_list("member_id", "segment"):
            segments[pk] = Segment(segment)
    return {pk: segments.get(pk, Segment.UNKNOWN) for pk in wanted}


def _recount(
    library: Library,
    policy: ClassificationPolicy,
    member_ids: Iterable[int],
    today: dt.date,
    through: int | None,
    *,
    outside: bool,
) -> int:
    """Count these members' loans in full as of `today` (those up to the watermark
    `through`, or all) and write their profiles; returns the number written."""
    members = sorted(set(member_ids))
    if not members:
        return 0
    since = queries.window_start(today, policy.window_months)
    classifier = policy.classifier
    done = 0
    for chunk in _chunks(members, MEMBERS_PER_STATEMENT * 10):
        # A subquery, not a join: driven by the loans' (member, date) index, not by the items.
        borrowed = Loan.objects.filter(
            member_id__in=chunk, loaned_on__gte=since, loaned_on__lte=today
        ).values("item_id")
        _classify_unclassified(classifier, Item.objects.filter(pk__in=borrowed))
        scope, extra = _member_scope(chunk)
        limit = through if through is not None else 2**63 - 1
        params = _params(library, policy, today, limit, outside=outside, **extra)
        done += _count_into_profiles(scope, params)
    return done


def rebuild_profiles(
    library: Library, today: dt.date, progress: ProgressCallback | None = None
) -> int:
    """Reclassify every item of the library and recount every member's loans as of `today`;
    returns the number of the library's profiles (all of them hold as of `today` afterwards,
    though only those whose counts changed are written). `progress(done, total)` is called
    after the items are classified and when the profiles are written."""
    members = Member.objects.filter(library=library)
    total = members.count()
    through = _loans_watermark()
    with transaction.atomic():
        policy = _locked_policy(library)
        _classify(
            policy.classifier,
            Item.objects.filter(library=library)
            .order_by("pk")
            .values_list(*_ITEM_COLUMNS)
            .iterator(chunk_size=ITEMS_PER_BATCH),
            set(),
        )
        if progress:
            progress(0, total)
        # The id bound is taken before counting: loans committed meanwhile are the next
        # refresh's new loans.
        through = max(through, policy.profiles_loans_through or 0)
        with connection.cursor() as cursor:
            _fresh_statistics(cursor)
        _count_into_profiles(
            "{column} IS NOT NULL", _params(library, policy, today, through), everyone=True
        )
        _mark_refreshed(policy, today, through)
    if progress:
        progress(total, total)
    return total


def reclassify_items(library: Library, today: dt.date) -> int:
    """After an items import: store the new kind of every item whose facts changed, and
    recount the members who borrowed such an item within the window. Returns the number of
    profiles recomputed (none before the library's first refresh, which rebuilds anyway).

    The recount is as of the library's reference date and watermark — the state every other
    stored profile is in — so that the next daily refresh can carry them on by difference;
    `today` only stands in when the library was never refreshed."""
    with transaction.atomic():
        policy = _locked_policy(library)
        changed = _classify(
            policy.classifier,
            Item.objects.filter(library=library)
            .order_by("pk")
            .values_list(*_ITEM_COLUMNS)
            .iterator(chunk_size=ITEMS_PER_BATCH),
            set(),
        )
        if not changed or not _by_difference(policy, policy.profiles_as_of or today):
            return 0
        as_of = policy.profiles_as_of
        since = queries.window_start(as_of, policy.window_months)
        borrowers: set[int] = set()
        for chunk in _chunks(changed, ITEMS_PER_BATCH):
            borrowers.update(
                Loan.objects.filter(
                    library=library, item_id__in=chunk, loaned_on__gte=since
                ).values_list("member_id", flat=True)
            )
        return _recount(
            library, policy, borrowers, as_of, policy.profiles_loans_through, outside=False
        )


def recount_at_next_refresh(library: Library, member_ids: Iterable[int]) -> int:
    """Have the next daily refresh recount these members in full (by marking their profiles
    `outside_refresh`); returns the number of profiles marked. For the members an import took
    a loan from or gave one to, or whose loan it moved to another item or date, under the
    same loan id: the difference finds loans by id and date, so it cannot see such a change.

    Called in the import's transaction, after its loans are written. The library's policy is
    locked first, as every refresh locks it before counting: a refresh running meanwhile
    either counts after this transaction commits (and sees the change), or commits before
    the marks are written (and cannot clear them with counts that miss the change). A member
    without a profile needs no mark: the refresh counts every such member old enough."""
    members = sorted(set(member_ids))
    if not members:
        return 0
    ClassificationPolicy.objects.filter(library=library).update(profiles_as_of=F("profiles_as_of"))
    unmarked = ReadingProfile.objects.filter(outside_refresh=False)
    marked = 0
    for chunk in _chunks(members, MEMBERS_PER_STATEMENT):
        marked += unmarked.filter(member_id__in=chunk).update(outside_refresh=True)
    return marked


def refresh_after_import(library: Library, member_ids: Iterable[int], today: dt.date) -> int:
    """The daily refresh: carry every profile of the library to `today` by difference (see
    the module's docstring); returns the number of profiles that changed.

    `member_ids` are the members an import reports new loans for. The refresh finds new loans
    itself (every loan above the watermark), so these cost nothing more; a named member with
    no loan past the watermark (a loan written outside an import) is recounted in full, as
    are the members of loans an import changed in place (recount_at_next_refresh). The first
    refresh of a library, one back in time, or one after its window or source order changed,
    is a full rebuild."""
    named = set(member_ids)
    if not _by_difference(queries.policy_for(library), today):
        return rebuild_profiles(library, today)
    through = _loans_watermark()
    with transaction.atomic():
        policy = _locked_policy(library)
        if not _by_difference(policy, today):  # changed while waiting for the lock
            transaction.set_rollback(True)
        else:
            through = max(through, policy.profiles_loans_through)
            done = _apply_difference(library, policy, today, through, named)
            _mark_refreshed(policy, today, through)
            return done
    return rebuild_profiles(library, today)


def _difference_sql() -> str:
    """The loans that change stored counts between the reference date %(p)s (watermark
    %(w)s, window from %(old_since)s) and %(as_of)s (watermark %(through)s, window from
    %(since)s), each with its sign: three index range scans, no member's history. The new
    loans are found by their ids (the primary key); `+library_id` keeps the planner off the
    (library, date) index, which before the table's first ANALYZE looked cheaper and read
    every loan of the window (60 ms for 400,000 loans)."""
    return f"""
        SELECT l.member_id, l.item_id, l.loaned_on, -1 AS sign FROM {LOAN} l
        WHERE l.library_id = %(library)s AND l.loaned_on >= %(old_since)s
            AND l.loaned_on < %(since)s AND l.loaned_on <= %(p)s AND l.id <= %(w)s
        UNION ALL
        SELECT l.member_id, l.item_id, l.loaned_on, 1 FROM {LOAN} l
        WHERE l.library_id = %(library)s AND l.loaned_on > %(p)s
            AND l.loaned_on >= %(since)s AND l.loaned_on <= %(as_of)s AND l.id <= %(w)s
        UNION ALL
        SELECT l.member_id, l.item_id, l.loaned_on, 1 FROM {LOAN} l
        WHERE l.id > %(w)s AND l.id <= %(through)s AND +l.library_id = %(library)s
            AND l.loaned_on >= %(since)s AND l.loaned_on <= %(as_of)s
    """


def _difference_params(
    library: Library, policy: ClassificationPolicy, today: dt.date, through: int
) -> dict:
    ops = connection.ops
    previous = policy.profiles_as_of
    return _params(
        library,
        policy,
        today,
        through,
        p=ops.adapt_datefield_value(previous),
        w=policy.profiles_loans_through,
        old_since=ops.adapt_datefield_value(queries.window_start(previous, policy.window_months)),
    )


def _apply_difference(
    library: Library,
    policy: ClassificationPolicy,
    today: dt.date,
    through: int,
    named: set[int],
) -> int:
    params = _difference_params(library, policy, today, through)
    with connection.cursor() as cursor:
        _settings(cursor, few=True)
        cursor.execute(_too_young_sql("{column} IS NOT NULL"), params)
        cursor.execute(f"DROP TABLE IF EXISTS {CHANGES}")
        cursor.execute(f"CREATE TEMPORARY TABLE {CHANGES} AS {_difference_sql()}", params)
        # Items of loans new or come into the window may never have been classified (the
        # loans leaving it were counted, so theirs were).
        cursor.execute(
            f"""
            SELECT DISTINCT d.item_id FROM {CHANGES} d
            WHERE d.sign > 0
                AND NOT EXISTS (SELECT 1 FROM {CLASSIFIED} c WHERE c.item_id = d.item_id)
            """
        )
        unclassified = [pk for (pk,) in cursor.fetchall()]
        cursor.execute(f"SELECT DISTINCT member_id FROM {CHANGES} WHERE sign > 0")
        arriving = {pk for (pk,) in cursor.fetchall()}
    for chunk in _chunks(unclassified, ITEMS_PER_BATCH):
        _classify_unclassified(policy.classifier, Item.objects.filter(pk__in=chunk))

    new_total = "(p.fiction_loans + p.nonfiction_loans + d.counted)"
    fiction = "(p.fiction_loans + d.fiction)"
    nonfiction = "(p.nonfiction_loans + d.counted - d.fiction)"
    digital = "(p.digital_loans + d.digital)"
    physical = "(p.physical_loans + d.counted - d.digital)"
    # Once a member's oldest counted loan has left, the new oldest is looked up by walking
    # the loans' (member, date) index from the window's start to the first counted loan.
    # (A MIN() over the join read each such member's whole window: 26 s for the 51,000
    # members of a day at full size, against 2,000,000 loans for a heavy borrower's history.)
    oldest_left = f"""(
        SELECT o.loaned_on FROM {LOAN} o
        JOIN {CLASSIFIED} oc ON oc.item_id = o.item_id AND oc.is_fiction IS NOT NULL
        WHERE o.member_id = p.member_id AND o.loaned_on >= %(since)s
            AND o.loaned_on <= %(as_of)s AND o.id <= %(through)s
        ORDER BY o.loaned_on LIMIT 1)"""
    # SQLite's RETURNING knows the table by its name only, PostgreSQL needs it told apart.
    returning = "p.member_id" if connection.vendor == "postgresql" else "member_id"
    with connection.cursor() as cursor:
        _drop_counts(cursor)
        cursor.execute(
            f"""
            CREATE TEMPORARY TABLE {COUNTS} AS
            SELECT d.member_id,
                SUM(d.sign) AS counted,
                SUM(CASE WHEN c.is_fiction THEN d.sign ELSE 0 END) AS fiction,
                SUM(CASE WHEN c.is_digital THEN d.sign ELSE 0 END) AS digital,
                MIN(CASE WHEN d.sign > 0 THEN d.loaned_on END) AS first_added,
                MIN(d.sign) AS aged
            FROM {CHANGES} d
            JOIN {CLASSIFIED} c ON c.item_id = d.item_id AND c.is_fiction IS NOT NULL
            GROUP BY d.member_id
            """
        )
        if connection.vendor == "sqlite":
            cursor.execute(f"CREATE UNIQUE INDEX temp.{COUNTS}_member ON {COUNTS} (member_id)")
        # Profiles recounted outside a refresh or marked for a recount (an import changed a
        # loan of theirs in place), and members with changes but no profile yet, are
        # recounted in full below; every other changed profile takes its difference.
        cursor.execute(
            f"""
            UPDATE {PROFILE} AS p SET
                fiction_loans = {fiction}, nonfiction_loans = {nonfiction},
                digital_loans = {digital}, physical_loans = {physical},
                oldest_counted_on = CASE
                    WHEN {new_total} = 0 THEN NULL
                    WHEN d.aged < 0 THEN {oldest_left}
                    WHEN p.oldest_counted_on IS NULL OR d.first_added < p.oldest_counted_on
                        THEN d.first_added
                    ELSE p.oldest_counted_on END,
                segment = {_segment(fiction, nonfiction, digital, physical)},
                as_of = %(as_of)s, computed_at = %(now)s
            FROM {COUNTS} d
            WHERE p.member_id = d.member_id AND NOT p.outside_refresh
            RETURNING {returning}
            """,
            params,
        )
        updated = {pk for (pk,) in cursor.fetchall()}
        cursor.execute(f"SELECT member_id FROM {COUNTS}")
        recount = {pk for (pk,) in cursor.fetchall()} - updated
        cursor.execute(_outside_refresh_sql(), params)
        recount.update(pk for (pk,) in cursor.fetchall())
        cursor.execute(_come_of_age_sql(), params)
        recount.update(pk for (pk,) in cursor.fetchall())
        _drop_counts(cursor)
        cursor.execute(f"DROP TABLE {CHANGES}")
    recount |= named - arriving
    return len(updated) + _recount(library, policy, recount, today, through, outside=False)


def difference_member_ids(library: Library, today: dt.date) -> set[int] | None:
    """Members whose profile the daily refresh to `today` changes: a counted loan left the
    window, or one came into it (dated after the reference date, or new since the
    watermark); a profile marked for a recount; a member come of age without one. None when
    the refresh would be a full rebuild."""
    policy = queries.policy_for(library)
    if not _by_difference(policy, today):
        return None
    params = _difference_params(library, policy, today, _loans_watermark(wait=False))
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT DISTINCT d.member_id FROM ({_difference_sql()}) d
            JOIN {CLASSIFIED} c ON c.item_id = d.item_id AND c.is_fiction IS NOT NULL
            UNION SELECT * FROM ({_outside_refresh_sql()}) o
            UNION SELECT * FROM ({_come_of_age_sql()}) a
            """,
            params,
        )
        return {pk for (pk,) in cursor.fetchall()}
