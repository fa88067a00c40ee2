"""The PostgreSQL writer: COPY a chunk into a temporary staging table, then one statement.

Row-by-row INSERTs spend their time in round trips; COPY streams a chunk in one, and a single
statement does the rest inside the server: it finds a loan's member and item by a join on the
library's ids (loans whose member or item is unknown come back with their line numbers),
looks each id up in the target table once, inserts the new ids with a plain INSERT, upserts
the others with INSERT … ON CONFLICT … DO UPDATE … WHERE … IS DISTINCT FROM, and counts —
returning too the members of the loans it changed (before and after), from that look-up.
"""

import datetime as dt

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from patronflow.members.bulk_types import LISTED, StagedRow, Target, Written
from patronflow.members.models import Member

STAGE = "pf_import_stage"
SEEN = "pf_import_seen"
UNIQUE_VIOLATION = "23505"
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
        # xmins of the rows this import wrote: one per chunk transaction (or savepoint).
        self.ours: list[int] = []
        self.upsert = self._upsert_query(plain=True)
        self.upsert_on_conflict = self._upsert_query(plain=False)

    def _upsert_query(self, *, plain: bool) -> str:
        """One statement per chunk: resolve references, report the unknown ones, keep the
        last row of each id, upsert, count.

        Repeats of ids an earlier chunk had are found without keeping every id written in a
        table: an id only repeats when the target table already has it, and then either this
        import wrote that row (its xmin is one of the import's transactions or savepoints,
        `ours`) or left it unchanged (then the id is in SEEN).
        `plain` inserts the ids the table lacked without ON CONFLICT.
        """
        target = self.target
        names = list(target.attnames)
        joins, resolved = [], []
        for n, name in enumerate(names):
            model = target.references.get(name)
            if model is None:
                resolved.append(f"s.{name}")
                continue
            joins.append(
                f"LEFT JOIN {model._meta.db_table} r{n} ON r{n}.library_id = %(library)s "
                f"AND r{n}.external_id = s.{name}"
            )
            resolved.append(f"r{n}.id AS {name}")
        known = " AND ".join(f"c.{name} IS NOT NULL" for name in target.references) or "true"
        found = "".join(
            f", (SELECT array_agg(c.{name} IS NOT NULL ORDER BY c.line) FROM staged c "
            f"WHERE NOT ({known}))"
            for name in target.references
        )
        stored = ", ".join(f"t.{n}" for n in names)
        given = ", ".join(f"c.{n}" for n in names)
        same = f"ROW({stored}) IS NOT DISTINCT FROM ROW({given})" if names else "true"
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
            excluded = ", ".join(f"EXCLUDED.{n}" for n in names)
            action = f"DO UPDATE SET {updates} WHERE ROW({stored}) IS DISTINCT FROM ROW({excluded})"
        else:
            action = "DO NOTHING"
        loans = "member_id" in names
        new_loans = (
            "array_agg(DISTINCT member_id) FILTER (WHERE inserted)" if loans else "NULL::bigint[]"
        )
        # Loans changed in place: their members before and after (the same one when only the
        # item or date changed), from the look-up the comparison already made.
        changed_loans = (
            "(SELECT array_agg(stored_member_id) || array_agg(member_id) FROM chunk "
            "WHERE NOT new AND NOT unchanged)"
            if loans
            else "NULL::bigint[]"
        )
        # Loans moved to another date: their stored dates, whose days' counts lost them.
        moved_from = (
            "(SELECT array_agg(DISTINCT stored_loaned_on) FROM chunk "
            "WHERE NOT new AND stored_loaned_on IS DISTINCT FROM loaned_on)"
            if loans
            else "NULL::date[]"
        )
        stored_member = (
            ", t.member_id AS stored_member_id, t.loaned_on AS stored_loaned_on" if loans else ""
        )
        member = ", t.member_id" if loans else ""
        insert = (
            f"INSERT INTO {target.table} AS t ({', '.join(columns)}) "
            f"SELECT {', '.join(values)} FROM chunk WHERE {{}}"
        )
        upsert = f"{insert} ON CONFLICT (library_id, external_id) {action}"
        writer = f"t.xmin::text::bigint AS writer{member}"
        # Rows whose id an earlier chunk wrote are repeats: written (the last row wins) but
        # not counted again; the rest are counted as inserted, updated or unchanged.
        if plain:
            # Ids the table did not have a moment ago: a plain INSERT, without the speculative
            # insertion of ON CONFLICT (write() falls back when one appeared meanwhile).
            writes = f"""
                fresh AS (
                    {insert.format("new")}
                    RETURNING true AS inserted, true AS counted, {writer}
                ), w AS (
                    {upsert.format("first AND NOT new")}
                    RETURNING (t.xmax = 0) AS inserted, true AS counted, {writer}
                ), again AS (
                    {upsert.format("NOT first")}
                    RETURNING (t.xmax = 0) AS inserted, false AS counted, {writer}
                ), written AS (
                    SELECT * FROM fresh UNION ALL SELECT * FROM w UNION ALL SELECT * FROM again
                )"""
        else:
            writes = f"""
                w AS (
                    {upsert.format("first")}
                    RETURNING (t.xmax = 0) AS inserted, true AS counted, {writer}
                ), again AS (
                    {upsert.format("NOT first")}
                    RETURNING (t.xmax = 0) AS inserted, false AS counted, {writer}
                ), written AS (SELECT * FROM w UNION ALL SELECT * FROM again)"""
        return f"""
            WITH staged AS MATERIALIZED (
                SELECT s.line, s.external_id, {", ".join(resolved)}
                FROM {STAGE} s {" ".join(joins)}
            ), chunk AS MATERIALIZED (
                SELECT DISTINCT ON (c.external_id) c.*,
                    t.id IS NULL AS new,
                    t.id IS NOT NULL AND {same} AS unchanged{stored_member},
                    CASE
                        WHEN t.id IS NULL THEN true
                        WHEN t.writer = ANY(%(ours)s::bigint[]) THEN false
                        ELSE (SELECT 1 FROM {SEEN} x WHERE x.external_id = c.external_id) IS NULL
                    END AS first
                FROM staged c
                -- A lateral subquery kept apart (OFFSET 0): one look-up by the unique index
                -- per row, also while the table has no statistics yet (a plain join is then
                -- planned as reading all of the library's rows for every row).
                LEFT JOIN LATERAL (
                    SELECT t.id, t.xmin::text::bigint AS writer{"".join(f", t.{n}" for n in names)}
                    FROM {target.table} t
                    WHERE t.library_id = %(library)s AND t.external_id = c.external_id
                    OFFSET 0
                ) t ON true
                WHERE {known}
                ORDER BY c.external_id, c.line DESC
            ), remembered AS (
                INSERT INTO {SEEN} (external_id)
                SELECT external_id FROM chunk WHERE first AND unchanged
            ), {writes}
            SELECT
                (SELECT count(*) FROM chunk WHERE first),
                count(*) FILTER (WHERE inserted AND counted),
                count(*) FILTER (WHERE NOT inserted AND counted),
                {new_loans},
                {changed_loans},
                {moved_from},
                max(writer),
                (SELECT array_agg(c.line ORDER BY c.line) FROM staged c WHERE NOT ({known})){found}
            FROM written
        """

    def write(self, rows: list[StagedRow]) -> Written:
        written = Written()
        target = self.target
        parameters = {
            "library": target.library_id,
            "now": timezone.now(),
            "ours": self.ours,
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
            try:
                with transaction.atomic():
                    cursor.execute(self.upsert, parameters)
            except IntegrityError as error:
                if getattr(error.__cause__, "sqlstate", None) != UNIQUE_VIOLATION:
                    raise
                # Another import inserted one of this chunk's new ids after it looked.
                cursor.execute(self.upsert_on_conflict, parameters)
            (first, inserted, updated, new_loans, changed_loans, moved_from, writer, unknown,
             *found) = cursor.fetchone()  # fmt: skip
            cursor.execute(PLANNER, self.planner)
        if writer is not None and writer not in self.ours:
            self.ours.append(writer)
        if unknown:
            at = dict(rows)
            positions = [1 + target.attnames.index(name) for name in target.references]
            for line, *flags in zip(unknown, *found, strict=True):
                problems = [
                    target.reference_problem(attname, at[line][position])
                    for attname, position, known in zip(
                        target.references, positions, flags, strict=True
                    )
                    if not known
                ]
                written.unknown.append((line, "; ".join(problems)))
        written.inserted, written.updated = inserted, updated
        written.unchanged = first - inserted - updated
        written.repeated = len(rows) - len(written.unknown) - first
        written.members_with_new_loans = set(new_loans or ())
        written.members_with_changed_loans = set(changed_loans or ())
        written.moved_from = set(moved_from or ())
        return written

    def list_ids(self, ids: list[str]) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {LISTED} SELECT unnest(%s::text[]) ON CONFLICT DO NOTHING", [ids]
            )

    def end_absent_memberships(self, today: dt.date) -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Member._meta.db_table} m SET membership_ends_on = %s, updated_at = %s "
                "WHERE m.library_id = %s "
                "AND (m.membership_ends_on IS NULL OR m.membership_ends_on > %s) "
                f"AND NOT EXISTS (SELECT 1 FROM {LISTED} l WHERE l.external_id = m.external_id)",
                [today, timezone.now(), self.target.library_id, today],
            )
            return cursor.rowcount

    def close(self) -> None:
        with connection.cursor() as cursor:
            for table in (STAGE, SEEN, LISTED):
                cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{table}")
