"""The columns of each kind of row, and how a row's fields become values or the reasons it is
rejected."""

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from django.db import models

from patronflow.members.import_files import Unreadable
from patronflow.members.import_summary import ImportFileError
from patronflow.members.models import Item, Loan, Member, Visit
from patronflow.members.parsing import (
    parse_boolean,
    parse_channel,
    parse_date,
    parse_email,
    parse_material,
)


class ColumnMapping(Protocol):
    """A library system's preset (presets.py): its headers and codes in patronflow's words."""

    encoding: str | None
    delimiter: str | None

    def header_for(self, kind: str, header: list[str]) -> list[str]: ...

    def value_for(self, kind: str, column: str, value: str) -> str: ...


@dataclass(frozen=True)
class Column:
    name: str
    attname: str
    parse: Callable[[str], object]
    required: bool = False
    # For loans and visits: the column holds the library's id of a row of this model.
    refers_to: type[models.Model] | None = None


@dataclass(frozen=True)
class Kind:
    model: type[models.Model]
    # The first is the library's id for the row; a visit has none, its member comes first
    # (a visit is the member, day and channel: import_visits.py).
    columns: tuple[Column, ...]

    @property
    def key(self) -> Column:
        return self.columns[0]


def _text(text: str) -> str:
    return text


def _online_profile(text: str) -> bool:
    return parse_boolean(text) or False


KINDS: dict[str, Kind] = {
    "members": Kind(
        Member,
        (
            Column("member_id", "external_id", _text, required=True),
            Column("first_name", "first_name", _text, required=True),
            Column("last_name", "last_name", _text),
            Column("email", "email", parse_email),
            Column("birth_date", "birth_date", parse_date),
            Column("registered_on", "registered_on", parse_date, required=True),
            Column("last_activity_on", "last_activity_on", parse_date),
            Column("online_profile", "has_online_profile", _online_profile),
            Column("membership_ends_on", "membership_ends_on", parse_date),
        ),
    ),
    "items": Kind(
        Item,
        (
            Column("item_id", "external_id", _text, required=True),
            Column("title", "title", _text, required=True),
            Column("author", "author", _text),
            Column("isbn", "isbn", _text),
            Column("material", "material", parse_material),
            Column("siso", "siso", _text),
            Column("nur", "nur", _text),
            Column("genre", "genre", _text),
            Column("fiction", "is_fiction", parse_boolean),
            Column("literary_form", "literary_form", _text),
            Column("thema", "thema", _text),
        ),
    ),
    "loans": Kind(
        Loan,
        (
            Column("loan_id", "external_id", _text, required=True),
            Column("member_id", "member_id", _text, required=True, refers_to=Member),
            Column("item_id", "item_id", _text, required=True, refers_to=Item),
            Column("loaned_on", "loaned_on", parse_date, required=True),
        ),
    ),
    "visits": Kind(
        Visit,
        (
            Column("member_id", "member_id", _text, required=True, refers_to=Member),
            Column("visited_on", "visited_on", parse_date, required=True),
            Column("channel", "channel", parse_channel),
        ),
    ),
}


def kind_of(kind: str) -> Kind:
    """The kind by its name ("members", "items", "loans" or "visits")."""
    try:
        return KINDS[kind]
    except KeyError:
        expected = ", ".join(KINDS)
        raise ValueError(f"unknown import kind {kind!r}: expected one of {expected}") from None


def check_header(spec: Kind, kind: str, header: list[str]) -> list[Column]:
    """The kind's columns the header has, or ImportFileError before anything is written."""
    repeated = sorted({name for name in header if name and header.count(name) > 1})
    if repeated:
        raise ImportFileError(
            f"column {', '.join(repeated)} appears more than once in the header; "
            "nothing was imported"
        )
    missing = [c.name for c in spec.columns if c.required and c.name not in header]
    if missing:
        plural = "s" if len(missing) > 1 else ""
        raise ImportFileError(
            f"missing required column{plural} {', '.join(missing)} for an import of {kind}; "
            f"the header has: {', '.join(header) or '(nothing)'}. Nothing was imported"
        )
    return [column for column in spec.columns if column.name in header]


class RowError(ValueError):
    """A row that is rejected, with every problem it has."""


@dataclass(frozen=True)
class Cell:
    """How to read one column of this file: where it is and what it may hold."""

    column: Column
    index: int
    max_length: int | None
    translate: Callable[[str], str] | None


def cells_of(
    spec: Kind, kind: str, columns: list[Column], header: list[str], preset: ColumnMapping | None
) -> list[Cell]:
    cells = []
    for column in columns:
        if column.parse is not _text:
            max_length = None
        elif column.refers_to:
            max_length = column.refers_to._meta.get_field("external_id").max_length
        else:
            max_length = spec.model._meta.get_field(column.attname).max_length
        translate = functools.partial(preset.value_for, kind, column.name) if preset else None
        cells.append(Cell(column, header.index(column.name), max_length, translate))
    return cells


def read_row(cells: list[Cell], width: int, fields: list[str | None]) -> list[object]:
    """The row's values, the library's id first, or RowError with every problem."""
    if isinstance(fields, Unreadable):
        raise RowError(fields.reason)
    if len(fields) != width or None in fields:
        given = sum(value is not None for value in fields)
        raise RowError(
            f"has {given} fields where the header has {width} "
            "(a separator in a value that is not quoted, or a quote that is never closed?)"
        )
    problems = []
    values: list[object] = []
    for cell in cells:
        text = fields[cell.index]
        if cell.translate:
            text = cell.translate(text)
        text = text.strip()
        column = cell.column
        if not text and column.required:
            problems.append(f"{column.name} is empty")
            continue
        if cell.max_length is not None:
            if len(text) > cell.max_length:
                problems.append(f"{column.name} is longer than {cell.max_length} characters")
            elif "\x00" in text:
                problems.append(f"{column.name} contains a NUL character")
            else:
                values.append(text)
            continue
        try:
            values.append(column.parse(text))
        except ValueError as error:
            problems.append(f"{column.name}: {error}")
    if problems:
        raise RowError("; ".join(problems))
    return values
