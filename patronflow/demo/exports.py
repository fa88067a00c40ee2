"""The library system's export files the demo writes, as docs/import-format.md describes them:
UTF-8, comma separated, a header row, ISO dates and ja/nee booleans."""

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path

from patronflow.members.presets import COLUMNS

MEMBER_COLUMNS = COLUMNS["members"]
ITEM_COLUMNS = ("item_id", "title", "author", "isbn", "material", "siso", "nur", "genre", "fiction")
LOAN_COLUMNS = COLUMNS["loans"]


def write_rows(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> int:
    """Write the header and the rows; returns how many rows."""
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


def yes_no(value: bool) -> str:
    return "ja" if value else "nee"
