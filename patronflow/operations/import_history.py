"""The history of a library's imports: each finished import is recorded with who ran it, the
file, its counts and, for a while, its rejected rows (operations/imports.py writes it for
the command line, the staff upload and the sync alike); and whether the loans look stale."""

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from django.db.models import BooleanField, ExpressionWrapper, Max, Q, QuerySet
from django.utils import timezone

from patronflow.members.import_summary import ImportSummary
from patronflow.members.models import Library, Loan
from patronflow.operations.models import REJECTS_DAYS, REJECTS_MAX_CHARS, ImportRecord
from patronflow.privacy.audit import Actor, operator_of, record
from patronflow.privacy.models import AuditEntry

SOURCE_LENGTH = ImportRecord._meta.get_field("source").max_length
# The loans look stale when none were imported for this many days, or when the newest loan
# they hold is older than this: a library system exports every day, and members borrow
# every day at any library, so either points at an export or an import that stopped.
LOANS_IMPORT_STALE_DAYS = 3
LATEST_LOAN_STALE_DAYS = 7
RECENT_IMPORTS = 50  # what the imports screen lists
REJECTS_TABLE = "operations.importrecord (rejected rows)"  # as the audit log counts them


def record_import(
    library: Library, summary: ImportSummary, *, actor: Actor, source: str
) -> ImportRecord:
    """Write the record of a finished import, with the text of its rejects file."""
    rejects, cut = _rejects_text(summary.rejects_file)
    return ImportRecord.objects.create(
        library=library,
        operator=operator_of(actor),
        kind=summary.kind,
        source=source[:SOURCE_LENGTH],
        rows=summary.rows,
        inserted=summary.inserted,
        updated=summary.updated,
        unchanged=summary.unchanged,
        rejected=summary.rejected,
        memberships_ended=summary.memberships_ended,
        snapshot=summary.snapshot,
        rejects=rejects,
        rejects_cut=cut,
    )


def _rejects_text(path: Path | None) -> tuple[str, bool]:
    """The rejects file's text, or its first whole lines when it is longer than we keep."""
    if path is None or not path.is_file():
        return "", False
    with path.open(encoding="utf-8", newline="") as file:
        text = file.read(REJECTS_MAX_CHARS + 1)
    if len(text) <= REJECTS_MAX_CHARS:
        return text, False
    return text[: text.rfind("\n", 0, REJECTS_MAX_CHARS) + 1], True


def import_history(library: Library) -> QuerySet[ImportRecord]:
    """The library's imports, newest first, without their rejected rows' text (`has_rejects`
    says whether they are still kept)."""
    return (
        ImportRecord.objects.filter(library=library)
        .defer("rejects")
        .annotate(has_rejects=ExpressionWrapper(~Q(rejects=""), output_field=BooleanField()))
    )


def recent_imports(library: Library) -> list[ImportRecord]:
    return list(import_history(library)[:RECENT_IMPORTS])


@dataclass(frozen=True)
class LoansFreshness:
    """The latest loans import and the newest loan, and whether either is too old."""

    latest_import: ImportRecord | None
    latest_loan_on: dt.date | None
    import_stale: bool
    loans_stale: bool


def loans_freshness(library: Library, today: dt.date) -> LoansFreshness:
    latest_import = (
        ImportRecord.objects.filter(library=library, kind="loans").defer("rejects").first()
    )
    latest_loan_on = Loan.objects.filter(library=library).aggregate(latest=Max("loaned_on"))[
        "latest"
    ]
    imported_on = timezone.localdate(latest_import.at) if latest_import else None
    return LoansFreshness(
        latest_import=latest_import,
        latest_loan_on=latest_loan_on,
        import_stale=imported_on is None or (today - imported_on).days > LOANS_IMPORT_STALE_DAYS,
        loans_stale=latest_loan_on is None
        or (today - latest_loan_on).days > LATEST_LOAN_STALE_DAYS,
    )


def rejects_for_download(import_record: ImportRecord, *, actor: Actor) -> str:
    """The rejected rows of an import as CSV; they name members, so handing them out is
    logged as an export (who, which library, how many rows)."""
    record(
        AuditEntry.Action.EXPORTED,
        operator=operator_of(actor),
        library=import_record.library.code,
        counts={REJECTS_TABLE: import_record.rejected},
    )
    return import_record.rejects


def expire_rejects(library: Library, before: dt.datetime, *, dry_run: bool = False) -> int:
    """Empty the rejected rows of the library's imports recorded before `before` (the purge
    passes REJECTS_DAYS ago); returns how many records had some."""
    kept = ImportRecord.objects.filter(library=library, at__lt=before).exclude(rejects="")
    if dry_run:
        return kept.count()
    return kept.update(rejects="", rejects_cut=False)


def rejects_cutoff(today: dt.date) -> dt.date:
    """The first day whose imports still keep their rejected rows."""
    return today - dt.timedelta(days=REJECTS_DAYS)
