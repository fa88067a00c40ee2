"""Importing a library-system export: members, items and loans, upserted on the library's ids.

`import_file` reads a CSV file (encoding, separator, physical line numbers) and hands its rows
to `import_rows`, which validates, upserts in batches and reports. Anything that has rows from
elsewhere — the demo's daily deltas — calls `import_rows` directly and gets the same rules.
The format is documented in docs/import-format.md.
"""

import codecs
import csv
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from django.db import models, transaction

from patronflow.members.models import Item, Library, Loan, Member
from patronflow.members.parsing import parse_boolean, parse_date, parse_email, parse_material

BATCH_SIZE = 2000
KEPT_REJECTIONS = 1000
PROGRESS_EVERY_ROWS = 1000

ProgressCallback = Callable[[int, int], None]


class ImportFileError(Exception):
    """The file as a whole cannot be imported (unreadable, no header, missing columns)."""


class SourceRow(dict):
    """One row as csv.DictReader gives it, plus the physical line of the file where it starts.

    As with DictReader, fields beyond the header are listed under the key None and fields
    missing at the end have the value None.
    """

    __slots__ = ("line",)

    def __init__(self, values: Mapping[str | None, object], line: int) -> None:
        super().__init__(values)
        self.line = line


@dataclass(frozen=True)
class Rejection:
    source: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.reason}"


@dataclass
class ImportSummary:
    """What one import did. Every row read is counted exactly once:
    rows == inserted + updated + unchanged + rejected + repeated."""

    source: str
    kind: str
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    # Rows whose id an earlier row of the same import already had; the last row won.
    repeated: int = 0
    # The first KEPT_REJECTIONS rejections in line order; `rejected` counts them all.
    rejections: list[Rejection] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    encoding: str = ""
    delimiter: str = ""

    @property
    def loaded(self) -> int:
        return self.inserted + self.updated + self.unchanged


@dataclass(frozen=True)
class Column:
    name: str
    attname: str
    parse: Callable[[str], object]
    required: bool = False
    # For loans: the column holds the library's id of a row of this model.
    refers_to: type[models.Model] | None = None


@dataclass(frozen=True)
class Kind:
    model: type[models.Model]
    columns: tuple[Column, ...]  # the first is the library's id for the row

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
}


def import_rows(
    library: Library,
    kind: str,
    rows: Iterable[dict[str, str]],
    source: str,
    *,
    columns: Sequence[str] | None = None,
) -> ImportSummary:
    """Upsert rows of one kind ("members", "items" or "loans") into a library.

    Rows are dicts keyed by the documented column names, as csv.DictReader gives them. A
    SourceRow carries its line in the file; for plain dicts the line is counted as if the
    rows came from a file with a header (first row = line 2). `columns` is the header; by
    default the first row's keys. A column that is absent is left alone on existing rows.

    Raises ImportFileError, before writing anything, when a required column is missing.
    """
    spec = _kind(kind)
    summary = ImportSummary(source=source, kind=kind)
    rows = iter(rows)
    first = next(rows, None)
    if first is None and columns is None:
        return summary
    header = [name for name in (first if columns is None else columns) if name is not None]
    present = _check_header(spec, kind, header)
    known = {column.name for column in spec.columns}
    summary.ignored_columns = [name for name in header if name and name not in known]
    if first is None:
        return summary

    written: set[str] = set()
    numbered = enumerate(itertools.chain([first], rows), start=2)
    while batch := list(itertools.islice(numbered, BATCH_SIZE)):
        _import_batch(library, spec, present, len(header), batch, written, summary)
    return summary


