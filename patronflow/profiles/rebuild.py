"""A full rebuild's count: every member of a library in one pass over its loans."""

import datetime as dt

from django.db import connection
from django.db.backends.utils import CursorWrapper

from patronflow.members.models import Library
from patronflow.profiles.counting import (
    CLASSIFIED,
    LOAN,
    MEMBER,
    PROFILE,
    count_into_profiles,
    count_params,
)
from patronflow.profiles.models import ClassificationPolicy


def _fresh_statistics(cursor: CursorWrapper) -> None:
    """ANALYZE the tables a rebuild reads when a tenth or more of their rows changed since
    their last statistics (PostgreSQL). Right after a library's first import the loans have
    none: the planner then expects a handful of loans and joins two million of them to the
    classified items one index look-up at a time, then sorts them, many times slower than a
    hash join. Sampling costs little."""
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


def count_everyone(
    library: Library, policy: ClassificationPolicy, today: dt.date, through: int
) -> None:
    """Count the loans of every member of the library as of `today`, up to the watermark
    `through`, into their profiles: one hash join of the loans to the classified items and
    one aggregate; only the profiles whose counts changed are written."""
    with connection.cursor() as cursor:
        _fresh_statistics(cursor)
    count_into_profiles(
        "{column} IS NOT NULL", count_params(library, policy, today, through), everyone=True
    )
