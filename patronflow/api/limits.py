"""Rate limits per token: a fixed window of WINDOW_SECONDS in which a token may make
settings.API_RATE_LIMIT requests. The count lives in the database (RequestCount), counted up
in one INSERT … ON CONFLICT … RETURNING, so that every server process and machine shares it;
the API's views and its events front (front.py) both count through count_request."""

import datetime as dt

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from patronflow.api.models import ApiToken, RequestCount

WINDOW_SECONDS = 60
# Counts of windows older than this are deleted by forget_old_counts (patronflow purge).
KEEP_COUNTS = dt.timedelta(hours=1)


def rate_limit() -> int:
    """Requests a token may make per window; 0: no limit."""
    return int(getattr(settings, "API_RATE_LIMIT", 0) or 0)


def window_of(now: dt.datetime) -> dt.datetime:
    epoch = int(now.timestamp())
    return dt.datetime.fromtimestamp(epoch - epoch % WINDOW_SECONDS, tz=dt.UTC)


def count_request(token: ApiToken, now: dt.datetime) -> int | None:
    """Count one request of `token`; None when it may go ahead, else the seconds until its
    next window (the request is over the limit)."""
    limit = rate_limit()
    if not limit:
        return None
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # A count lost in a crash costs nothing: its commit need not wait for the disk,
            # and the busiest token's row is locked only as long as the update takes.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
        count = add_requests(token.pk, 1, now)
    if count <= limit:
        return None
    return seconds_left(now)


def add_requests(token_id: int, requests: int, now: dt.datetime) -> int:
    """Count `requests` of a token in `now`'s window, in one statement that every process
    waits its turn for; the window's count after them."""
    table = connection.ops.quote_name(RequestCount._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (token_id, window_start, count) VALUES (%s, %s, %s) "
            "ON CONFLICT (token_id, window_start) DO UPDATE SET count = "
            f"{table}.count + %s RETURNING count",
            [token_id, window_of(now), requests, requests],
        )
        (count,) = cursor.fetchone()
    return count


def seconds_left(now: dt.datetime) -> int:
    """Until the next window: a request over the limit may try again then."""
    return max(1, WINDOW_SECONDS - int((now - window_of(now)).total_seconds()))


def forget_old_counts(now: dt.datetime | None = None) -> int:
    """Delete the counts of windows long past; returns how many."""
    now = now or timezone.now()
    deleted, _ = RequestCount.objects.filter(window_start__lt=now - KEEP_COUNTS).delete()
    return deleted
