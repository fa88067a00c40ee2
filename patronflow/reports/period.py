"""The period a report covers, as the results page offers it: this month, the last three
months, since the launch, or from one day to another (both included)."""

import datetime as dt
from dataclasses import dataclass

from patronflow.reports.baseline import add_months


@dataclass(frozen=True)
class Period:
    choice: str
    since: dt.date | None  # None: since the launch
    until: dt.date


def period_of(
    choice: str, *, today: dt.date, since: dt.date | None = None, until: dt.date | None = None
) -> Period:
    """The days a choice covers on `today`; `custom` takes `since` and `until` (today where
    left out)."""
    if choice == "month":
        return Period(choice, today.replace(day=1), today)
    if choice == "quarter":
        return Period(choice, add_months(today.replace(day=1), -2), today)
    if choice == "custom":
        return Period(choice, since, until or today)
    return Period("launch", None, today)
