"""The baseline ("nulmeting"): a library's loans and visits month by month since it launched
its mails, against the same months before — a year earlier unless another baseline is chosen —
so that the season (summer lull, holiday peaks) is visible rather than mistaken for an effect.
Beside the loans: borrowers (the members who borrowed at least once in the month), visits
(entrance gate, check-in, desk) and visitors.

Everything is read from the library's activity counts (members/activity.py), never from the
raw loans: they keep the loans older than the loan history and ex-members' activity, which the
purge and erasures remove from the raw rows, so a baseline month reads the same after them.

Loans arrive by import, so the data may end before the report day: a month after the last
imported loan has no figures (not zero loans: "no loans imported after" that day), and the
month it falls in is counted up to that day on both sides, as the current month is. Loans and
visits are counted per day, so such a partial month compares the same days; borrowers and
visitors are distinct members of a whole month, which days cannot add up to, so a partial
month shows none (None) on either side. Visits follow the same rule with the last imported
visit: a library that imports no visits has none (None) in every month.

A baseline month before the library's counts are complete (members/activity.py
`counted_from`: loans an earlier purge cut before the counts came, visits before the first
visit import) is "not counted yet": its loans and borrowers (or visits and visitors) are None,
not the part that was counted, and `baseline_loans_counted` (`baseline_visits_counted`) says
why; no change is worked out against it.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Max, Min, Q
from django.utils import timezone

from patronflow.journeys.models import Enrolment
from patronflow.mail.models import Message
from patronflow.members.activity import (
    NO_ACTIVITY,
    counted_from,
    daily_activity,
    monthly_activity,
)
from patronflow.members.models import ActivityDay, Library
from patronflow.reports.metrics import sent_statuses


@dataclass(frozen=True)
class MonthFigures:
    library: str
    month: dt.date  # the first of the measured month
    loans: int | None  # None: no loans imported for the month (see no_loans_after)
    borrowers: int | None  # None also in a partial month (partial_through)
    baseline_month: dt.date
    baseline_loans: int | None  # None: not counted yet (baseline_loans_counted)
    baseline_borrowers: int | None  # None in a partial month, or not counted yet
    # The day of the month both months are counted up to: the report day in the current
    # month, the last imported loan's day in the month the loan data ends.
    partial_through: int | None = None
    # Where no loan was imported for the month: the day of the last one (None: none at all).
    no_loans_after: dt.date | None = None
    # Visits as loans are: None where no visit was imported for the month (or any month);
    # visitors None too in a partial month.
    visits: int | None = None
    visitors: int | None = None
    baseline_visits: int | None = None
    baseline_visitors: int | None = None
    # False where the baseline month lies before the library's counts are complete: its
    # figures are then None, "not counted yet".
    baseline_loans_counted: bool = True
    baseline_visits_counted: bool = True

    @property
    def loans_change(self) -> float | None:
        """Relative change against the baseline month; None where the baseline had no loans
        or the month has none imported."""
        if not self.baseline_loans or self.loans is None:
            return None
        return self.loans / self.baseline_loans - 1

    @property
    def visits_change(self) -> float | None:
        """As loans_change, for the visits."""
        if not self.baseline_visits or self.visits is None:
            return None
        return self.visits / self.baseline_visits - 1

    def as_row(self) -> dict:
        return {
            "library": self.library,
            "month": self.month.isoformat(),
            "loans": self.loans,
            "borrowers": self.borrowers,
            "baseline_month": self.baseline_month.isoformat(),
            "baseline_loans": self.baseline_loans,
            "baseline_borrowers": self.baseline_borrowers,
            "loans_change": self.loans_change,
            "partial_through": self.partial_through,
            "no_loans_after": self.no_loans_after.isoformat() if self.no_loans_after else None,
            "baseline_loans_counted": self.baseline_loans_counted,
        }


def add_months(month: dt.date, count: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + count
    return dt.date(index // 12, index % 12 + 1, 1)


def launch_day(library: Library) -> dt.date | None:
    """The day the library's first mail left; before any has, the day its journeys took in
    their first member. (Not the first entry day alone: the welcome journey dates entries back
    to the registration day.)"""
    first = Message.objects.filter(library=library, status__in=sent_statuses()).aggregate(
        at=Min("sent_at")
    )["at"]
    if first is not None:
        return timezone.localdate(first)
    return Enrolment.objects.filter(journey__library=library).aggregate(day=Min("entered_on"))[
        "day"
    ]


def last_loan_day(library: Library) -> dt.date | None:
    """The day of the latest loan imported: the library's loan data ends there."""
    return _last_day(library, "loans")