def import_file(
    library: Library, kind: str, path: str | Path, progress: ProgressCallback | None = None
) -> ImportSummary:
    """Import a CSV export: UTF-8 (with or without BOM), else Windows-1252/Latin-1; comma,
    semicolon or tab separated, as the header row shows.

    `progress(bytes_read, bytes_total)` is called while reading, for a progress bar. Rows
    are committed per batch: a broken CSV structure half-way (an unclosed quote) raises
    ImportFileError when reading gets there, and importing the corrected file again is safe.
    """
    path = Path(path)
    source = str(path)
    try:
        total = path.stat().st_size
        encoding = _encoding_of(path)
        with path.open(encoding=encoding, newline="") as text:
            delimiter = _delimiter_of(text.readline())
            text.seek(0)
            reader = csv.reader(text, delimiter=delimiter)
            header = next(reader, None)
            if header is None:
                raise ImportFileError(f"{source} is empty: a header row is expected")
            names = [name.strip().lower() for name in header]
            rows = _source_rows(reader, names, source, text, total, progress)
            summary = import_rows(library, kind, rows, source, columns=names)
    except OSError as error:
        raise ImportFileError(f"cannot read {source}: {error.strerror or error}") from None
    if progress:
        progress(total, total)
    summary.encoding = ENCODING_NAMES[encoding]
    summary.delimiter = delimiter
    return summary


ENCODING_NAMES = {"utf-8-sig": "UTF-8", "cp1252": "Windows-1252", "latin-1": "Latin-1"}


def _kind(kind: str) -> Kind:
    try:
        return KINDS[kind]
    except KeyError:
        expected = ", ".join(KINDS)
        raise ValueError(f"unknown import kind {kind!r}: expected one of {expected}") from None


