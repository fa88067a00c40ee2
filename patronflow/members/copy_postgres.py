"""The PostgreSQL writer: COPY a chunk into a temporary staging table, then one statement.

Row-by-row INSERTs spend their time in round trips; COPY streams a chunk in one, and a single
INSERT … ON CONFLICT … DO UPDATE … WHERE … IS DISTINCT FROM does the comparison, the upsert
and the counting inside the server. A loan's member and item are found by a join on the
library's ids; loans whose member or item is unknown come back with their line numbers.
"""

import datetime as dt

from django.db import connection
from django.utils import timezone

from patronflow.members.bulk import StagedRow, Target, Written
from patronflow.members.models import Member

STAGE = "pf_import_stage"
SEEN = "pf_import_seen"
LISTED = "pf_import_listed"
# The staging table holds one chunk, and every table it meets is larger and reached through
# a unique index: looking each row up is the right plan whatever the statistics say (a table
# just loaded has none, and a hash join would read all members for every chunk). Set for the
# chunk's statements only, then put back.
# JIT compiling costs more than it saves on one chunk; the sort of a chunk fits in 64 MB.
PLANNER = (
    "SELECT set_config('enable_hashjoin', %s, true), set_config('enable_mergejoin', %s, true), "
    "set_config('jit', %s, true), set_config('work_mem', %s, true)"
)
CHUNK_SETTINGS = ["off", "off", "off", "64MB"]


