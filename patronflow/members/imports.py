"""Importing a library-system export: members, items and loans, upserted on the library's ids,
and visits, inserted once per member, day and channel (import_visits.py).

`import_file` reads a CSV file (import_files.py: encoding, separator, physical line numbers,
the original text of each row) and hands its rows to the same engine as `import_rows`, which
anything with rows from elsewhere — a connector's feed, the demo's daily deltas — calls
directly. The engine streams: rows are validated (import_columns.py) the same way for every
database, checked first when they are a snapshot (import_snapshots.py), and loaded a chunk at
a time (import_loading.py) by the database's fast path (bulk.py), so memory stays bounded
however long the file is. What later stages ask of an import comes in as arguments: the
`gate` that keeps rows out (privacy's) and `loans_changed`, run in the chunk's transaction
(the reading profiles' recount); operations/imports.py wires them in. Once the rows are
written, the activity counts of the days the loans or visits fell on are recounted
(activity.py). The format is documented in docs/import-format.md.
"""

import datetime as dt
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from patronflow.members import activity
from patronflow.members.bulk import writer_for
from patronflow.members.bulk_types import Target
from patronflow.members.import_columns import ColumnMapping, cells_of, check_header, kind_of
from patronflow.members.import_files import (
    ENCODING_NAMES,
    ProgressCallback,
    RawRow,
    check_writable,
    checked_encoding,
    encoding_of,
    file_rows,
    header_of,
)
from patronflow.members.import_loading import Gate, LoansChanged, load
from patronflow.members.import_snapshots import MAX_ENDED_SHARE, Snapshot, list_snapshot
from patronflow.members.import_summary import ImportFileError, ImportSummary
from patronflow.members.import_visits import VisitWriter
from patronflow.members.models import Library
from patronflow.members.presets import PresetError, load_preset


class SourceRow(dict):
    """One row as csv.DictReader gives it, plus the physical line of the file where it starts.

    As with DictReader, fields beyond the header are listed under the key None and fields
    missing at the end have the value None.
    """

    __slots__ = ("line",)

    def __init__(self, values: Mapping[str | None, object], line: int) -> None:
        super().__init__(values)
        self.line = line


