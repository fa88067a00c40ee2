"""The baseline ("nulmeting"): a library's loans month by month since it launched its mails,
against the same months before — a year earlier unless another baseline is chosen — so that
the season (summer lull, holiday peaks) is visible rather than mistaken for an effect.

Visits are not imported as a history (a member row only carries its last activity day), so
the second figure is borrowers: the members who borrowed at least once in the month.

Loans arrive by import, so the data may end before the report day: a month after the last
imported loan has no figures (not zero loans: "no loans imported after" that day), and the
month it falls in is counted up to that day on both sides, as the current month is.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Max, Min
from django.db.models.functions import TruncMonth
from django.utils import timezone

from patronflow.journeys.models import Enrolment
from patronflow.mail.models import Message
from patronflow.members.models import Library, Loan
from patronflow.reports.metrics import sent_statuses


@dataclass(frozen=True)
class MonthFigures:
    library: str
    month: dt.date  # the first of the measured month
    loans: int | None  # None: no loans imported for the month (see no_loans_after)
    borrowers: int | None
    baseline_month: dt.date
    baseline_loans: int
    baseline_borrowers: int
    # The day of the month both months are counted up to: the report day in the current
    # month, the last imported loan's day in the month the loan data ends.
    partial_through: int | None = None
    # Where no loan was imported for the month: the day of the last one (None: none at all).
    no_loans_after: dt.date | None = None

    @property
    def loans_change(self) -> float | None:
        """Relative change against the baseline month; None where the baseline had no loans
        or the month has none imported."""
        if not self.baseline_loans or self.loans is None:
            return None
        return self.loans / self.baseline_loans - 1

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
    return Loan.objects.filter(library=library).aggregate(day=Max("loaned_on"))["day"]


def _monthly(library: Library, first: dt.date, last: dt.date) -> dict[dt.date, tuple[int, int]]:
    rows = (
        Loan.objects.filter(library=library, loaned_on__gte=first, loaned_on__lte=last)
        .annotate(month=TruncMonth("loaned_on"))
        .values("month")
        .annotate(loans=Count("id"), borrowers=Count("member_id", distinct=True))
    )
    return {_as_date(row["month"]): (row["loans"], row["borrowers"]) for row in rows}


def _as_date(value) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


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
    last_loan = last_loan_day(library)
    data_through = as_of if last_loan is None else min(as_of, last_loan)
    measured = _monthly(library, first, as_of)
    before = _monthly(library, start, add_months(start, months) - dt.timedelta(days=1))
    figures = []
    for offset in range(months):
        month = add_months(first, offset)
        baseline_month = add_months(start, offset)
        month_end = add_months(month, 1) - dt.timedelta(days=1)
        partial = no_loans_after = None
        if last_loan is None or last_loan < month:
            loans = borrowers = None
            no_loans_after = last_loan
            clipped = before.get(baseline_month, (0, 0))
        else:
            loans, borrowers = measured.get(month, (0, 0))
            if data_through < month_end:
                partial = data_through.day
                clipped = _clipped(library, baseline_month, partial)
            else:
                clipped = before.get(baseline_month, (0, 0))
        figures.append(
            MonthFigures(
                library=library.code,
                month=month,
                loans=loans,
                borrowers=borrowers,
                baseline_month=baseline_month,
                baseline_loans=clipped[0],
                baseline_borrowers=clipped[1],
                partial_through=partial,
                no_loans_after=no_loans_after,
            )
        )
    return figures


def _clipped(library: Library, month: dt.date, through_day: int) -> tuple[int, int]:
    last = min(
        add_months(month, 1) - dt.timedelta(days=1),
        month.replace(day=1) + dt.timedelta(days=through_day - 1),
    )
    return _monthly(library, month, last).get(month, (0, 0))
