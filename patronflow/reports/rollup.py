"""The daily aggregates the reports read (reports/models.py), recomputed from the raw rows
for the days that can still change; every day before those is frozen, so that erasing or
purging members changes no figure of a closed day (docs/performance.md).

A day still changes while a window measured from it runs (the longest, max(WINDOWS) days)
and for LATE_DAYS after: loans and visits reach patronflow by imports that may come days
late, and opens, clicks and votes arrive as long as members read their mail. Each refresh
recomputes from the earlier of the previous refresh's first live day and today's, so a day
that closes between two refreshes is computed once more, in full, before it freezes.
"""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from patronflow.reports.benchmark import refresh_members_months
from patronflow.reports.effect import WINDOWS
from patronflow.reports.metrics import refresh_mail_days
from patronflow.reports.models import Rollup
from patronflow.reports.outcomes import refresh_moments

LATE_DAYS = 14
LIVE_DAYS = max(WINDOWS) + LATE_DAYS


def live_from() -> dt.date | None:
    """The first day the aggregates still recompute (None: every day, or not refreshed yet):
    what removes a member's mails before it is tallied already (operations/tallies.py)."""
    rollup = Rollup.objects.first()
    return rollup.live_from if rollup else None


def refresh_if_due(now: dt.datetime) -> bool:
    """The tick's refresh: at most once per ROLLUP_EVERY_MINUTES. True if run."""
    every = settings.ROLLUP_EVERY_MINUTES
    last = Rollup.objects.values_list("refreshed_at", flat=True).first()
    if last is not None and now - last < dt.timedelta(minutes=every):
        return False
    refresh(today=timezone.localdate(now), now=now)
    return True


def refresh(*, today: dt.date, now: dt.datetime | None = None) -> None:
    """Recompute the aggregates of the days that still change on `today` (every day on the
    first refresh) in one transaction, so a report reads either the old figures or the new;
    a second refresh at once waits for the first. Where reads recompute every day
    (ROLLUP_ON_READ) nothing is frozen either."""
    freeze = not settings.ROLLUP_ON_READ
    with transaction.atomic():
        rollup = Rollup.objects.select_for_update().first()
        if rollup is None:
            rollup = Rollup(pk=1, refreshed_at=now or timezone.now(), live_from=None)
            since = None
        elif rollup.live_from is None or not freeze:
            since = None
        else:
            since = min(rollup.live_from, today - dt.timedelta(days=LIVE_DAYS))
        refresh_moments(since)
        refresh_mail_days(since)
        refresh_members_months(since)
        rollup.refreshed_at = now or timezone.now()
        rollup.live_from = today - dt.timedelta(days=LIVE_DAYS) if freeze else None
        rollup.save()
