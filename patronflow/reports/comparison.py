"""Did this library's loans change more than its comparison libraries' over the same months?
Difference in differences (reports/estimators.py) on the kept monthly activity
(members/activity.py), so that purged loans and ex-members' activity stay in.

The measured period runs from the launch (or the chosen first day) through the last complete
month; the baseline period is the same months a year earlier. Per measure — loans, borrowers
(summed over the months), visits — each library's two totals go into the estimate, this
library's against the libraries the network admin chose (Library.comparison_libraries).
The interval's reading number (`look`) counts the complete months since the launch, also for
another chosen first day: the 5% spent over the readings cannot be started afresh.

Counted periods: a library's counts may hold only part of its early months (loans an
earlier purge had cut before the counts came, visits before its first visit import:
members/activity.py `counted_from`). A measure whose baseline period begins before this
library's counts are complete is withheld (NOT_COUNTED_YET) rather than compared with a
period counted whole; a comparison library in that case is left out of the measure
(counted in `not_counted`).

Small numbers: a library's totals are made of its members. A library counts for loans and
borrowers only where some month of each period had SMALL_CELL or more borrowers (for visits:
visitors) — then at least that many members stand behind each total. A comparison library
that has not is left out of that measure (and counted as left out); where this library has
not, its measure is withheld. Only this library's own totals and relative changes are
published, never a comparison library's figures on their own.
"""

import datetime as dt
from dataclasses import dataclass
from functools import partial

from patronflow.members.activity import MonthActivity, counted_from, monthly_activity
from patronflow.members.models import Library
from patronflow.reports.baseline import add_months, launch_day
from patronflow.reports.estimators import Change, DidEstimate, difference_in_differences
from patronflow.reports.suppression import SMALL_CELL

MEASURES = ("loans", "borrowers", "visits")
# Which members stand behind a measure's total.
MEMBERS_OF = {"loans": "borrowers", "borrowers": "borrowers", "visits": "visitors"}

# Why there is nothing to compare (the page words each; docs/reports.md).
NO_COMPARISON_LIBRARIES = "no_comparison_libraries"
NO_COMPLETE_MONTH = "no_complete_month"
# Why one measure of this library is withheld (the page words each; docs/reports.md).
TOO_FEW_MEMBERS = "too_few_members"
NOT_COUNTED_YET = "not_counted_yet"


@dataclass(frozen=True)
class MeasureComparison:
    """One measure: the estimate (None where this library's own totals are withheld, and
    why), how many comparison libraries were left out for too few members and how many
    because their counts do not reach back to the baseline period."""

    measure: str
    estimate: DidEstimate | None
    left_out: int
    own_withheld: bool = False
    withheld_because: str = ""  # TOO_FEW_MEMBERS or NOT_COUNTED_YET where own_withheld
    not_counted: int = 0
    counted_from: dt.date | None = None  # this library's first counted month, where withheld


@dataclass(frozen=True)
class LibraryComparison:
    library: str
    first_month: dt.date  # of the measured period
    last_month: dt.date
    baseline_first: dt.date
    baseline_last: dt.date
    # Complete months from the launch's month through last_month, whatever first month was
    # asked for: the monthly readings the interval allows for (at least 1).
    look: int
    compared_with: tuple[str, ...]  # the comparison libraries' names
    measures: tuple[MeasureComparison, ...] = ()
    reason: str = ""  # where nothing is compared: NO_COMPARISON_LIBRARIES, NO_COMPLETE_MONTH

    def measure(self, name: str) -> MeasureComparison | None:
        return next((m for m in self.measures if m.measure == name), None)


def _last_complete_month(as_of: dt.date, until: dt.date | None) -> dt.date:
    """The first day of the last month whose every day lies before `as_of` (the report day's
    data may still grow) and, with `until`, up to it."""
    end = as_of - dt.timedelta(days=1)
    if until is not None:
        end = min(end, until)
    following = end + dt.timedelta(days=1)
    return add_months(following.replace(day=1), -1)