def import_rows(
    library: Library,
    kind: str,
    rows: Iterable[Mapping[str | None, object]],
    source: str,
    *,
    gate: Gate,
    loans_changed: LoansChanged,
    columns: Sequence[str] | None = None,
    preset: ColumnMapping | None = None,
    rejects: str | Path | None = None,
    snapshot: bool = False,
    max_ended: float = MAX_ENDED_SHARE,
    force_snapshot: bool = False,
    today: dt.date | None = None,
) -> ImportSummary:
    """Upsert rows of one kind ("members", "items", "loans" or "visits") into a library.

    Rows are dicts keyed by the documented column names, as csv.DictReader gives them. A
    SourceRow carries its line in the file; for plain dicts the line is counted as if the
    rows came from a file with a header (first row = line 2). `columns` is the header; by
    default the first row's keys. A column that is absent is left alone on existing rows.
    `gate` decides which members and loans rows are kept out (for the same `today`), and
    `loans_changed(library, member_ids)` runs in the transaction of a chunk that changed
    loans in place. `rejects` names a CSV file for the rejected rows; `snapshot` (members
    only) ends the membership of the library's members that the rows do not list — unless
    that would end more than `max_ended` of them or the rows are not the library's
    (SnapshotFigures), which `force_snapshot` overrides. A snapshot's rows are read twice, so
    they are kept in a list.

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
        kind_of(kind)
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
        snapshot=Snapshot(listing, max_ended, force_snapshot) if snapshot else None,
        today=today, gate=gate, loans_changed=loans_changed,
    )  # fmt: skip


def import_file(
    library: Library,
    kind: str,
    path: str | Path,
    progress: ProgressCallback | None = None,
    *,
    gate: Gate,
    loans_changed: LoansChanged,
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
    counted against the library's before anything is written. `gate` and `loans_changed`:
    see import_rows.
    """
    path = Path(path)
    source = str(path)
    if isinstance(preset, str):
        preset = _load_preset(preset)
    encoding = encoding or (preset.encoding if preset else None)
    rejects = Path(rejects) if rejects else path.with_name(f"{path.name}.rejects.csv")
    try:
        total = path.stat().st_size
        encoding = checked_encoding(encoding) if encoding else encoding_of(path)
        check_writable(rejects)
        header, delimiter = header_of(path, source, encoding, preset.delimiter if preset else None)
        if preset is not None:
            header = preset.header_for(kind, header)
        rows = file_rows(path, encoding, delimiter, total, progress, on_rows)
        listing = file_rows(path, encoding, delimiter, total, None, None) if snapshot else None
        summary = _import(
            library, kind, header, rows, source, preset=preset, rejects=rejects,
            snapshot=Snapshot(listing, max_ended, force_snapshot) if snapshot else None,
            today=today, gate=gate, loans_changed=loans_changed,
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


def _recount_activity(library: Library, summary: ImportSummary) -> None:
    """The activity counts of the days the import touched, also after a failure (the chunks
    committed before it), and the whole months they fall in. A loan moved to another date
    left its old day: those days are recounted too, a month at a time, never the library's
    whole history. A loan given another member or item on the same day changes no day's
    loans, and its month's borrowers are recounted with its day."""
    first, last = summary.first_day, summary.last_day
    if first is not None:
        activity.recount(library=library.pk, first=first, last=last)
    left: dict[dt.date, list[dt.date]] = {}
    for day in summary.moved_from:
        if first is None or not first <= day <= last:
            left.setdefault(activity.month_of(day), []).append(day)
    for days in left.values():
        activity.recount(library=library.pk, first=min(days), last=max(days))


def _load_preset(name_or_path: str) -> ColumnMapping:
    try:
        return load_preset(name_or_path)
    except PresetError as error:
        raise ImportFileError(str(error)) from None


def _dict_row(position: int, row: Mapping, header: list[str]) -> RawRow:
    line = row.line if isinstance(row, SourceRow) else position
    fields = [row.get(name) for name in header]
    extra = row.get(None)
    if extra:
        fields.extend(extra)
    return line, fields, None


def _import(
    library: Library,
    kind: str,
    header: list[str],
    rows: Iterator[RawRow],
    source: str,
    *,
    preset: ColumnMapping | None,
    rejects: str | Path | None,
    snapshot: Snapshot | None,
    today: dt.date | None,
    gate: Gate,
    loans_changed: LoansChanged,
) -> ImportSummary:
    spec = kind_of(kind)
    if snapshot and kind != "members":
        raise ImportFileError("only a members file can be a snapshot; nothing was imported")
    header = [name.replace("\ufeff", "").strip().lower() for name in header]
    columns = check_header(spec, kind, header)
    known = {column.name for column in spec.columns}
    summary = ImportSummary(source=source, kind=kind, snapshot=snapshot is not None)
    summary.ignored_columns = [name for name in header if name and name not in known]
    cells = cells_of(spec, kind, columns, header, preset)
    target = Target(
        library_id=library.pk,
        model=spec.model,
        attnames=tuple(c.attname for c in columns if c is not spec.key),
        references={c.attname: c.refers_to for c in columns if c.refers_to},
    )
    today = today or timezone.localdate()
    writer = VisitWriter(target) if kind == "visits" else writer_for(target)
    try:
        if snapshot:
            list_snapshot(library, snapshot, cells[0], writer, source, today)
        load(library, kind, cells, len(header), rows, writer, rejects, summary, gate, loans_changed)
        if snapshot:
            with transaction.atomic():
                summary.memberships_ended = writer.end_absent_memberships(today)
    finally:
        writer.close()
        _recount_activity(library, summary)
    return summary
