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
from typing import Protocol

from django.db import models, transaction
from django.utils import timezone

from patronflow.members.bulk import StagedRow, Target, Written, writer_for
from patronflow.members.models import Item, Library, Loan, Member
from patronflow.members.parsing import parse_boolean, parse_date, parse_email, parse_material
from patronflow.members.presets import PresetError, load_preset
from patronflow.privacy.services import ImportGate
from patronflow.profiles.services import recount_at_next_refresh

KEPT_REJECTIONS = 1000
PROGRESS_EVERY_ROWS = 10_000

ProgressCallback = Callable[[int, int], None]


class ImportFileError(Exception):
    """The file as a whole cannot be imported (unreadable, no header, missing columns)."""


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
    today: dt.date | None = None,
) -> ImportSummary:
    """Upsert rows of one kind ("members", "items" or "loans") into a library.

    Rows are dicts keyed by the documented column names, as csv.DictReader gives them. A
    SourceRow carries its line in the file; for plain dicts the line is counted as if the
    rows came from a file with a header (first row = line 2). `columns` is the header; by
    default the first row's keys. A column that is absent is left alone on existing rows.
    `rejects` names a CSV file for the rejected rows; `snapshot` (members only) ends the
    membership of the library's members that the rows do not list.

    Raises ImportFileError, before writing anything, when a required column is missing.
    """
    rows = iter(rows)
    first = next(rows, None)
    if first is None and columns is None:
        _kind(kind)
        return ImportSummary(source=source, kind=kind, snapshot=snapshot)
    given = [name for name in (first if columns is None else columns) if name is not None]
    # A preset may rename the headers; the rows keep theirs, so they are read by position.
    header = preset.header_for(kind, given) if preset is not None else given
    numbered = enumerate(() if first is None else itertools.chain([first], rows), start=2)
    staged = (_dict_row(position, row, given) for position, row in numbered)
    return _import(
        library, kind, header, staged, source, preset=preset, rejects=rejects,
        snapshot=snapshot, today=today,
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
    today: dt.date | None = None,
    on_rows: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Import a CSV export: UTF-8 (with or without BOM), else Windows-1252/Latin-1, unless
    `encoding` (or the preset) says which; comma, semicolon or tab separated, as the header
    row shows (or the preset says).

    `preset` is a ColumnMapping or the name or path of a preset (presets.py). Rejected rows
    go to `rejects`, by default `FILE.rejects.csv` beside the file, written only when a row
    is rejected. `progress(bytes_read, bytes_total)` and `on_rows(rows_read)` are called
    while reading, for a progress bar. Rows are committed per chunk: a broken CSV structure
    half-way (an unclosed quote) raises ImportFileError when reading gets there, and importing
    the corrected file again is safe.
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
        with path.open(encoding=encoding, newline="") as text:
            first_line = text.readline()
            delimiter = (preset.delimiter if preset else None) or _delimiter_of(first_line)
            text.seek(0)
            taken: list[str] = []
            reader = csv.reader(_recording(text, taken), delimiter=delimiter)
            header = next(reader, None)
            if header is None:
                raise ImportFileError(f"{source} is empty: a header row is expected")
            taken.clear()
            if preset is not None:
                header = preset.header_for(kind, header)
            rows = _file_rows(reader, taken, source, text, total, progress, on_rows)
            summary = _import(
                library, kind, header, rows, source, preset=preset, rejects=rejects,
                snapshot=snapshot, today=today,
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


ENCODING_NAMES = {"utf-8-sig": "UTF-8", "cp1252": "Windows-1252", "latin-1": "Latin-1"}


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


def _recording(lines: Iterable[str], taken: list[str]) -> Iterator[str]:
    """The lines as csv.reader takes them, kept until the row they make up is read."""
    for line in lines:
        taken.append(line)
        yield line


# A row on its way in: the line it starts on, its fields in header order (None for a field
# missing at the end, extra fields beyond the header), and its original text (None for rows
# that did not come from a file).
RawRow = tuple[int, list[str | None], str | None]


def _file_rows(
    reader,
    taken: list[str],
    source: str,
    text,
    total: int,
    progress: ProgressCallback | None,
    on_rows: Callable[[int], None] | None,
) -> Iterator[RawRow]:
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
        original = taken[0] if len(taken) == 1 else "".join(taken)
        taken.clear()
        if count % PROGRESS_EVERY_ROWS == 0:
            if progress:
                progress(text.buffer.tell(), total)
            if on_rows:
                on_rows(count)
        if not "".join(fields).strip():
            continue
        yield start, fields, original.rstrip("\r\n")


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
    first rejection, so a clean import leaves no file (and removes a stale one)."""

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
                self.writer = csv.writer(self.file)
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


def _import(
    library: Library,
    kind: str,
    header: list[str],
    rows: Iterator[RawRow],
    source: str,
    *,
    preset: ColumnMapping | None,
    rejects: str | Path | None,
    snapshot: bool,
    today: dt.date | None,
) -> ImportSummary:
    spec = _kind(kind)
    if snapshot and kind != "members":
        raise ImportFileError("only a members file can be a snapshot; nothing was imported")
    header = [name.replace("\ufeff", "").strip().lower() for name in header]
    columns = _check_header(spec, kind, header)
    known = {column.name for column in spec.columns}
    summary = ImportSummary(source=source, kind=kind, snapshot=snapshot)
    summary.ignored_columns = [name for name in header if name and name not in known]
    cells = _cells(spec, kind, columns, header, preset)
    target = Target(
        library_id=library.pk,
        model=spec.model,
        attnames=tuple(c.attname for c in columns if c is not spec.key),
        references={c.attname: c.refers_to for c in columns if c.refers_to},
    )
    rejects_file = _RejectsFile(Path(rejects) if rejects else None)
    gate = (
        _Gate(ImportGate(library, today or timezone.localdate()), kind, cells)
        if kind in {"members", "loans"}
        else None
    )
    writer = writer_for(target, snapshot=snapshot)
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
                        library, cells, len(header), chunk, writer, rejects_file, summary, gate
                    )
        if snapshot:
            if not summary.rows:
                raise ImportFileError(
                    "a snapshot without members would end every membership; nothing was ended"
                )
            with transaction.atomic():
                summary.memberships_ended = writer.end_absent_memberships(
                    today or timezone.localdate()
                )
    finally:
        writer.close()
        rejects_file.close()
    if rejects_file.writer is not None:
        summary.rejects_file = rejects_file.path
    return summary


def _take(rows: Iterator[RawRow], size: int) -> list[RawRow]:
    return list(itertools.islice(rows, size))


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
    listed: list[str] = []
    key = cells[0].index
    for line, fields, original in chunk:
        try:
            staged.append((line, _read_row(cells, width, fields)))
        except _RowError as error:
            rejected.append((line, str(error), original or _as_csv(fields)))
            if summary.snapshot and key < len(fields) and (their_id := (fields[key] or "").strip()):
                listed.append(their_id)
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
    if listed:
        writer.list_ids(listed)
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