class PostgresWriter:
    chunk_rows = 50_000
    chunks_per_transaction = 1

    def __init__(self, target: Target) -> None:
        self.target = target
        self.analyzed = False
        fields = {f.attname: f for f in target.model._meta.concrete_fields}
        staged = [
            (name, "text" if name in target.references else fields[name].db_type(connection))
            for name in target.attnames
        ]
        self.copy = (
            f"COPY {STAGE} (line, external_id, {', '.join(n for n, _ in staged)}) FROM STDIN"
        )
        with connection.cursor() as cursor:
            for table in (STAGE, SEEN, LISTED):
                cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{table}")
            columns = ", ".join(f"{name} {kind}" for name, kind in staged)
            cursor.execute(f"CREATE TEMP TABLE {STAGE} (line bigint, external_id text, {columns})")
            cursor.execute(f"CREATE TEMP TABLE {SEEN} (external_id text PRIMARY KEY)")
            cursor.execute(f"CREATE TEMP TABLE {LISTED} (external_id text PRIMARY KEY)")
            # Members and items loaded minutes ago have no statistics yet: without them the
            # planner takes a library's thousands of rows for one and scans instead of looking up.
            for model in target.references.values():
                cursor.execute(f"ANALYZE {model._meta.db_table}")
            cursor.execute(
                "SELECT current_setting('enable_hashjoin'), current_setting('enable_mergejoin'), "
                "current_setting('jit'), current_setting('work_mem')"
            )
            self.planner = list(cursor.fetchone())
        self.unknown = self._unknown_query() if target.references else None
        self.upsert = self._upsert_query()

    def _joins(self) -> tuple[str, dict[str, str]]:
        """Joins that turn the staged library ids into primary keys, and the expression for
        each column."""
        joins, expressions = [], {}
        for n, (attname, model) in enumerate(self.target.references.items()):
            alias = f"r{n}"
            joins.append(
                f"JOIN {model._meta.db_table} {alias} ON {alias}.library_id = %(library)s "
                f"AND {alias}.external_id = s.{attname}"
            )
            expressions[attname] = f"{alias}.id"
        return " ".join(joins), expressions

    def _unknown_query(self) -> str:
        joins, expressions = self._joins()
        found = ", ".join(f"{expressions[name]} IS NOT NULL" for name in self.target.references)
        wanted = ", ".join(f"s.{name}" for name in self.target.references)
        missing = " OR ".join(f"{expressions[name]} IS NULL" for name in self.target.references)
        return (
            f"SELECT s.line, {wanted}, {found} FROM {STAGE} s "
            f"{joins.replace('JOIN', 'LEFT JOIN')} WHERE {missing}"
        )

    def _upsert_query(self) -> str:
        target = self.target
        joins, expressions = self._joins()
        names = list(target.attnames)
        selected = ", ".join(f"{expressions.get(n, f's.{n}')} AS {n}" for n in names)
        defaults = list(target.defaults)
        touched = [f.column for f in target.touched]
        columns = ["library_id", "external_id", *names, *defaults, *touched]
        values = [
            "%(library)s",
            "external_id",
            *names,
            *(f"%(default_{n})s" for n in defaults),
            *("%(now)s" for _ in touched),
        ]
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in [*names, *touched])
        if names:
            stored = ", ".join(f"t.{n}" for n in names)
            given = ", ".join(f"EXCLUDED.{n}" for n in names)
            action = f"DO UPDATE SET {updates} WHERE ROW({stored}) IS DISTINCT FROM ROW({given})"
        else:
            action = "DO NOTHING"
        new_loans = (
            "array_agg(DISTINCT w.member_id) FILTER (WHERE w.inserted)"
            if "member_id" in names
            else "NULL::bigint[]"
        )
        member = ", t.member_id" if "member_id" in names else ""
        insert = (
            f"INSERT INTO {target.table} AS t ({', '.join(columns)}) "
            f"SELECT {', '.join(values)} FROM chunk WHERE {{}} "
            f"ON CONFLICT (library_id, external_id) {action}"
        )
        # Rows whose id an earlier chunk wrote are repeats: written (the last row wins) but
        # not counted again; the rest are counted as inserted, updated or unchanged.
        return f"""
            WITH chunk AS MATERIALIZED (
                SELECT DISTINCT ON (s.external_id) s.external_id, {selected},
                    NOT EXISTS (SELECT FROM {SEEN} x WHERE x.external_id = s.external_id) AS first
                FROM {STAGE} s {joins}
                ORDER BY s.external_id, s.line DESC
            ), fresh AS (
                INSERT INTO {SEEN} (external_id) SELECT external_id FROM chunk WHERE first
                RETURNING external_id
            ), w AS (
                {insert.format("first")}
                RETURNING (t.xmax = 0) AS inserted{member}
            ), again AS (
                {insert.format("NOT first")}
                RETURNING 1
            )
            SELECT
                (SELECT count(*) FROM fresh),
                count(*) FILTER (WHERE w.inserted),
                count(*) FILTER (WHERE NOT w.inserted),
                {new_loans},
                (SELECT count(*) FROM again)
            FROM w
        """

    def write(self, rows: list[StagedRow]) -> Written:
        written = Written()
        target = self.target
        parameters = {
            "library": target.library_id,
            "now": timezone.now(),
            **{f"default_{name}": value for name, value in target.defaults.items()},
        }
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {STAGE}")
            with cursor.cursor.copy(self.copy) as copy:
                for line, values in rows:
                    copy.write_row((line, *values))
            if not self.analyzed:
                cursor.execute(f"ANALYZE {STAGE}")
                self.analyzed = True
            cursor.execute(PLANNER, CHUNK_SETTINGS)
            if self.unknown:
                cursor.execute(self.unknown, parameters)
                for line, *their_ids_and_found in cursor.fetchall():
                    half = len(their_ids_and_found) // 2
                    problems = [
                        target.reference_problem(attname, their_id)
                        for attname, their_id, found in zip(
                            target.references,
                            their_ids_and_found[:half],
                            their_ids_and_found[half:],
                            strict=True,
                        )
                        if not found
                    ]
                    written.unknown.append((line, "; ".join(problems)))
                written.unknown.sort()
            cursor.execute(self.upsert, parameters)
            fresh, inserted, updated, new_loans, _ = cursor.fetchone()
            cursor.execute(PLANNER, self.planner)
        written.inserted, written.updated = inserted, updated
        written.unchanged = fresh - inserted - updated
        written.repeated = len(rows) - len(written.unknown) - fresh
        written.members_with_new_loans = set(new_loans or ())
        return written

    def list_ids(self, ids: list[str]) -> None:
        with connection.cursor() as cursor:
            cursor.cursor.executemany(
                f"INSERT INTO {LISTED} VALUES (%s) ON CONFLICT DO NOTHING", [(i,) for i in ids]
            )

    def end_absent_memberships(self, today: dt.date) -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Member._meta.db_table} m SET membership_ends_on = %s, updated_at = %s "
                "WHERE m.library_id = %s "
                "AND (m.membership_ends_on IS NULL OR m.membership_ends_on > %s) "
                f"AND NOT EXISTS (SELECT 1 FROM {SEEN} s WHERE s.external_id = m.external_id) "
                f"AND NOT EXISTS (SELECT 1 FROM {LISTED} l WHERE l.external_id = m.external_id)",
                [today, timezone.now(), self.target.library_id, today],
            )
            return cursor.rowcount

    def close(self) -> None:
        with connection.cursor() as cursor:
            for table in (STAGE, SEEN, LISTED):
                cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{table}")
