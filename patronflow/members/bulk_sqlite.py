"""The SQLite writer: one lookup per chunk, one executemany upsert, large transactions.

SQLite has no COPY; what costs time is a statement per row and a commit per batch, so a chunk
is compared in Python against one query of the stored rows and only new or changed rows are
sent, in one executemany, with many chunks per transaction. That comparison also tells the
members of the loans it changed, before and after.
"""

import datetime as dt
import json

from django.db import connection
from django.utils import timezone

from patronflow.members.bulk_types import LISTED, StagedRow, Target, Written
from patronflow.members.models import Member

SEEN = "pf_import_seen"
CACHE_KIB = -64 * 1024  # negative: in KiB
# A chunk's ids as one JSON parameter: one prepared statement, whatever the chunk's size
# (thousands of `?` would make a new, large statement for every size the cache then keeps).
IN_LIST = "(SELECT value FROM json_each(?))"


class SqliteWriter:
    chunk_rows = 5_000
    chunks_per_transaction = 20

    def __init__(self, target: Target) -> None:
        self.target = target
        fields = {f.attname: f for f in target.model._meta.concrete_fields}
        self.touched = [f.column for f in target.touched]
        self.defaults = target.defaults
        written = [fields[name].column for name in target.attnames]
        self.selected = ", ".join(f'"{c}"' for c in written)
        columns = ["library_id", "external_id", *written, *self.defaults, *self.touched]
        updates = ", ".join(f'"{c}" = excluded."{c}"' for c in [*written, *self.touched])
        action = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
        quoted = ", ".join(f'"{c}"' for c in columns)
        self.upsert = (
            f'INSERT INTO "{target.table}" ({quoted}) '
            f"VALUES ({', '.join(['?'] * len(columns))}) "
            f"ON CONFLICT (library_id, external_id) {action}"
        )
        self.positions = {name: n for n, name in enumerate(target.attnames, start=1)}
        with connection.cursor() as cursor:
            for table in (SEEN, LISTED):
                cursor.execute(f"DROP TABLE IF EXISTS temp.{table}")
                cursor.execute(f"CREATE TEMP TABLE {table} (external_id TEXT PRIMARY KEY)")
            # The default 2 MB page cache thrashes on the indexes of a table of millions of
            # loans; a larger one for the import's duration, within its memory budget.
            cursor.execute("PRAGMA cache_size")
            self.cache_size = cursor.fetchone()[0]
            cursor.execute(f"PRAGMA cache_size = {CACHE_KIB}")

    def write(self, rows: list[StagedRow]) -> Written:
        written = Written()
        target = self.target
        if target.references:
            rows = self._resolve(rows, written)
        latest: dict[str, list[object]] = {}
        for _, values in rows:
            latest[values[0]] = values
        written.repeated = len(rows) - len(latest)
        if not latest:
            return written
        keys = list(latest)
        wanted = json.dumps(keys)
        with connection.cursor() as cursor:
            cursor = cursor.cursor
            seen = {
                key
                for (key,) in cursor.execute(
                    f"SELECT external_id FROM temp.{SEEN} WHERE external_id IN {IN_LIST}",
                    [wanted],
                )
            }
            # Django's SQLite connection reads dates and yes/no back as Python values.
            existing = {
                key: list(stored)
                for key, *stored in cursor.execute(
                    f'SELECT external_id, {self.selected} FROM "{target.table}" '
                    f"WHERE library_id = ? AND external_id IN {IN_LIST}",
                    [target.library_id, wanted],
                )
            }
        stamp = [connection.ops.adapt_datetimefield_value(timezone.now())] * len(self.touched)
        defaults = [_adapt(value) for value in self.defaults.values()]
        sent = []
        member = self.positions.get("member_id")
        loaned_on = self.positions.get("loaned_on")
        for key, values in latest.items():
            first_time = key not in seen
            stored = existing.get(key)
            if stored is None:
                written.inserted += first_time
                if member:
                    written.members_with_new_loans.add(values[member])
            elif stored != values[1:]:
                written.updated += first_time
                if member:
                    written.members_with_changed_loans.update((stored[member - 1], values[member]))
                if loaned_on and stored[loaned_on - 1] != values[loaned_on]:
                    written.moved_from.add(stored[loaned_on - 1])
            else:
                written.unchanged += first_time
                continue
            sent.append([target.library_id, *map(_adapt, values), *defaults, *stamp])
        written.repeated += len(seen)
        with connection.cursor() as cursor:
            if sent:
                cursor.cursor.executemany(self.upsert, sent)
            cursor.cursor.executemany(
                f"INSERT INTO temp.{SEEN} VALUES (?)", [(k,) for k in keys if k not in seen]
            )
        return written

    def _resolve(self, rows: list[StagedRow], written: Written) -> list[StagedRow]:
        """A loan's member and item ids become primary keys, one query per column."""
        target = self.target
        known = {}
        with connection.cursor() as cursor:
            for attname, model in target.references.items():
                position = self.positions[attname]
                wanted = json.dumps(list({values[position] for _, values in rows}))
                known[attname] = dict(
                    cursor.cursor.execute(
                        f'SELECT external_id, id FROM "{model._meta.db_table}" '
                        f"WHERE library_id = ? AND external_id IN {IN_LIST}",
                        [target.library_id, wanted],
                    )
                )
        resolved = []
        for line, values in rows:
            problems = []
            for attname, pks in known.items():
                position = self.positions[attname]
                pk = pks.get(values[position])
                if pk is None:
                    problems.append(target.reference_problem(attname, values[position]))
                else:
                    values[position] = pk
            if problems:
                written.unknown.append((line, "; ".join(problems)))
            else:
                resolved.append((line, values))
        return resolved

    def list_ids(self, ids: list[str]) -> None:
        with connection.cursor() as cursor:
            cursor.cursor.executemany(
                f"INSERT OR IGNORE INTO temp.{LISTED} VALUES (?)", [(i,) for i in ids]
            )

    def end_absent_memberships(self, today: dt.date) -> int:
        stamp = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(
                f'UPDATE "{Member._meta.db_table}" SET membership_ends_on = %s, updated_at = %s '
                "WHERE library_id = %s "
                "AND (membership_ends_on IS NULL OR membership_ends_on > %s) "
                f"AND external_id NOT IN (SELECT external_id FROM temp.{LISTED})",
                [today.isoformat(), stamp, self.target.library_id, today.isoformat()],
            )
            return cursor.rowcount

    def close(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {self.cache_size}")
            for table in (SEEN, LISTED):
                cursor.execute(f"DROP TABLE IF EXISTS temp.{table}")


def _adapt(value: object) -> object:
    """Dates as SQLite stores them for Django; everything else as sqlite3 takes it."""
    return value.isoformat() if isinstance(value, dt.date) else value
