"""Importing a library-system export across the stages: members' importer with privacy's gate
on its rows and the reading profiles' recount in each chunk's transaction, and "import, then
refresh the reading profiles" as the one flow the import command, the staff upload and the
sync run. Every finished import is recorded, with who ran it (operations/import_history.py)."""

import datetime as dt
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils import timezone

from patronflow.members import imports
from patronflow.members.import_files import ProgressCallback
from patronflow.members.import_summary import ImportSummary
from patronflow.members.models import Library
from patronflow.operations.import_history import record_import
from patronflow.privacy.audit import Actor
from patronflow.privacy.gate import ImportGate
from patronflow.profiles.queries import loan_history_start
from patronflow.profiles.services import (
    reclassify_items,
    recount_at_next_refresh,
    refresh_after_import,
)


def import_file(
    library: Library,
    kind: str,
    path: str | Path,
    progress: ProgressCallback | None = None,
    *,
    today: dt.date | None = None,
    actor: Actor = None,
    **options: Any,
) -> ImportSummary:
    """members.imports.import_file (the same options) with privacy's gate and the reading
    profiles' recount wired in; recorded as the actor's import of the file (None: the
    command line's)."""
    today = today or timezone.localdate()
    summary = imports.import_file(
        library, kind, path, progress, today=today, gate=_gate(library, today),
        loans_changed=recount_at_next_refresh, **options,
    )  # fmt: skip
    record_import(library, summary, actor=actor, source=Path(path).name)
    return summary


def import_rows(
    library: Library,
    kind: str,
    rows: Iterable[Mapping[str | None, object]],
    source: str,
    *,
    today: dt.date | None = None,
    actor: Actor = None,
    **options: Any,
) -> ImportSummary:
    """members.imports.import_rows (the same options) with privacy's gate and the reading
    profiles' recount wired in; recorded as the actor's import of `source`. Without a
    `rejects` file named, the rejected rows go to the record only."""
    today = today or timezone.localdate()
    with tempfile.TemporaryDirectory(prefix="patronflow-rejects-") as folder:
        temporary = "rejects" not in options
        options.setdefault("rejects", Path(folder) / "rejects.csv")
        summary = imports.import_rows(
            library, kind, rows, source, today=today, gate=_gate(library, today),
            loans_changed=recount_at_next_refresh, **options,
        )  # fmt: skip
        record_import(library, summary, actor=actor, source=source)
    if temporary:
        summary.rejects_file = None
    return summary


@dataclass(frozen=True)
class Imported:
    """What an import did, and how many reading profiles it recomputed after (None: the kind
    changes none, as members do not)."""

    summary: ImportSummary
    profiles_recomputed: int | None


def import_and_refresh(
    library: Library,
    kind: str,
    data: Path | Iterable[Mapping[str | None, object]],
    *,
    source: str = "",
    today: dt.date | None = None,
    actor: Actor = None,
    **options: Any,
) -> Imported:
    """Import a file (a Path; options as import_file's) or rows (named by `source`; options as
    import_rows'), then keep the reading profiles the journeys use current: new loans, or
    items that changed kind, change what members read. Nothing is refreshed when the import
    raises (ImportFileError, SnapshotRefused). `actor` ran it (None: the command line)."""
    today = today or timezone.localdate()
    if isinstance(data, Path):
        summary = import_file(library, kind, data, today=today, actor=actor, **options)
    else:
        summary = import_rows(library, kind, data, source, today=today, actor=actor, **options)
    if kind == "loans":
        recomputed = refresh_after_import(library, summary.members_with_new_loans, today)
    elif kind == "items":
        recomputed = reclassify_items(library, today)
    else:
        recomputed = None
    return Imported(summary, recomputed)


def _gate(library: Library, today: dt.date) -> ImportGate:
    return ImportGate(library, today, loan_history_start(library, today))
