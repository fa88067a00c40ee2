"""Importing a library-system export: members, items and loans, upserted on the library's ids.

`import_file` reads a CSV file (encoding, separator, physical line numbers, the original text
of each row) and hands its rows to the same engine as `import_rows`, which anything with rows
from elsewhere — the demo's daily deltas — calls directly. The engine streams: rows are
validated here, the same way for every database, and written a chunk at a time by the
database's fast path (bulk.py), so memory stays bounded however long the file is. The
format is documented in docs/import-format.md.
"""

import codecs
import csv
import datetime as dt
import functools
import io
import itertools
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TextIO

from django.db import models, transaction
from django.utils import timezone

from patronflow.members.bulk import (
    SnapshotFigures,
    StagedRow,
    Target,
    Written,
    snapshot_figures,
    writer_for,
)
from patronflow.members.models import Item, Library, Loan, Member
from patronflow.members.parsing import parse_boolean, parse_date, parse_email, parse_material
from patronflow.members.presets import PresetError, load_preset
from patronflow.privacy.services import ImportGate
from patronflow.profiles.services import recount_at_next_refresh
from patronflow.spreadsheets import SpreadsheetWriter

KEPT_REJECTIONS = 1000
PROGRESS_EVERY_ROWS = 10_000
# The longest row a file may have, line breaks included (a quoted value may span lines): a
# longer row is rejected, and only its beginning is ever held, so that reading takes bounded
# memory however the file is made. Values are bounded by their columns' lengths as well.
MAX_ROW_CHARS = 65_536
# How much of a row too long to keep the rejects file and the summary show.
SHOWN_CHARS = 1_000
# A chunk ends at its writer's number of rows or at this much of the file's text.
CHUNK_CHARS = 32 << 20
# A snapshot refused unless forced: it would end more than this share of the library's
# running memberships (by default; `max_ended`), or the library knows fewer than this
# share of the ids it lists (a file of another library).
MAX_ENDED_SHARE = 0.10
MIN_SHARED_SHARE = 0.5

ProgressCallback = Callable[[int, int], None]


class ImportFileError(Exception):
    """The file as a whole cannot be imported (unreadable, no header, missing columns)."""


class SnapshotRefused(ImportFileError):
    """A snapshot that looks like the wrong file (another library's, or a partial export):
    refused before anything is written. The figures say why."""

    def __init__(self, source: str, figures: SnapshotFigures, max_ended: float) -> None:
        self.figures = figures
        self.max_ended = max_ended
        f = figures
        super().__init__(
            f"{source} was not imported as a snapshot: of its {f.listed:,} member ids "
            f"{f.shared:,} are members of the library ({percent(f.shared_share)}; at least "
            f"{percent(MIN_SHARED_SHARE)} should be), and it would end {f.ending:,} of the "
            f"library's {f.running:,} running memberships ({percent(f.ended_share)}; at most "
            f"{percent(max_ended)} may end). Is it this library's complete membership? Nothing "
            "was imported. If the file is right, import it again with --force-snapshot, or "
            "allow a larger share with --max-ended"
        )


def percent(share: float) -> str:
    """A share as people write it: 10%, 12.5%, 0.3%."""
    return f"{share * 100:.1f}".removesuffix(".0") + "%"