def _months(first: dt.date, last: dt.date) -> int:
    """The months from first's through last's, both counted (0 where last is earlier)."""
    return max((last.year - first.year) * 12 + last.month - first.month + 1, 0)


def _totals(months: list[MonthActivity]) -> dict[str, int]:
    return {
        "loans": sum(m.loans for m in months),
        "borrowers": sum(m.borrowers for m in months),
        "visits": sum(m.visits for m in months),
    }


def _enough_members(months: list[MonthActivity], measure: str) -> bool:
    """Whether SMALL_CELL members stand behind the period's total: some month had as many
    distinct borrowers (or visitors)."""
    name = MEMBERS_OF[measure]
    return max((getattr(m, name) for m in months), default=0) >= SMALL_CELL


def comparison_of(
    library: Library, *, as_of: dt.date, since: dt.date | None, until: dt.date | None
) -> LibraryComparison | None:
    """This library against its comparison libraries, per measure, for the complete months
    from `since` (None: the launch) through `until` (None: the report day `as_of`). None
    before the launch; a comparison with a `reason` and no measures where nothing can be
    compared yet."""
    launch = launch_day(library)
    since = since or launch
    if since is None:
        return None
    first = since.replace(day=1)
    last = _last_complete_month(as_of, until)
    months = _months(first, last)
    # Readings count from the launch, not from the month asked for: choosing another first
    # month starts no new series of readings, so it cannot spend the 5% again.
    look = max(_months(launch.replace(day=1), last), 1) if launch else months
    others = list(library.comparison_libraries.order_by("name"))
    base = {
        "library": library.code,
        "first_month": first,
        "last_month": last,
        "baseline_first": add_months(first, -12),
        "baseline_last": add_months(last, -12),
        "look": look,
        "compared_with": tuple(other.name for other in others),
    }
    if not others:
        return LibraryComparison(**base, reason=NO_COMPARISON_LIBRARIES)
    if months == 0:
        return LibraryComparison(**base, reason=NO_COMPLETE_MONTH)
    ids = [library.pk, *(other.pk for other in others)]
    measured = monthly_activity(libraries=ids, first=first, last=last)
    before = monthly_activity(
        libraries=ids, first=base["baseline_first"], last=base["baseline_last"]
    )

    def periods(library_id: int) -> tuple[list[MonthActivity], list[MonthActivity]]:
        return (
            [value for (owner, _), value in sorted(before.items()) if owner == library_id],
            [value for (owner, _), value in sorted(measured.items()) if owner == library_id],
        )

    own_before, own_after = periods(library.pk)
    starts = counted_from(libraries=ids)

    def counted(library_id: int, measure: str) -> bool:
        start = getattr(starts[library_id], "visits" if measure == "visits" else "loans")
        return start is None or start <= base["baseline_first"]

    measures = []
    for measure in MEASURES:
        reaching = [other for other in others if counted(other.pk, measure)]
        usable = []
        for other in reaching:
            earlier, later = periods(other.pk)
            if _enough_members(earlier, measure) and _enough_members(later, measure):
                usable.append(Change(_totals(earlier)[measure], _totals(later)[measure]))
        not_counted = len(others) - len(reaching)
        left_out = len(reaching) - len(usable)
        withheld = partial(
            MeasureComparison, measure, None, left_out, own_withheld=True, not_counted=not_counted
        )
        if not counted(library.pk, measure):
            start = starts[library.pk]
            first = start.visits if measure == "visits" else start.loans
            measures.append(withheld(withheld_because=NOT_COUNTED_YET, counted_from=first))
            continue
        if not (_enough_members(own_before, measure) and _enough_members(own_after, measure)):
            measures.append(withheld(withheld_because=TOO_FEW_MEMBERS))
            continue
        own = Change(_totals(own_before)[measure], _totals(own_after)[measure])
        estimate = difference_in_differences(measure=measure, own=own, others=usable, look=look)
        measures.append(MeasureComparison(measure, estimate, left_out, not_counted=not_counted))
    return LibraryComparison(**base, measures=tuple(measures))
