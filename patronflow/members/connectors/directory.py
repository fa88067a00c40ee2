"""A file drop: a folder where the library system (or an SFTP job) leaves delta CSV files.

Where a library system has no API a marketing tool may use, it can usually export "members
changed since yesterday" and "members ended since yesterday" on a schedule and copy them to a
folder. This connector reads that folder, so the sync works the same way for both:

  members*.csv   changed members, in patronflow's member columns or mapped by a preset
  ended*.csv     ended or deleted members: a member_id column (other columns are ignored)

A file counts when it was modified on or after the `since` day; files are read in name order,
so a date in the name (members-2026-05-01.csv) keeps the order of the deltas. Files are left in
place: reading one twice changes nothing, and clearing the folder is the drop job's business.
"""

import csv
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from patronflow.members.connectors.base import ConnectorConfigError, ConnectorError, Settings
from patronflow.members.presets import Preset, PresetError, load_preset

SETTINGS = ("path", "preset", "members_files", "ended_files")
DELIMITERS = (",", ";", "\t")


class DirectoryConnector:
    def __init__(
        self,
        folder: Path,
        *,
        preset: Preset | None = None,
        members_files: str = "members*.csv",
        ended_files: str = "ended*.csv",
        source: str = "directory",
    ) -> None:
        self.folder = folder
        self.preset = preset
        self.members_files = members_files
        self.ended_files = ended_files
        self.source = source

    @classmethod
    def from_settings(
        cls, values: Mapping[str, Any], *, source: str, environ: Mapping[str, str]
    ) -> "DirectoryConnector":
        settings = Settings(values, SETTINGS)
        folder = Path(settings.text("path"))
        if not folder.is_dir():
            raise ConnectorConfigError(f"setting 'path': {folder} is not a folder")
        preset = None
        if "preset" in values:
            try:
                preset = load_preset(settings.text("preset"))
            except PresetError as error:
                raise ConnectorConfigError(f"setting 'preset': {error}") from None
        return cls(
            folder,
            preset=preset,
            members_files=settings.text("members_files", "members*.csv"),
            ended_files=settings.text("ended_files", "ended*.csv"),
            source=source,
        )

    def changed_members(self, since: date) -> Iterator[dict[str, str]]:
        header = None
        for path in self._files(self.members_files, since):
            columns, rows = self._read(path)
            if header is not None and columns != header:
                raise ConnectorError(
                    f"{path} has the columns {', '.join(columns)}, the files before it "
                    f"{', '.join(header)}: all member files of one sync need the same columns"
                )
            header = columns
            yield from rows

    def ended_members(self, since: date) -> Iterator[str]:
        for path in self._files(self.ended_files, since):
            columns, rows = self._read(path)
            if "member_id" not in columns:
                raise ConnectorError(f"{path} has no member_id column ({', '.join(columns)})")
            for row in rows:
                if member_id := (row.get("member_id") or "").strip():
                    yield member_id

    def _files(self, pattern: str, since: date) -> list[Path]:
        return sorted(
            path
            for path in self.folder.glob(pattern)
            if path.is_file() and datetime.fromtimestamp(path.stat().st_mtime).date() >= since
        )

    def _read(self, path: Path) -> tuple[list[str], Iterator[dict[str, str]]]:
        """The file's header in patronflow's column names, and its rows as csv.DictReader
        gives them (a short row has None values, extra fields sit under None), so that the
        importer rejects a broken row exactly as it would in a CSV import."""
        preset = self.preset
        encoding = (preset and preset.encoding) or _encoding_of(path)
        with path.open(encoding=encoding, newline="") as text:
            first = text.readline()
        delimiter = (preset and preset.delimiter) or max(DELIMITERS, key=first.count)
        header = [name.strip() for name in next(csv.reader([first], delimiter=delimiter), [])]
        if preset:
            header = preset.header_for("members", header)
        header = [name.lower() for name in header]
        return header, self._rows(path, encoding, delimiter, header)

    def _rows(
        self, path: Path, encoding: str, delimiter: str, header: list[str]
    ) -> Iterator[dict[str, str]]:
        preset = self.preset
        with path.open(encoding=encoding, newline="") as text:
            reader = csv.reader(text, delimiter=delimiter)
            next(reader, None)
            for fields in reader:
                if not any(field.strip() for field in fields):
                    continue
                if preset:
                    fields = [
                        preset.value_for("members", column, value)
                        for column, value in zip(header, fields, strict=False)
                    ] + fields[len(header) :]
                row: dict = dict(zip(header, fields, strict=False))
                if len(fields) > len(header):
                    row[None] = fields[len(header) :]
                else:
                    row.update(dict.fromkeys(header[len(fields) :]))
                yield row


def _encoding_of(path: Path) -> str:
    """UTF-8 (with or without BOM) when the file decodes as such, else Windows-1252, else
    Latin-1, as the CSV import does; delta files are small enough to check whole."""
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return encoding
    return "latin-1"
