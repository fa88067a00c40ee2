"""What the import's database writers share: the table a chunk goes into and what it did.

`imports.py` reads and validates rows the same way for every database; a writer per database
(`bulk_sqlite.py`: batched executemany; `copy_postgres.py`: COPY into a staging table and one
set-based upsert) stores a chunk of valid rows, resolves a loan's member and item, and tells
which ids this import has already written, so repeats are counted however far apart they are
in the file — without holding a file's ids in memory: they go to a temporary table (on
PostgreSQL only the unchanged ones; the rows it wrote carry its transaction ids). A
snapshot's ids go to a temporary table of their own (LISTED) before anything is written.
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol

from django.db import connection, models

from patronflow.members.models import Member

# The temporary table of the ids a snapshot lists, on either database.
LISTED = "pf_import_listed"

# A chunk row: the line it starts on, its values (the library's id first, then the columns
# of Target.attnames; a loan's member and item still as the library's ids).
StagedRow = tuple[int, list[object]]


@dataclass(frozen=True)
class Target:
    """The table rows of one kind go into, and which of its columns the file carries."""

    library_id: int
    model: type[models.Model]
    attnames: tuple[str, ...]
    # attname -> the model whose library id the column holds (loans: member_id, item_id).
    references: dict[str, type[models.Model]] = field(default_factory=dict)

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    @property
    def touched(self) -> list[models.Field]:
        """Fields stamped on every write (Member.updated_at)."""
        return [f for f in self.model._meta.concrete_fields if getattr(f, "auto_now", False)]

    @property
    def defaults(self) -> dict[str, object]:
        """Values a new row gets for the columns the file does not carry."""
        skipped = {"id", "library_id", "external_id", *self.attnames}
        skipped.update(f.attname for f in self.touched)
        return {
            f.attname: f.get_default()
            for f in self.model._meta.concrete_fields
            if f.attname not in skipped
        }

    def reference_problem(self, attname: str, their_id: str) -> str:
        return f"unknown {self.references[attname]._meta.verbose_name} {their_id!r}"


@dataclass
class Written:
    """What writing one chunk did; counts are for ids met for the first time in this import,
    every later row with the same id is `repeated` (and the last one wins)."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    repeated: int = 0
    # (line, reason) of rows whose member or item the library does not have.
    unknown: list[tuple[int, str]] = field(default_factory=list)
    members_with_new_loans: set[int] = field(default_factory=set)
    # Members of loans changed in place (another member, item or date), before and after.
    members_with_changed_loans: set[int] = field(default_factory=set)


class Writer(Protocol):
    chunk_rows: int
    chunks_per_transaction: int

    def write(self, rows: list[StagedRow]) -> Written: ...

    def list_ids(self, ids: list[str]) -> None:
        """Ids a snapshot lists (its rejected rows' too: still members, so not to be ended)."""

    def end_absent_memberships(self, today: dt.date) -> int:
        """Ends the running memberships of the members the snapshot did not list."""

    def close(self) -> None: ...


def writer_for(target: Target) -> Writer:
    """The fast path of the database in use."""
    if connection.vendor == "postgresql":
        from patronflow.members.copy_postgres import PostgresWriter

        return PostgresWriter(target)
    from patronflow.members.bulk_sqlite import SqliteWriter

    return SqliteWriter(target)


@dataclass(frozen=True)
class SnapshotFigures:
    """A snapshot's members against the library's, counted before anything is written."""

    listed: int  # distinct member ids in the file, rejected rows' included
    shared: int  # of those, the ids of members the library has
    members: int  # the library's members, whether their membership runs or ended
    running: int  # the library's running memberships
    ending: int  # running memberships of members the file leaves out: what it would end

    @property
    def ended_share(self) -> float:
        return self.ending / self.running if self.running else 0.0

    @property
    def shared_share(self) -> float:
        return self.shared / self.listed if self.listed else 0.0


def snapshot_figures(library_id: int, today: dt.date) -> SnapshotFigures:
    """The ids listed so far (LISTED) against the library's members, running on `today` when
    their membership has no end or ends after it — what end_absent_memberships would end."""
    running = "(m.membership_ends_on IS NULL OR m.membership_ends_on > %s)"
    day = connection.ops.adapt_datefield_value(today)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT count(*) FROM {LISTED}), count(l.external_id), count(*), "
            f"coalesce(sum(CASE WHEN {running} THEN 1 ELSE 0 END), 0), "
            f"coalesce(sum(CASE WHEN {running} AND l.external_id IS NULL THEN 1 ELSE 0 END), 0) "
            f"FROM {Member._meta.db_table} m "
            f"LEFT JOIN {LISTED} l ON l.external_id = m.external_id WHERE m.library_id = %s",
            [day, day, library_id],
        )
        return SnapshotFigures(*cursor.fetchone())