class ColumnMapping(Protocol):
    """A library system's preset (presets.py): its headers and codes in patronflow's words."""

    encoding: str | None
    delimiter: str | None

    def header_for(self, kind: str, header: list[str]) -> list[str]: ...

    def value_for(self, kind: str, column: str, value: str) -> str: ...


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
    rows == inserted + updated + unchanged + rejected + repeated + skipped."""

    source: str
    kind: str
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    # Rows whose id an earlier row of the same import already had; the last row won.
    repeated: int = 0
    # Rows privacy keeps out (privacy.services.ImportGate), per reason: members erased at
    # their request and their loans, loans older than the loan history kept. Only counted:
    # not listed, not in the rejects file.
    skipped_because: dict[str, int] = field(default_factory=dict)
    # The first KEPT_REJECTIONS rejections in line order; `rejected` counts them all, and the
    # rejects file (when there is one) has every one with its original text.
    rejections: list[Rejection] = field(default_factory=list)
    rejects_file: Path | None = None
    ignored_columns: list[str] = field(default_factory=list)
    encoding: str = ""
    delimiter: str = ""
    # Primary keys of members who got a loan they did not have before: after a delta load
    # only their reading profiles need recomputing.
    members_with_new_loans: set[int] = field(default_factory=set)
    # Primary keys of the members of loans this import changed in place (another member,
    # item or date under the same loan id), before and after: the difference the daily
    # refresh works by cannot see such a change, so their profiles are marked for a recount.
    members_with_changed_loans: set[int] = field(default_factory=set)
    # Snapshot imports: memberships ended because the member was absent from the file.
    snapshot: bool = False
    memberships_ended: int = 0

    @property
    def loaded(self) -> int:
        return self.inserted + self.updated + self.unchanged

    @property
    def skipped(self) -> int:
        return sum(self.skipped_because.values())


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
}


def import_rows(
    library: Library,
    kind: str,
    rows: Iterable[Mapping[str | None, object]],
    source: str,
    *,
    columns: Sequence[str] | None = None,
    preset: ColumnMapping | None = None,
    rejects: str | Path | None = None,
    snapshot: bool = False,
    max_ended: float = MAX_ENDED_SHARE,
    force_snapshot: bool = False,
    today: dt.date | None = None,
) -> ImportSummary:
    """Upsert rows of one kind ("members", "items" or "loans") into a library.

    Rows are dicts keyed by the documented column names, as csv.DictReader gives them. A
    SourceRow carries its line in the file; for plain dicts the line is counted as if the
    rows came from a file with a header (first row = line 2). `columns` is the header; by
    default the first row's keys. A column that is absent is left alone on existing rows.
    `rejects` names a CSV file for the rejected rows; `snapshot` (members only) ends the
    membership of the library's members that the rows do not list — unless that would end
    more than `max_ended` of them or the rows are not the library's (SnapshotFigures),
    which `force_snapshot` overrides. A snapshot's rows are read twice, so they are kept
    in a list.

    Raises ImportFileError, before writing anything, when a required column is missing, and
    SnapshotRefused when a snapshot is refused.
    """
    if snapshot:
        rows = list(rows)
        first = rows[0] if rows else None
    else:
        rows = iter(rows)
        first = next(rows, None)
        rows = () if first is None else itertools.chain([first], rows)
    if first is None and columns is None:
        _kind(kind)
        return ImportSummary(source=source, kind=kind, snapshot=snapshot)
    given = [name for name in (first if columns is None else columns) if name is not None]
    # A preset may rename the headers; the rows keep theirs, so they are read by position.
    header = preset.header_for(kind, given) if preset is not None else given
    staged = (_dict_row(position, row, given) for position, row in enumerate(rows, start=2))
    listing = (
        (_dict_row(n, row, given) for n, row in enumerate(rows, start=2)) if snapshot else None
    )
    return _import(
        library, kind, header, staged, source, preset=preset, rejects=rejects,
        snapshot=_Snapshot(listing, max_ended, force_snapshot) if snapshot else None,
        today=today,
    )  # fmt: skip


def import_file(
    library: Library,
    kind: str,
    path: str | Path,
    progress: ProgressCallback | None = None,
    *,
    encoding: str | None = None,
    preset: ColumnMapping | str | None = None,
    rejects: str | Path | None = None,
    snapshot: bool = False,
    max_ended: float = MAX_ENDED_SHARE,
    force_snapshot: bool = False,
    today: dt.date | None = None,
    on_rows: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Import a CSV export: UTF-8 (with or without BOM) or UTF-16 (by its BOM), else
    Windows-1252/Latin-1, unless `encoding` (or the preset) says which; comma, semicolon or
    tab separated, as the header row shows (or the preset says).

    `preset` is a ColumnMapping or the name or path of a preset (presets.py). Rejected rows
    go to `rejects`, by default `FILE.rejects.csv` beside the file, written only when a row
    is rejected. `progress(bytes_read, bytes_total)` and `on_rows(rows_read)` are called
    while reading, for a progress bar. Rows are committed per chunk; a row longer than
    MAX_ROW_CHARS is rejected like any other bad row. A snapshot is read twice: its ids are
    counted against the library's before anything is written (see import_rows).
    """
    path = Path(path)
    source = str(path)
    if isinstance(preset, str):
        preset = _load_preset(preset)
    encoding = encoding or (preset.encoding if preset else None)
    rejects = Path(rejects) if rejects else path.with_name(f"{path.name}.rejects.csv")
    try:
        total = path.stat().st_size
        encoding = _checked_encoding(encoding) if encoding else _encoding_of(path)
        _check_writable(rejects)
        header, delimiter = _header_of(path, source, encoding, preset.delimiter if preset else None)
        if preset is not None:
            header = preset.header_for(kind, header)
        rows = _file_rows(path, encoding, delimiter, total, progress, on_rows)
        listing = _file_rows(path, encoding, delimiter, total, None, None) if snapshot else None
        summary = _import(
            library, kind, header, rows, source, preset=preset, rejects=rejects,
            snapshot=_Snapshot(listing, max_ended, force_snapshot) if snapshot else None,
            today=today,
        )  # fmt: skip
    except OSError as error:
        raise ImportFileError(f"cannot read {source}: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise ImportFileError(
            f"{source} is not {ENCODING_NAMES.get(encoding, encoding)}: {error.reason} "
            f"(byte {error.object[error.start : error.end]!r}). Name the file's encoding with "
            "--encoding, or leave it out to have it detected; rows before it may have been loaded"
        ) from None
    if progress:
        progress(total, total)
    summary.encoding = ENCODING_NAMES.get(encoding, encoding)
    summary.delimiter = delimiter
    return summary