def last_visit_day(library: Library) -> dt.date | None:
    """The day of the latest visit imported (None: the library imports no visits)."""
    return _last_day(library, "visits")


def _last_day(library: Library, measure: str) -> dt.date | None:
    counted = Q(**{f"{measure}__gt": 0}) | Q(**{f"kept_{measure}__gt": 0})
    return ActivityDay.objects.filter(counted, library=library).aggregate(day=Max("day"))["day"]


@dataclass(frozen=True)
class _Days:
    """A span of a library's daily loans and visits, summed over any days of it."""

    counts: dict[dt.date, tuple[int, int]]

    def between(self, first: dt.date, last: dt.date) -> tuple[int, int]:
        loans = visits = 0
        for day, (day_loans, day_visits) in self.counts.items():
            if first <= day <= last:
                loans += day_loans
                visits += day_visits
        return loans, visits


def baseline(
    library: Library,
    *,
    as_of: dt.date | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    baseline_from: dt.date | None = None,
) -> list[MonthFigures]:
    """Every month from the launch (or `since`) to `as_of` (or `until`, where earlier), each
    against its baseline month: the same month a year earlier, or the month at the same
    distance from `baseline_from`. The last month, and the month the imported loans end in,
    are compared up to the same day of the month on both sides; a month after the last
    imported loan has no figures."""
    as_of = as_of or timezone.localdate()
    if until is not None:
        as_of = min(as_of, until)
    since = since or launch_day(library)
    if since is None:
        return []
    first = since.replace(day=1)
    months = (as_of.year - first.year) * 12 + as_of.month - first.month + 1
    start = (baseline_from or add_months(first, -12)).replace(day=1)
    before_end = add_months(start, months) - dt.timedelta(days=1)
    last_loan, last_visit = last_loan_day(library), last_visit_day(library)
    data_through = as_of if last_loan is None else min(as_of, last_loan)
    measured = _Days(daily_activity(library=library.pk, first=first, last=as_of))
    before = _Days(daily_activity(library=library.pk, first=start, last=before_end))
    whole = monthly_activity(libraries=[library.pk], first=first, last=as_of)
    whole |= monthly_activity(libraries=[library.pk], first=start, last=before_end)
    counted = counted_from(libraries=[library.pk])[library.pk]
    figures = []
    for offset in range(months):
        month = add_months(first, offset)
        baseline_month = add_months(start, offset)
        month_end = add_months(month, 1) - dt.timedelta(days=1)
        own = whole.get((library.pk, month), NO_ACTIVITY)
        then = whole.get((library.pk, baseline_month), NO_ACTIVITY)
        partial = no_loans_after = None
        if last_loan is not None and month <= last_loan and data_through < month_end:
            partial = data_through.day
        through = month_end if partial is None else data_through
        loans, visits = measured.between(month, min(through, as_of))
        baseline_loans, baseline_visits = before.between(
            baseline_month,
            min(
                add_months(baseline_month, 1) - dt.timedelta(days=1),
                baseline_month + dt.timedelta(days=(through - month).days),
            ),
        )
        borrowers, baseline_borrowers = (None, None) if partial else (own.borrowers, then.borrowers)
        visitors, baseline_visitors = (None, None) if partial else (own.visitors, then.visitors)
        if last_loan is None or last_loan < month:
            loans = borrowers = None
            no_loans_after = last_loan
        if last_visit is None:
            visits = visitors = baseline_visits = baseline_visitors = None
        elif last_visit < month:
            visits = visitors = None
        loans_counted = counted.loans is None or counted.loans <= baseline_month
        visits_counted = counted.visits is None or counted.visits <= baseline_month
        if not loans_counted:
            baseline_loans = baseline_borrowers = None
        if not visits_counted:
            baseline_visits = baseline_visitors = None
        figures.append(
            MonthFigures(
                library=library.code,
                month=month,
                loans=loans,
                borrowers=borrowers,
                baseline_month=baseline_month,
                baseline_loans=baseline_loans,
                baseline_borrowers=baseline_borrowers,
                partial_through=partial,
                no_loans_after=no_loans_after,
                visits=visits,
                visitors=visitors,
                baseline_visits=baseline_visits,
                baseline_visitors=baseline_visitors,
                baseline_loans_counted=loans_counted,
                baseline_visits_counted=visits_counted,
            )
        )
    return figures
