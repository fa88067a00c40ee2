"""CSV files that people open in a spreadsheet, written so that no cell runs as a formula.

A cell that starts with `=`, `+`, `-` or `@` (or a tab or carriage return) is a formula to
Excel and LibreOffice: `=HYPERLINK(...)` in a step name or a rejected row would run on the
librarian's machine. As OWASP's "CSV Injection" advises, such a cell is written with a single
quote before it and in double quotes, so it reads as the text it is. A number is left alone:
`-0.12` stays a number. Every other cell is written as the csv module writes it.
"""

import csv
import io
import re
from collections.abc import Iterable
from typing import TextIO

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def is_formula(text: str) -> bool:
    """Whether a spreadsheet would read this cell as a formula (a signed number it reads as
    the number)."""
    return text.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(text)


class SpreadsheetWriter:
    """csv.writer's writerow and writerows (comma-separated, minimal quoting), with the cells
    a spreadsheet would run neutralised."""

    def __init__(self, file: TextIO, *, lineterminator: str = "\r\n") -> None:
        self.file = file
        self.lineterminator = lineterminator
        self.plain = csv.writer(file, lineterminator=lineterminator)
        self.cell = io.StringIO()
        self.one_cell = csv.writer(self.cell, lineterminator="")

    def writerow(self, row: Iterable[object]) -> None:
        row = list(row)
        if any(isinstance(value, str) and is_formula(value) for value in row):
            self.file.write(",".join(map(self._cell, row)) + self.lineterminator)
        else:
            self.plain.writerow(row)

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)

    def _cell(self, value: object) -> str:
        if isinstance(value, str) and is_formula(value):
            return '"' + ("'" + value).replace('"', '""') + '"'
        if value is None or value == "":
            return ""  # csv.writer quotes an empty cell only when it is alone on its row
        self.cell.seek(0)
        self.cell.truncate()
        self.one_cell.writerow([value])
        return self.cell.getvalue()
