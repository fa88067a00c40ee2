"""The row loader: rows validated a chunk at a time, let through the gate, written by the
database's writer, and counted; the rejected ones listed and written to the rejects file."""

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Protocol

from django.db import transaction

from patronflow.members.bulk_types import StagedRow, Writer, Written
from patronflow.members.import_columns import Cell, RowError, read_row
from patronflow.members.import_files import RawRow, RejectsFile, as_csv
from patronflow.members.import_summary import KEPT_REJECTIONS, ImportSummary, Rejection
from patronflow.members.latest_loans import note_latest_loans
from patronflow.members.models import Library

# A chunk ends at its writer's number of rows or at this much of the file's text.
CHUNK_CHARS = 32 << 20
# The kinds whose rows are activity on a day, and the column holding the day.
ACTIVITY_DAY = {"loans": "loaned_on", "visits": "visited_on"}


class Gate(Protocol):
    """What a later stage asks of the members and loans rows before they are written
    (privacy/gate.py): which to keep out and why, and what to store of what they said. The
    import takes it as an argument so that members imports no later stage."""

    def member_skipped(self, external_id: str, registered_on: dt.date | None) -> str | None:
        """Why this member row is skipped, or None to load it."""

    def loan_skipped(self, member_id: str, loaned_on: dt.date) -> str | None:
        """Why this loan row is skipped, or None to load it (`member_id`: the library's)."""

    def visit_skipped(self, member_id: str, visited_on: dt.date) -> str | None:
        """Why this visit row is skipped, or None to load it (`member_id`: the library's)."""

    def unknown_member_skipped(self, member_id: str) -> str | None:
        """Why a loan of a member the library does not hold is skipped, or None to reject it."""

    def addresses_seen(self, addresses: Iterable[str]) -> None:
        """The addresses of the members rows about to be written."""

    def write(self) -> None:
        """Store what the rows so far said, in the chunk's transaction."""


# Called in a chunk's transaction with the members of the loans it changed in place (another
# member, item or date under the same loan id), before and after: the reading profiles mark
# them for a recount, committed with the change.
LoansChanged = Callable[[Library, set[int]], object]


def load(
    library: Library,
    kind: str,
    cells: list[Cell],
    width: int,
    rows: Iterator[RawRow],
    writer: Writer,
    rejects: str | Path | None,
    summary: ImportSummary,
    gate: Gate,
    loans_changed: LoansChanged,
) -> None:
    """Validates and writes the rows a chunk at a time, many chunks to a transaction."""
    rejects_file = RejectsFile(Path(rejects) if rejects else None)
    chunk_gate = _ChunkGate(gate, kind, cells) if kind != "items" else None
    try:
        chunks = iter(functools.partial(_take, rows, writer.chunk_rows), [])
        pending = True
        while pending:
            with transaction.atomic():
                for _ in range(writer.chunks_per_transaction):
                    chunk = next(chunks, None)
                    if chunk is None:
                        pending = False
                        break
                    _import_chunk(
                        library, cells, width, chunk, writer, rejects_file, summary,
                        chunk_gate, loans_changed,
                    )  # fmt: skip
    finally:
        rejects_file.close()
    if rejects_file.writer is not None:
        summary.rejects_file = rejects_file.path


def _take(rows: Iterator[RawRow], size: int) -> list[RawRow]:
    """The next chunk: `size` rows, or fewer when they hold CHUNK_CHARS of text."""
    chunk: list[RawRow] = []
    held = 0
    for row in rows:
        chunk.append(row)
        held += len(row[2] or "")
        if len(chunk) == size or held >= CHUNK_CHARS:
            break
    return chunk


