"""The database itself refuses to change or delete audit entries, also to raw SQL: only the
retention's expiry, inside the purge's own transaction, may delete them."""

import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction

from patronflow.members.models import Member
from patronflow.operations.erasure import erase_member
from patronflow.operations.purge import purge
from patronflow.privacy.audit import record
from patronflow.privacy.models import AuditEntry, AuditMaintenance, audit_maintenance
from tests.factories import TODAY, MemberFactory

TABLE = AuditEntry._meta.db_table


@pytest.fixture
def entry(db) -> AuditEntry:
    return record("viewed", operator="an", library="gent", external_id="M000042")


def refused(sql: str, params: list) -> bool:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    except DatabaseError:
        return True
    return False


@pytest.mark.parametrize("column, value", [("operator", "someone else"), ("member_ref", "")])
def test_raw_sql_cannot_change_an_entry(entry, column, value):
    assert refused(f"UPDATE {TABLE} SET {column} = %s WHERE id = %s", [value, entry.pk])
    assert AuditEntry.objects.get().operator == "an"


def test_raw_sql_cannot_delete_an_entry(entry):
    assert refused(f"DELETE FROM {TABLE} WHERE id = %s", [entry.pk])
    assert AuditEntry.objects.count() == 1


def test_the_maintenance_window_ends_with_its_block(entry):
    with audit_maintenance(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [entry.pk])
    again = record("viewed", operator="an", library="gent", external_id="M000042")

    assert refused(f"DELETE FROM {TABLE} WHERE id = %s", [again.pk])
    assert not AuditMaintenance.objects.exists()


def test_even_in_maintenance_an_entry_cannot_be_changed(entry):
    with audit_maintenance():
        assert refused(f"UPDATE {TABLE} SET operator = %s WHERE id = %s", ["x", entry.pk])


def test_purge_still_expires_entries_and_erasure_still_logs(library):
    old = record(
        "viewed",
        operator="an",
        library="gent",
        external_id="M1",
        at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
    )
    member = MemberFactory(library=library)

    erase_member(member, "desk")
    summary = purge(TODAY, operator="cron")

    assert not Member.objects.filter(pk=member.pk).exists()
    assert not AuditEntry.objects.filter(pk=old.pk).exists()
    assert summary.rows("gent")["privacy.auditentry"] == 1
    assert set(AuditEntry.objects.values_list("action", flat=True)) == {
        "changed",  # the fixture's journeys
        "erased",
        "purged",
    }