ENCODING_NAMES = {
    "utf-8-sig": "UTF-8",
    "utf-16": "UTF-16",
    "cp1252": "Windows-1252",
    "latin-1": "Latin-1",
}


def _kind(kind: str) -> Kind:
    try:
        return KINDS[kind]
    except KeyError:
        expected = ", ".join(KINDS)
        raise ValueError(f"unknown import kind {kind!r}: expected one of {expected}") from None


def _load_preset(name_or_path: str) -> ColumnMapping:
    try:
        return load_preset(name_or_path)
    except PresetError as error:
        raise ImportFileError(str(error)) from None


def _checked_encoding(encoding: str) -> str:
    """The codec's own name for an encoding given by hand; UTF-8 also skips a BOM."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise ImportFileError(f"{encoding!r} is not an encoding Python knows") from None
    return {"utf-8": "utf-8-sig", "iso8859-1": "latin-1"}.get(name, name)


def _check_writable(rejects: Path) -> None:
    folder = rejects.parent
    if not os.access(folder, os.W_OK):
        raise ImportFileError(
            f"cannot write the rejects file {rejects}: the folder is not writable "
            "(name another place with --rejects PATH)"
        )


def _encoding_of(path: Path) -> str:
    """UTF-16 when the file starts with its byte-order mark (what Excel saves as "Unicode
    text"). Else UTF-8 when every byte decodes as UTF-8. Otherwise Windows-1252, which is
    what Windows tools write as "Latin-1" (equal for every letter, plus € and curly quotes),
    and strict Latin-1 for the few bytes that Windows-1252 leaves undefined."""
    with path.open("rb") as raw:
        if raw.read(2) in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
            return "utf-16"
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


def _header_of(
    path: Path, source: str, encoding: str, delimiter: str | None
) -> tuple[list[str], str]:
    """The header row and the separator: the one given, else the one the header line has
    most of."""
    with path.open(encoding=encoding, newline="") as text:
        first_line = text.readline(MAX_ROW_CHARS + 1)
        if not first_line:
            raise ImportFileError(f"{source} is empty: a header row is expected")
        if "\x00" in first_line:
            raise ImportFileError(
                f"{source}:1: the header holds NUL characters, as a UTF-16 file without a "
                "byte-order mark does: name its encoding with --encoding utf-16-le (or "
                "utf-16-be). Nothing was imported"
            )
        delimiter = delimiter or max([",", ";", "\t"], key=first_line.count)
        text.seek(0)
        try:
            return next(csv.reader(_Lines(text), delimiter=delimiter)), delimiter
        except (_RowTooLong, csv.Error):
            raise ImportFileError(
                f"{source}:1: the header is longer than {MAX_ROW_CHARS:,} characters: is it a "
                "CSV export? Nothing was imported"
            ) from None


class _RowTooLong(Exception):
    """Raised by _Lines, through csv.reader, when a row grows past MAX_ROW_CHARS."""


class _Lines:
    """The physical lines of a file for csv.reader, and the text of the row being read.

    Lines are read at most MAX_ROW_CHARS at a time: a row that grows past it raises
    _RowTooLong, keeping its beginning, and the rest of its last line is read and dropped.
    csv.reader starts afresh at its next call, on the next line.
    """

    def __init__(self, text: TextIO) -> None:
        self.readline = text.readline
        self.number = 0  # physical lines read
        self.taken: list[str] = []  # the lines of the row being read
        self.size = 0
        self.beginning = ""  # of the row too long

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        room = MAX_ROW_CHARS - self.size
        line = self.readline(room + 1)
        if not line:
            raise StopIteration
        self.number += 1
        if len(line) > room:
            self.beginning = ("".join(self.taken) + line)[:SHOWN_CHARS]
            self.taken.clear()
            self.size = 0
            while line and not line.endswith(("\n", "\r")):
                line = self.readline(MAX_ROW_CHARS)  # the rest of the line, dropped
            raise _RowTooLong
        self.taken.append(line)
        self.size += len(line)
        return line

    def row_text(self) -> str:
        """The text of the row csv.reader just gave, line breaks inside it included."""
        taken = self.taken
        text = taken[0] if len(taken) == 1 else "".join(taken)
        taken.clear()
        self.size = 0
        return text.rstrip("\r\n")


# A row on its way in: the line it starts on, its fields in header order (None for a field
# missing at the end, extra fields beyond the header; _Unreadable for a row that could not be
# read whole), and its original text (None for rows that did not come from a file).
RawRow = tuple[int, list[str | None], str | None]


class _Unreadable(list):
    """The complete fields at the beginning of a row that could not be read whole (its id,
    usually), and why."""

    def __init__(self, fields: list[str], reason: str) -> None:
        super().__init__(fields)
        self.reason = reason


def _file_rows(
    path: Path,
    encoding: str,
    delimiter: str,
    total: int,
    progress: ProgressCallback | None,
    on_rows: Callable[[int], None] | None,
) -> Iterator[RawRow]:
    """The rows after the header with the line they start on (a quoted value may span
    lines); blank lines skipped. Nothing is read until the first row is asked for."""
    with path.open(encoding=encoding, newline="") as text:
        lines = _Lines(text)
        reader = csv.reader(lines, delimiter=delimiter)
        next(reader)  # the header, read already
        lines.row_text()
        for count in itertools.count(1):
            start = lines.number + 1
            try:
                fields = next(reader)
            except StopIteration:
                return
            except _RowTooLong:
                spans = f" (lines {start}-{lines.number}: a quote that is never closed?)"
                reason = f"row is longer than {MAX_ROW_CHARS:,} characters" + (
                    spans if lines.number > start else ""
                )
                beginning = lines.beginning
                fields = _Unreadable(_fields_of_beginning(beginning, delimiter), reason)
                original = f"{beginning}…"
            except csv.Error as error:
                original = lines.row_text()
                fields = _Unreadable([], f"cannot be read as CSV: {error}")
            else:
                original = lines.row_text()
                if not "".join(fields).strip():
                    continue
            if count % PROGRESS_EVERY_ROWS == 0:
                if progress:
                    progress(text.buffer.tell(), total)
                if on_rows:
                    on_rows(count)
            yield start, fields, original


def _fields_of_beginning(beginning: str, delimiter: str) -> list[str]:
    """The fields the beginning of a row holds whole: all but its last."""
    try:
        fields = next(csv.reader(io.StringIO(beginning, newline=""), delimiter=delimiter), [])
    except csv.Error:
        return []
    return fields[:-1]


def _dict_row(position: int, row: Mapping, header: list[str]) -> RawRow:
    line = row.line if isinstance(row, SourceRow) else position
    fields = [row.get(name) for name in header]
    extra = row.get(None)
    if extra:
        fields.extend(extra)
    return line, fields, None


def _as_csv(fields: list[str | None]) -> str:
    """A row that came without a file, written as a line of one for the rejects file."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow(["" if value is None else value for value in fields])
    return buffer.getvalue().rstrip("\r\n")


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


@dataclass(frozen=True)
class _Cell:
    """How to read one column of this file: where it is and what it may hold."""

    column: Column
    index: int
    max_length: int | None
    translate: Callable[[str], str] | None


def _cells(
    spec: Kind, kind: str, columns: list[Column], header: list[str], preset: ColumnMapping | None
) -> list[_Cell]:
    cells = []
    for column in columns:
        if column.parse is not _text:
            max_length = None
        elif column.refers_to:
            max_length = column.refers_to._meta.get_field("external_id").max_length
        else:
            max_length = spec.model._meta.get_field(column.attname).max_length
        translate = functools.partial(preset.value_for, kind, column.name) if preset else None
        cells.append(_Cell(column, header.index(column.name), max_length, translate))
    return cells


def _read_row(cells: list[_Cell], width: int, fields: list[str | None]) -> list[object]:
    """The row's values, the library's id first, or _RowError with every problem."""
    if isinstance(fields, _Unreadable):
        raise _RowError(fields.reason)
    if len(fields) != width or None in fields:
        given = sum(value is not None for value in fields)
        raise _RowError(
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
        raise _RowError("; ".join(problems))
    return values


class _RejectsFile:
    """The rejected rows as CSV — line, reason, the row as the file had it — opened at the
    first rejection, so a clean import leaves no file (and removes a stale one). It is opened
    in spreadsheets: a row that starts like a formula is written as text."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.file = None
        self.writer = None
        if path is not None:
            path.unlink(missing_ok=True)

    def write(self, rejected: list[tuple[int, str, str]]) -> None:
        if self.path is None or not rejected:
            return
        try:
            if self.writer is None:
                self.file = self.path.open("w", encoding="utf-8", newline="")
                self.writer = SpreadsheetWriter(self.file)
                self.writer.writerow(["line", "reason", "row"])
            self.writer.writerows(rejected)
        except OSError as error:
            raise ImportFileError(
                f"cannot write the rejects file {self.path}: {error.strerror or error}; "
                "rows before the rejected one were loaded"
            ) from None

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


@dataclass(frozen=True)
class _Snapshot:
    """A snapshot import: its rows, read once for their ids before anything is written, and
    how it is checked."""

    rows: Iterable[RawRow]
    max_ended: float
    force: bool


def _import(
    library: Library,
    kind: str,
    header: list[str],
    rows: Iterator[RawRow],
    source: str,
    *,
    preset: ColumnMapping | None,
    rejects: str | Path | None,
    snapshot: _Snapshot | None,
    today: dt.date | None,
) -> ImportSummary:
    spec = _kind(kind)
    if snapshot and kind != "members":
        raise ImportFileError("only a members file can be a snapshot; nothing was imported")
    header = [name.replace("\ufeff", "").strip().lower() for name in header]
    columns = _check_header(spec, kind, header)
    known = {column.name for column in spec.columns}
    summary = ImportSummary(source=source, kind=kind, snapshot=snapshot is not None)
    summary.ignored_columns = [name for name in header if name and name not in known]
    cells = _cells(spec, kind, columns, header, preset)
    target = Target(
        library_id=library.pk,
        model=spec.model,
        attnames=tuple(c.attname for c in columns if c is not spec.key),
        references={c.attname: c.refers_to for c in columns if c.refers_to},
    )
    today = today or timezone.localdate()
    writer = writer_for(target)
    try:
        if snapshot:
            _list_snapshot(library, snapshot, cells[0], writer, source, today)
        _load(library, kind, cells, len(header), rows, writer, rejects, summary, today)
        if snapshot:
            with transaction.atomic():
                summary.memberships_ended = writer.end_absent_memberships(today)
    finally:
        writer.close()
    return summary


def _list_snapshot(
    library: Library, snapshot: _Snapshot, key: _Cell, writer, source: str, today: dt.date
) -> None:
    """Every id the snapshot lists, for end_absent_memberships; a snapshot that lists
    nobody, or (unless forced) looks like the wrong file, is refused before anything is
    written."""
    ids = (their_id for _, fields, _ in snapshot.rows if (their_id := _id_of(fields, key)))
    while batch := list(itertools.islice(ids, writer.chunk_rows)):
        writer.list_ids(batch)
    figures = snapshot_figures(library.pk, today)
    if not figures.listed:
        raise ImportFileError(
            "a snapshot without members would end every membership; nothing was imported"
        )
    if not snapshot.force and _looks_wrong(figures, snapshot.max_ended):
        raise SnapshotRefused(source, figures, snapshot.max_ended)


def _looks_wrong(figures: SnapshotFigures, max_ended: float) -> bool:
    """A library's first import is never refused: there is nothing to end or to match."""
    if not figures.members:
        return False
    return figures.ended_share > max_ended or figures.shared_share < MIN_SHARED_SHARE


def _id_of(fields: list[str | None], key: _Cell) -> str:
    """The library's id in a row as it would be stored; '' when the row has none."""
    text = fields[key.index] if key.index < len(fields) else None
    if text is None:
        return ""
    return (key.translate(text) if key.translate else text).strip()


def _load(
    library: Library,
    kind: str,
    cells: list[_Cell],
    width: int,
    rows: Iterator[RawRow],
    writer,
    rejects: str | Path | None,
    summary: ImportSummary,
    today: dt.date,
) -> None:
    """Validates and writes the rows a chunk at a time, many chunks to a transaction."""
    rejects_file = _RejectsFile(Path(rejects) if rejects else None)
    gate = _Gate(ImportGate(library, today), kind, cells) if kind in {"members", "loans"} else None
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
                    _import_chunk(library, cells, width, chunk, writer, rejects_file, summary, gate)
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


class _Gate:
    """The privacy gate (privacy.services.ImportGate) applied to a chunk's staged rows."""

    def __init__(self, gate: ImportGate, kind: str, cells: list[_Cell]) -> None:
        self.gate = gate
        self.kind = kind
        self.position = {cell.column.attname: n for n, cell in enumerate(cells)}

    def _reason(self, values: list[object]) -> str | None:
        at = self.position
        if self.kind == "members":
            return self.gate.member_skipped(values[0], values[at["registered_on"]])
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
        """Line → the library's member id, before the writer resolves it (loans)."""
        if self.kind != "loans":
            return {}
        return {line: values[self.position["member_id"]] for line, values in staged}

    def unknown_skipped(self, member_id: str, summary: ImportSummary) -> bool:
        reason = self.gate.unknown_member_skipped(member_id)
        if reason is not None:
            summary.skipped_because[reason] = summary.skipped_because.get(reason, 0) + 1
        return reason is not None


def _import_chunk(
    library: Library,
    cells: list[_Cell],
    width: int,
    chunk: list[RawRow],
    writer,
    rejects_file: _RejectsFile,
    summary: ImportSummary,
    gate: _Gate | None = None,
) -> None:
    staged: list[StagedRow] = []
    rejected: list[tuple[int, str, str]] = []
    for line, fields, original in chunk:
        try:
            staged.append((line, _read_row(cells, width, fields)))
        except _RowError as error:
            rejected.append((line, str(error), original or _as_csv(fields)))
    summary.rows += len(chunk)
    members_of: dict[int, str] = {}
    if gate is not None:
        staged = gate.admit(staged, summary)
        members_of = gate.members_of(staged)
    written = writer.write(staged) if staged else Written()
    if written.members_with_changed_loans:
        # In the chunk's transaction: a recount is due exactly when the change is committed.
        recount_at_next_refresh(library, written.members_with_changed_loans)
    if gate is not None:
        gate.gate.write()
    if written.unknown:
        rows = {line: (original, fields) for line, fields, original in chunk}
        for line, reason in written.unknown:
            if gate is not None and gate.unknown_skipped(members_of[line], summary):
                continue
            original, fields = rows[line]
            rejected.append((line, reason, original or _as_csv(fields)))
        rejected.sort()
    summary.inserted += written.inserted
    summary.updated += written.updated
    summary.unchanged += written.unchanged
    summary.repeated += written.repeated
    summary.members_with_new_loans |= written.members_with_new_loans
    summary.members_with_changed_loans |= written.members_with_changed_loans
    summary.rejected += len(rejected)
    rejects_file.write(rejected)
    room = KEPT_REJECTIONS - len(summary.rejections)
    summary.rejections.extend(
        Rejection(summary.source, line, reason) for line, reason, _ in rejected[: max(room, 0)]
    )