def _encoding_of(path: Path) -> str:
    """UTF-8 when every byte decodes as UTF-8. Otherwise Windows-1252, which is what Windows
    tools write as "Latin-1" (equal for every letter, plus € and curly quotes), and strict
    Latin-1 for the few bytes that Windows-1252 leaves undefined."""
    for encoding in ("utf-8-sig", "cp1252"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with path.open("rb") as raw:
                while chunk := raw.read(1 << 20):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    return "latin-1"


def _delimiter_of(header_line: str) -> str:
    return max([",", ";", "\t"], key=header_line.count)


def _source_rows(
    reader, names: list[str], source: str, text, total: int, progress: ProgressCallback | None
) -> Iterator[SourceRow]:
    """Rows with the line they start on (a quoted value may span lines); blank lines skipped."""
    last_line = reader.line_num
    for count in itertools.count(1):
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise ImportFileError(
                f"{source}:{last_line + 1}: {error} (a quote that is never closed?). The import "
                "stopped there; rows before it may have been loaded"
            ) from None
        start, last_line = last_line + 1, reader.line_num
        if progress and count % PROGRESS_EVERY_ROWS == 0:
            progress(text.buffer.tell(), total)
        if not any(value.strip() for value in fields):
            continue
        values: dict[str | None, object] = dict(zip(names, fields, strict=False))
        if len(fields) > len(names):
            values[None] = fields[len(names) :]
        else:
            values.update(dict.fromkeys(names[len(fields) :]))
        yield SourceRow(values, start)


def _check_header(spec: Kind, kind: str, header: list[str]) -> list[Column]:
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


class _RowError(ValueError):
    pass


def _read_row(
    spec: Kind, columns: list[Column], width: int, row: Mapping
) -> tuple[str, dict[str, object]]:
    """The row's id and its values by model attribute, or _RowError with every problem."""
    if None in row or any(row.get(column.name) is None for column in columns):
        given = sum(value is not None for key, value in row.items() if key is not None)
        given += len(row.get(None, ()))
        raise _RowError(
            f"has {given} fields where the header has {width} "
            "(a separator in a value that is not quoted, or a quote that is never closed?)"
        )
    problems = []
    values: dict[str, object] = {}
    for column in columns:
        text = row[column.name].strip()
        if column.required and not text:
            problems.append(f"{column.name} is empty")
            continue
        try:
            value = column.parse(text)
        except ValueError as error:
            problems.append(f"{column.name}: {error}")
            continue
        if isinstance(value, str) and (problem := _text_problem(spec, column, value)):
            problems.append(problem)
            continue
        values[column.attname] = value
    if problems:
        raise _RowError("; ".join(problems))
    return values.pop(spec.key.attname), values


def _text_problem(spec: Kind, column: Column, value: str) -> str | None:
    if "\x00" in value:
        return f"{column.name} contains a NUL character"
    if column.refers_to:
        max_length = column.refers_to._meta.get_field("external_id").max_length
    else:
        max_length = spec.model._meta.get_field(column.attname).max_length
    if max_length and len(value) > max_length:
        return f"{column.name} is longer than {max_length} characters"
    return None


def _import_batch(
    library: Library,
    spec: Kind,
    columns: list[Column],
    width: int,
    batch: list[tuple[int, Mapping]],
    written: set[str],
    summary: ImportSummary,
) -> None:
    rejections: list[Rejection] = []
    valid: list[tuple[int, str, dict[str, object]]] = []
    for position, row in batch:
        line = row.line if isinstance(row, SourceRow) else position
        try:
            external_id, values = _read_row(spec, columns, width, row)
        except _RowError as error:
            rejections.append(Rejection(summary.source, line, str(error)))
        else:
            valid.append((line, external_id, values))
    summary.rows += len(batch)

    references = [column for column in columns if column.refers_to]
    if references:
        valid = _resolve_references(library, references, valid, rejections, summary.source)

    latest: dict[str, dict[str, object]] = {}
    for _, external_id, values in valid:
        if external_id in latest or external_id in written:
            summary.repeated += 1
        latest[external_id] = values
    _upsert(library, spec, columns, latest, written, summary)
    written.update(latest)

    summary.rejected += len(rejections)
    room = KEPT_REJECTIONS - len(summary.rejections)
    summary.rejections.extend(sorted(rejections, key=lambda r: r.line)[: max(room, 0)])


def _resolve_references(
    library: Library,
    references: list[Column],
    valid: list[tuple[int, str, dict[str, object]]],
    rejections: list[Rejection],
    source: str,
) -> list[tuple[int, str, dict[str, object]]]:
    """Swap the library's member and item ids for primary keys, one query per column;
    a loan of a member or item that this library does not have is rejected."""
    known: dict[str, dict[str, int]] = {}
    for column in references:
        wanted = {values[column.attname] for _, _, values in valid}
        known[column.attname] = dict(
            column.refers_to.objects.filter(library=library, external_id__in=wanted).values_list(
                "external_id", "pk"
            )
        )
    resolved = []
    for line, external_id, values in valid:
        problems = []
        for column in references:
            their_id = values[column.attname]
            if their_id in known[column.attname]:
                values[column.attname] = known[column.attname][their_id]
            else:
                problems.append(f"unknown {column.refers_to._meta.verbose_name} {their_id!r}")
        if problems:
            rejections.append(Rejection(source, line, "; ".join(problems)))
        else:
            resolved.append((line, external_id, values))
    return resolved


def _upsert(
    library: Library,
    spec: Kind,
    columns: list[Column],
    latest: dict[str, dict[str, object]],
    written: set[str],
    summary: ImportSummary,
) -> None:
    """Insert the new rows, update the changed ones and leave the rest untouched; counts go
    to the first occurrence of an id in this import (later ones are `repeated`)."""
    model = spec.model
    meta = model._meta
    attnames = [c.attname for c in columns if c is not spec.key]
    touched = [f for f in meta.concrete_fields if getattr(f, "auto_now", False)]
    # Plain tuples rather than model instances: most rows of a nightly import are unchanged.
    existing = {
        external_id: (pk, stored)
        for external_id, pk, *stored in model.objects.filter(
            library=library, external_id__in=latest
        ).values_list("external_id", "pk", *attnames)
    }
    new, changed = [], []
    for external_id, values in latest.items():
        first_time = external_id not in written
        pk, stored = existing.get(external_id, (None, None))
        if pk is None:
            new.append(model(library=library, external_id=external_id, **values))
            summary.inserted += first_time
        elif stored != [values[name] for name in attnames]:
            row = model(pk=pk, library=library, external_id=external_id, **values)
            for auto_field in touched:
                auto_field.pre_save(row, add=False)
            changed.append(row)
            summary.updated += first_time
        else:
            summary.unchanged += first_time

    if not new and not changed:
        return
    update_fields = [meta.get_field(name).name for name in attnames] + [f.name for f in touched]
    with transaction.atomic():
        if new:
            # A concurrent import of the same library may have inserted the id meanwhile.
            model.objects.bulk_create(
                new,
                update_conflicts=True,
                unique_fields=["library", "external_id"],
                update_fields=update_fields,
            )
        if changed:
            model.objects.bulk_update(changed, update_fields)
