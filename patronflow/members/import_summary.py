"""What an import reports: its summary, the rows it rejected, and the error that stops it whole."""

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

KEPT_REJECTIONS = 1000


class ImportFileError(Exception):
    """The file as a whole cannot be imported (unreadable, no header, missing columns)."""


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
    # Rows the import's gate keeps out (privacy/gate.py), per reason: members erased at their
    # request and their loans, loans older than the loan history kept. Only counted: not
    # listed, not in the rejects file.
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
    # Loans and visits: the first and last day of the rows of the chunks that wrote any, the
    # days whose activity counts (members/activity.py) are recounted after the import.
    first_day: dt.date | None = None
    last_day: dt.date | None = None
    # The stored dates of loans the import moved to another date: their days are recounted
    # too (and their months), which may lie outside first_day to last_day.
    moved_from: set[dt.date] = field(default_factory=set)
    # Snapshot imports: memberships ended because the member was absent from the file.
    snapshot: bool = False
    memberships_ended: int = 0

    def took_in(self, days: list[dt.date]) -> None:
        """Widen the days the import touched to these."""
        if days:
            self.first_day = min(days) if self.first_day is None else min(self.first_day, *days)
            self.last_day = max(days) if self.last_day is None else max(self.last_day, *days)

    @property
    def loaded(self) -> int:
        return self.inserted + self.updated + self.unchanged

    @property
    def skipped(self) -> int:
        return sum(self.skipped_because.values())
