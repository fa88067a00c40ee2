"""Members' importer as its own tests call it: with a gate that keeps no row out and no one to
tell of loans changed in place. Privacy's gate and the profiles' recount are wired in by the
import flow and tested with it (tests/operations, tests/privacy, tests/profiles)."""

import datetime as dt
from collections.abc import Iterable, Mapping
from pathlib import Path

from patronflow.members import imports
from patronflow.members.import_summary import ImportSummary
from patronflow.members.models import Library


class OpenGate:
    """A gate that lets every row through and stores nothing."""

    def member_skipped(self, external_id: str, registered_on: dt.date | None) -> str | None:
        return None

    def loan_skipped(self, member_id: str, loaned_on: dt.date) -> str | None:
        return None

    def visit_skipped(self, member_id: str, visited_on: dt.date) -> str | None:
        return None

    def unknown_member_skipped(self, member_id: str) -> str | None:
        return None

    def addresses_seen(self, addresses: Iterable[str]) -> None:
        pass

    def write(self) -> None:
        pass


def no_recount(library: Library, member_ids: set[int]) -> None:
    pass


def import_file(library: Library, kind: str, path: str | Path, progress=None, **options):
    return imports.import_file(
        library, kind, path, progress, gate=OpenGate(), loans_changed=no_recount, **options
    )


def import_rows(
    library: Library, kind: str, rows: Iterable[Mapping], source: str, **options
) -> ImportSummary:
    return imports.import_rows(
        library, kind, rows, source, gate=OpenGate(), loans_changed=no_recount, **options
    )
