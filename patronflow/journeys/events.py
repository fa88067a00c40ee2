"""Members' events as journeys read them: which events may still start a journey, and the
moments their properties hold (e.g. an activity's `starts_at`), on the library's own clock.

The library's systems send a moment as an ISO date-time (`2026-12-12T14:00:00+01:00`, or
without an offset: the library's time zone) or an ISO date (`2026-12-12`). One outside
MOMENT_YEARS is no moment: a placeholder (`0001-01-01`, `9999-12-31`) or a typo, and at
the calendar's ends a day before or after it, or its time in another zone, does not exist.
"""

import datetime as dt
import re
import zoneinfo

from django.conf import settings

from patronflow.members.models import MOMENT_YEARS, Library

# An event that happened this long before it arrived (a late backfill, a replayed queue)
# starts no journey: its mails would come too late to mean anything.
LATE_ARRIVAL = dt.timedelta(days=30)
# A journey enrols on events that arrived at most this long before the tick (and after its
# version was made): switched on or resumed after a while, it does not mail about
# registrations of weeks ago.
ENTRY_WINDOW = dt.timedelta(days=7)
# A wait after the event's moment (e.g. "how was it?") that the scheduler reaches more than
# this long after its day is skipped rather than sent late.
AFTER_EVENT_GRACE = dt.timedelta(days=3)

_ISO = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
)


def library_zone(library: Library) -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(library.time_zone or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def moment(value: object, zone: dt.tzinfo) -> dt.datetime | dt.date | None:
    """The moment an event's value holds, a date-time in `zone` or a date; None when the
    value is not an ISO date or date-time, or falls outside MOMENT_YEARS."""
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, str) and _ISO.fullmatch(value.strip()):
        text = value.strip().replace("Z", "+00:00")
        try:
            if len(text) == 10:
                day = dt.date.fromisoformat(text)
                return day if day.year in MOMENT_YEARS else None
            parsed = dt.datetime.fromisoformat(text)
        except ValueError:
            return None
    else:
        return None
    if parsed.year not in MOMENT_YEARS:
        return None
    return parsed.astimezone(zone) if parsed.tzinfo else parsed.replace(tzinfo=zone)


def moment_day(value: object, zone: dt.tzinfo) -> dt.date | None:
    """The day (in `zone`) of the moment an event's value holds, or None."""
    found = moment(value, zone)
    if isinstance(found, dt.datetime):
        return found.date()
    return found
