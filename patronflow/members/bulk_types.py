"""What the import's database writers share: the table a chunk goes into, its rows, what
writing them did, and the interface every writer has (bulk.py picks the database's writer)."""

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol

from django.db import models

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
    # The stored dates of loans moved to another date: days whose counts lost a loan.
    moved_from: set[dt.date] = field(default_factory=set)


class Writer(Protocol):
    chunk_rows: int
    chunks_per_transaction: int

    def write(self, rows: list[StagedRow]) -> Written: ...

    def list_ids(self, ids: list[str]) -> None:
        """Ids a snapshot lists (its rejected rows' too: still members, so not to be ended)."""

    def end_absent_memberships(self, today: dt.date) -> int:
        """Ends the running memberships of the members the snapshot did not list."""

    def close(self) -> None: ...
