"""Reading an export file: its encoding, its header and separator, its rows with the lines they
start on (a row too long kept to its beginning), and the rejects file beside it."""

import codecs
import csv
import io
import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

from patronflow.members.import_summary import ImportFileError
from patronflow.spreadsheets import SpreadsheetWriter

PROGRESS_EVERY_ROWS = 10_000
# The longest row a file may have, line breaks included (a quoted value may span lines): a
# longer row is rejected, and only its beginning is ever held, so that reading takes bounded
# memory however the file is made. Values are bounded by their columns' lengths as well.
MAX_ROW_CHARS = 65_536
# How much of a row too long to keep the rejects file and the summary show.
SHOWN_CHARS = 1_000

ProgressCallback = Callable[[int, int], None]

ENCODING_NAMES = {
    "utf-8-sig": "UTF-8",
    "utf-16": "UTF-16",
    "cp1252": "Windows-1252",
    "latin-1": "Latin-1",
}


def checked_encoding(encoding: str) -> str:
    """The codec's own name for an encoding given by hand; UTF-8 also skips a BOM."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise ImportFileError(f"{encoding!r} is not an encoding Python knows") from None
    return {"utf-8": "utf-8-sig", "iso8859-1": "latin-1"}.get(name, name)


def check_writable(rejects: Path) -> None:
    folder = rejects.parent
    if not os.access(folder, os.W_OK):
        raise ImportFileError(
            f"cannot write the rejects file {rejects}: the folder is not writable "
            "(name another place with --rejects PATH)"
        )


def encoding_of(path: Path) -> str:
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


def header_of(
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
# missing at the end, extra fields beyond the header; Unreadable for a row that could not be
# read whole), and its original text (None for rows that did not come from a file).
RawRow = tuple[int, list[str | None], str | None]


class Unreadable(list):
    """The complete fields at the beginning of a row that could not be read whole (its id,
    usually), and why."""

    def __init__(self, fields: list[str], reason: str) -> None:
        super().__init__(fields)
        self.reason = reason


def file_rows(
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
                fields = Unreadable(_fields_of_beginning(beginning, delimiter), reason)
                original = f"{beginning}…"
            except csv.Error as error:
                original = lines.row_text()
                fields = Unreadable([], f"cannot be read as CSV: {error}")
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


def as_csv(fields: list[str | None]) -> str:
    """A row that came without a file, written as a line of one for the rejects file."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow(["" if value is None else value for value in fields])
    return buffer.getvalue().rstrip("\r\n")


class RejectsFile:
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