class _ChunkGate:
    """The gate applied to a chunk's staged rows."""

    def __init__(self, gate: Gate, kind: str, cells: list[Cell]) -> None:
        self.gate = gate
        self.kind = kind
        self.position = {cell.column.attname: n for n, cell in enumerate(cells)}

    def _reason(self, values: list[object]) -> str | None:
        at = self.position
        if self.kind == "members":
            return self.gate.member_skipped(values[0], values[at["registered_on"]])
        if self.kind == "visits":
            return self.gate.visit_skipped(values[at["member_id"]], values[at["visited_on"]])
        return self.gate.loan_skipped(values[at["member_id"]], values[at["loaned_on"]])

    def admit(self, staged: list[StagedRow], summary: ImportSummary) -> list[StagedRow]:
        """The rows to write; the others are counted as skipped."""
        admitted = []
        for row in staged:
            reason = self._reason(row[1])
            if reason is None:
                admitted.append(row)
            else:
                summary.skipped_because[reason] = summary.skipped_because.get(reason, 0) + 1
        if self.kind == "members" and "email" in self.position:
            self.gate.addresses_seen(values[self.position["email"]] for _, values in admitted)
        return admitted

    def members_of(self, staged: list[StagedRow]) -> dict[int, str]:
        """Line → the library's member id, before the writer resolves it (loans, visits)."""
        if self.kind not in ACTIVITY_DAY:
            return {}
        return {line: values[self.position["member_id"]] for line, values in staged}

    def unknown_skipped(self, member_id: str, summary: ImportSummary) -> bool:
        reason = self.gate.unknown_member_skipped(member_id)
        if reason is not None:
            summary.skipped_because[reason] = summary.skipped_because.get(reason, 0) + 1
        return reason is not None


def _import_chunk(
    library: Library,
    cells: list[Cell],
    width: int,
    chunk: list[RawRow],
    writer: Writer,
    rejects_file: RejectsFile,
    summary: ImportSummary,
    gate: _ChunkGate | None,
    loans_changed: LoansChanged,
) -> None:
    staged: list[StagedRow] = []
    rejected: list[tuple[int, str, str]] = []
    for line, fields, original in chunk:
        try:
            staged.append((line, read_row(cells, width, fields)))
        except RowError as error:
            rejected.append((line, str(error), original or as_csv(fields)))
    summary.rows += len(chunk)
    members_of: dict[int, str] = {}
    days: list[dt.date] = []
    if gate is not None:
        staged = gate.admit(staged, summary)
        members_of = gate.members_of(staged)
        if gate.kind in ACTIVITY_DAY:
            day = gate.position[ACTIVITY_DAY[gate.kind]]
            days = [values[day] for _, values in staged]
    written = writer.write(staged) if staged else Written()
    if written.inserted or written.updated or written.repeated:
        # Only a chunk that wrote something (a repeat may have) changes a day's counts: a
        # nightly export of the whole history recounts the days of its new rows' chunks.
        summary.took_in(days)
    if written.members_with_new_loans or written.members_with_changed_loans:
        note_latest_loans(written.members_with_new_loans | written.members_with_changed_loans)
    if written.members_with_changed_loans:
        # In the chunk's transaction: a recount is due exactly when the change is committed.
        loans_changed(library, written.members_with_changed_loans)
    if gate is not None:
        gate.gate.write()
    if written.unknown:
        rows = {line: (original, fields) for line, fields, original in chunk}
        for line, reason in written.unknown:
            if gate is not None and gate.unknown_skipped(members_of[line], summary):
                continue
            original, fields = rows[line]
            rejected.append((line, reason, original or as_csv(fields)))
        rejected.sort()
    summary.inserted += written.inserted
    summary.updated += written.updated
    summary.unchanged += written.unchanged
    summary.repeated += written.repeated
    summary.members_with_new_loans |= written.members_with_new_loans
    summary.members_with_changed_loans |= written.members_with_changed_loans
    summary.moved_from |= written.moved_from
    summary.rejected += len(rejected)
    rejects_file.write(rejected)
    room = KEPT_REJECTIONS - len(summary.rejections)
    summary.rejections.extend(
        Rejection(summary.source, line, reason) for line, reason, _ in rejected[: max(room, 0)]
    )
