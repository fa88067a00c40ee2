"""Batch upserts of members, items, loans and visits through the one import the CSV files, the staff
upload and the sync use (operations/imports.py: import_and_refresh): the same validation,
rejects and privacy gate. The rows' lines, counted by the import as if from a file with a
header (first row = line 2), are given back as the rows' places in the request."""

from collections.abc import Sequence

from pydantic import BaseModel

from patronflow.api.problems import FieldError, Problem, pointer
from patronflow.api.schemas import ImportOut, RowRejection
from patronflow.members.import_columns import kind_of
from patronflow.members.import_summary import ImportFileError
from patronflow.members.models import Library
from patronflow.operations.imports import import_and_refresh
from patronflow.privacy.audit import record
from patronflow.privacy.models import AuditEntry

FIRST_LINE = 2  # the import's line of the first row: the header is line 1
# Kinds whose rows are members' personal data: their writes are audit-logged.
AUDITED_TABLES = {"members": "members.member", "loans": "members.loan", "visits": "members.visit"}


def cells(rows: Sequence[BaseModel]) -> list[dict[str, str]]:
    """The rows as the import reads a file's: every row with the same columns (those any row
    gives, in the schema's order), each value as text; missing or null is an empty cell."""
    given = set().union(*(row.model_fields_set for row in rows)) if rows else set()
    columns = [name for name in type(rows[0]).model_fields if name in given] if rows else []
    return [{column: _text(getattr(row, column)) for column in columns} for row in rows]


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def upsert(*, library: Library, kind: str, rows: Sequence[BaseModel], operator: str) -> ImportOut:
    """Import the rows; Problem(422) when the import refuses them whole (a required column
    no row has). An empty request imports nothing and leaves no record."""
    if not rows:
        return ImportOut(
            kind=kind, rows=0, inserted=0, updated=0, unchanged=0, rejected=0, repeated=0,
            skipped={}, rejections=[], profiles_recomputed=None,
        )  # fmt: skip
    try:
        imported = import_and_refresh(
            library, kind, cells(rows), source=f"API ({operator})", actor=operator
        )
    except ImportFileError as error:
        raise Problem(
            422, str(error).replace("column", "field").replace("header", "request")
        ) from None
    summary = imported.summary
    written = summary.inserted + summary.updated
    if kind in AUDITED_TABLES and written:
        record(
            AuditEntry.Action.CHANGED, operator=operator, library=library,
            counts={AUDITED_TABLES[kind]: written},
        )  # fmt: skip
    return ImportOut(
        kind=kind,
        rows=summary.rows,
        inserted=summary.inserted,
        updated=summary.updated,
        unchanged=summary.unchanged,
        rejected=summary.rejected,
        repeated=summary.repeated,
        skipped=dict(summary.skipped_because),
        rejections=[
            _rejection(rejection.line - FIRST_LINE, rejection.reason, kind)
            for rejection in summary.rejections
        ],
        profiles_recomputed=imported.profiles_recomputed,
    )


def _rejection(index: int, reason: str, kind: str) -> RowRejection:
    """A rejected row with each of its problems at the field it is about (the import writes
    them as `column: problem` or `column is …`, and a loan's reference it cannot find as
    `unknown member '…'`, joined by "; ")."""
    starts = {}
    for column in kind_of(kind).columns:
        starts[f"{column.name}:"] = starts[f"{column.name} "] = column.name
        if column.refers_to is not None:
            starts[f"unknown {column.refers_to._meta.verbose_name} "] = column.name
    errors = []
    for problem in reason.split("; "):
        column = next((name for start, name in starts.items() if problem.startswith(start)), None)
        path = ["rows", index] + ([column] if column else [])
        errors.append(FieldError(pointer(path), problem))
    return RowRejection(
        index=index,
        reason=reason,
        errors=[{"field": e.field, "message": e.message} for e in errors],
    )
