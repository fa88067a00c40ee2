"""Every finished import is recorded — from the command line, a connector's sync or the staff
screen — with who ran it, the file, its counts and its rejected rows; the purge empties the
rejected rows after 30 days and keeps the record; the loans look stale after a few days
without an import or a week without a new loan."""

import datetime as dt
from dataclasses import dataclass, field
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from patronflow.members.import_summary import ImportFileError
from patronflow.operations.import_history import loans_freshness
from patronflow.operations.imports import import_and_refresh
from patronflow.operations.models import REJECTS_DAYS, ImportRecord
from patronflow.operations.purge import purge
from patronflow.operations.sync import sync_members
from tests.factories import TODAY, ItemFactory, MemberFactory

pytestmark = pytest.mark.django_db

MEMBERS = (
    "member_id;first_name;email;registered_on\n"
    "M1;Fatima;fatima@example.org;2026-05-01\n"
    "M2;;bart@example.org;2026-05-02\n"
)


def test_a_command_line_import_is_recorded_with_its_counts_and_rejected_rows(library, tmp_path):
    path = tmp_path / "leden-juni.csv"
    path.write_text(MEMBERS)

    with pytest.raises(SystemExit):  # rows were rejected: the command says so with its code
        call_command("import", "members", str(path), "--library", "gent", stdout=StringIO())

    (done,) = ImportRecord.objects.filter(library=library)
    assert (done.operator, done.kind, done.source) == ("command line", "members", "leden-juni.csv")
    assert (done.rows, done.inserted, done.rejected) == (2, 1, 1)
    assert "bart@example.org" in done.rejects and "fatima" not in done.rejects
    assert done.rejects.splitlines()[0] == "line,reason,row"


def test_importing_the_same_file_again_records_it_unchanged(library, tmp_path):
    path = tmp_path / "leden.csv"
    path.write_text(MEMBERS.replace("M2;;", "M2;Bart;"))

    import_and_refresh(library, "members", path)
    import_and_refresh(library, "members", path, actor="staff:an")

    latest, first = ImportRecord.objects.filter(library=library)
    assert (first.inserted, first.unchanged, first.rejects) == (2, 0, "")
    assert (latest.operator, latest.inserted, latest.unchanged) == ("staff:an", 0, 2)


def test_a_file_refused_whole_leaves_no_record(library, tmp_path):
    path = tmp_path / "leden.csv"
    path.write_text("first_name\nFatima\n")

    with pytest.raises(ImportFileError):
        import_and_refresh(library, "members", path)

    assert not ImportRecord.objects.exists()


@dataclass
class Feed:
    """A library system's connector, as the sync sees one."""

    changed: list[dict]
    source: str = "wise:gent"
    ended: list[str] = field(default_factory=list)

    def changed_members(self, since):
        return iter(self.changed)

    def ended_members(self, since):
        return iter(self.ended)


def test_a_sync_is_recorded_as_the_connectors_with_its_rejected_rows(library):
    feed = Feed(
        [
            {"member_id": "W1", "first_name": "An", "registered_on": "2026-05-01"},
            {"member_id": "W2", "first_name": "", "registered_on": "2026-05-01"},
        ]
    )

    summary = sync_members(library, feed, TODAY, TODAY)

    (done,) = ImportRecord.objects.filter(library=library)
    assert (done.operator, done.source, done.inserted, done.rejected) == (
        "connector:wise:gent", "wise:gent", 1, 1,
    )  # fmt: skip
    assert "W2" in done.rejects
    assert summary.members.rejects_file is None  # the rows' rejects live in the record only


def test_the_purge_empties_rejected_rows_after_30_days_and_keeps_the_record(library, tmp_path):
    path = tmp_path / "leden.csv"
    path.write_text(MEMBERS)
    import_and_refresh(library, "members", path)
    import_and_refresh(library, "members", path)
    old, recent = ImportRecord.objects.order_by("pk")
    now = timezone.now()
    ImportRecord.objects.filter(pk=old.pk).update(at=now - dt.timedelta(days=REJECTS_DAYS + 1))
    today = timezone.localdate(now)

    planned = purge(today, operator="cron", dry_run=True)
    done = purge(today, operator="cron")

    assert planned.rows("gent")["operations.importrecord (rejected rows)"] == 1
    assert done.rows("gent")["operations.importrecord (rejected rows)"] == 1
    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.rejects == "" and old.rejected == 1  # the counts stay
    assert "bart@example.org" in recent.rejects


def test_loans_look_stale_after_three_days_without_an_import_or_a_week_without_a_loan(
    library, tmp_path
):
    member = MemberFactory(library=library, external_id="M1")
    assert loans_freshness(library, TODAY).latest_import is None
    path = tmp_path / "uitleningen.csv"
    ItemFactory(library=library, external_id="I1")
    two_days_ago = TODAY - dt.timedelta(days=2)
    path.write_text(
        f"loan_id;member_id;item_id;loaned_on\nL1;{member.external_id};I1;{two_days_ago}\n"
    )
    import_and_refresh(library, "loans", path, today=TODAY)
    imported = ImportRecord.objects.get(kind="loans")
    ImportRecord.objects.filter(pk=imported.pk).update(
        at=timezone.make_aware(dt.datetime.combine(TODAY, dt.time(3)))
    )

    fresh = loans_freshness(library, TODAY + dt.timedelta(days=3))
    later = loans_freshness(library, TODAY + dt.timedelta(days=4))
    week = loans_freshness(library, TODAY + dt.timedelta(days=8))

    assert fresh.latest_import.pk == imported.pk
    assert (imported.inserted, fresh.latest_loan_on) == (1, two_days_ago)
    assert (fresh.import_stale, fresh.loans_stale) == (False, False)
    assert (later.import_stale, later.loans_stale) == (True, False)
    assert week.loans_stale
