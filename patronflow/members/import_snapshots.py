"""The snapshot guard: a members file that is the complete membership ends the memberships it
leaves out, so its ids are first counted against the library's members, and a file that looks
like another library's or a partial export is refused before anything is written."""

import datetime as dt
import itertools
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection

from patronflow.members.bulk_types import LISTED, Writer
from patronflow.members.import_columns import Cell
from patronflow.members.import_files import RawRow
from patronflow.members.import_summary import ImportFileError
from patronflow.members.models import Library, Member

# A snapshot refused unless forced: it would end more than this share of the library's
# running memberships (by default; `max_ended`), or the library knows fewer than this
# share of the ids it lists (a file of another library).
MAX_ENDED_SHARE = 0.10
MIN_SHARED_SHARE = 0.5


@dataclass(frozen=True)
class SnapshotFigures:
    """A snapshot's members against the library's, counted before anything is written."""

    listed: int  # distinct member ids in the file, rejected rows' included
    shared: int  # of those, the ids of members the library has
    members: int  # the library's members, whether their membership runs or ended
    running: int  # the library's running memberships
    ending: int  # running memberships of members the file leaves out: what it would end

    @property
    def ended_share(self) -> float:
        return self.ending / self.running if self.running else 0.0

    @property
    def shared_share(self) -> float:
        return self.shared / self.listed if self.listed else 0.0


def _snapshot_figures(library_id: int, today: dt.date) -> SnapshotFigures:
    """The ids listed so far (LISTED) against the library's members, running on `today` when
    their membership has no end or ends after it — what end_absent_memberships would end."""
    running = "(m.membership_ends_on IS NULL OR m.membership_ends_on > %s)"
    day = connection.ops.adapt_datefield_value(today)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT count(*) FROM {LISTED}), count(l.external_id), count(*), "
            f"coalesce(sum(CASE WHEN {running} THEN 1 ELSE 0 END), 0), "
            f"coalesce(sum(CASE WHEN {running} AND l.external_id IS NULL THEN 1 ELSE 0 END), 0) "
            f"FROM {Member._meta.db_table} m "
            f"LEFT JOIN {LISTED} l ON l.external_id = m.external_id WHERE m.library_id = %s",
            [day, day, library_id],
        )
        return SnapshotFigures(*cursor.fetchone())


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


@dataclass(frozen=True)
class Snapshot:
    """A snapshot import: its rows, read once for their ids before anything is written, and
    how it is checked."""

    rows: Iterable[RawRow]
    max_ended: float
    force: bool


def list_snapshot(
    library: Library, snapshot: Snapshot, key: Cell, writer: Writer, source: str, today: dt.date
) -> None:
    """Every id the snapshot lists, for end_absent_memberships; a snapshot that lists
    nobody, or (unless forced) looks like the wrong file, is refused before anything is
    written."""
    ids = (their_id for _, fields, _ in snapshot.rows if (their_id := _id_of(fields, key)))
    while batch := list(itertools.islice(ids, writer.chunk_rows)):
        writer.list_ids(batch)
    figures = _snapshot_figures(library.pk, today)
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


def _id_of(fields: list[str | None], key: Cell) -> str:
    """The library's id in a row as it would be stored; '' when the row has none."""
    text = fields[key.index] if key.index < len(fields) else None
    if text is None:
        return ""
    return (key.translate(text) if key.translate else text).strip()
