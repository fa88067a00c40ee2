"""The writes on reading profiles that other stages call: rebuild, daily refresh, recount and
reclassification.

Three ways bring profiles up to date, with one set of counting rules (counting.py): a full
rebuild counts every loan of the library's window once (rebuild.py); the daily refresh works
by difference (refresh.py); a recount of named members (a journey's candidates, borrowers of
reclassified items, the members of loans an import changed in place) counts just those
members in full. Each takes the library's policy lock first (refresh_state.py).
"""

import datetime as dt
from collections.abc import Callable, Iterable

from django.db import transaction
from django.utils import timezone

from patronflow.members.models import Library, Loan, Member
from patronflow.profiles.classified_items import ITEMS_PER_BATCH, classify_library
from patronflow.profiles.counting import MEMBERS_PER_STATEMENT, chunks, recount
from patronflow.profiles.models import ReadingProfile, Segment
from patronflow.profiles.queries import policy_for, window_start
from patronflow.profiles.rebuild import count_everyone
from patronflow.profiles.refresh import apply_difference
from patronflow.profiles.refresh_state import (
    by_difference,
    loans_watermark,
    lock_policy,
    locked_policy,
    mark_refreshed,
)

ProgressCallback = Callable[[int, int], None]


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
    for chunk in chunks(wanted, MEMBERS_PER_STATEMENT):
        for pk, library_id in Member.objects.filter(pk__in=chunk).values_list("pk", "library_id"):
            by_library.setdefault(library_id, []).append(pk)
    for library in Library.objects.filter(pk__in=by_library).order_by("pk"):
        with transaction.atomic():
            policy = locked_policy(library)
            recount(library, policy, by_library[library.pk], today, None, outside=True)
    segments: dict[int, Segment] = {}
    for chunk in chunks(wanted, MEMBERS_PER_STATEMENT):
        profiles = ReadingProfile.objects.filter(member_id__in=chunk)
        for pk, segment in profiles.values_list("member_id", "segment"):
            segments[pk] = Segment(segment)
    return {pk: segments.get(pk, Segment.UNKNOWN) for pk in wanted}


def rebuild_profiles(
    library: Library, today: dt.date, progress: ProgressCallback | None = None
) -> int:
    """Reclassify every item of the library and recount every member's loans as of `today`;
    returns the number of the library's profiles (all of them hold as of `today` afterwards,
    though only those whose counts changed are written). `progress(done, total)` is called
    after the items are classified and when the profiles are written."""
    members = Member.objects.filter(library=library)
    total = members.count()
    through = loans_watermark()
    with transaction.atomic():
        policy = locked_policy(library)
        classify_library(policy.classifier, library)
        if progress:
            progress(0, total)
        # The id bound is taken before counting: loans committed meanwhile are the next
        # refresh's new loans.
        through = max(through, policy.profiles_loans_through or 0)
        count_everyone(library, policy, today, through)
        mark_refreshed(policy, today, through)
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
        policy = locked_policy(library)
        changed = classify_library(policy.classifier, library)
        if not changed or not by_difference(policy, policy.profiles_as_of or today):
            return 0
        as_of = policy.profiles_as_of
        since = window_start(as_of, policy.window_months)
        borrowers: set[int] = set()
        for chunk in chunks(changed, ITEMS_PER_BATCH):
            borrowers.update(
                Loan.objects.filter(
                    library=library, item_id__in=chunk, loaned_on__gte=since
                ).values_list("member_id", flat=True)
            )
        return recount(
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
    lock_policy(library)
    unmarked = ReadingProfile.objects.filter(outside_refresh=False)
    marked = 0
    for chunk in chunks(members, MEMBERS_PER_STATEMENT):
        marked += unmarked.filter(member_id__in=chunk).update(outside_refresh=True)
    return marked


def refresh_after_import(library: Library, member_ids: Iterable[int], today: dt.date) -> int:
    """The daily refresh: carry every profile of the library to `today` by difference
    (refresh.py); returns the number of profiles that changed.

    `member_ids` are the members an import reports new loans for. The refresh finds new loans
    itself (every loan above the watermark), so these cost nothing more; a named member with
    no loan past the watermark (a loan written outside an import) is recounted in full, as
    are the members of loans an import changed in place (recount_at_next_refresh). The first
    refresh of a library, one back in time, or one after its window or source order changed,
    is a full rebuild."""
    named = set(member_ids)
    if not by_difference(policy_for(library), today):
        return rebuild_profiles(library, today)
    through = loans_watermark()
    with transaction.atomic():
        policy = locked_policy(library)
        if not by_difference(policy, today):  # changed while waiting for the lock
            transaction.set_rollback(True)
        else:
            through = max(through, policy.profiles_loans_through)
            done = apply_difference(library, policy, today, through, named)
            mark_refreshed(policy, today, through)
            return done
    return rebuild_profiles(library, today)
