"""The audit log is append-only and names members only by a keyed hash."""

import datetime as dt

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory

from patronflow.privacy.audit import record
from patronflow.privacy.models import AppendOnly, AuditEntry
from patronflow.privacy.references import member_reference


@pytest.fixture
def entry(db) -> AuditEntry:
    return record("viewed", operator="an", library="gent", external_id="M000042")


def test_an_entry_cannot_be_changed(entry):
    entry.operator = "someone else"
    with pytest.raises(AppendOnly):
        entry.save()
    with pytest.raises(AppendOnly):
        AuditEntry.objects.filter(pk=entry.pk).update(operator="someone else")
    with pytest.raises(AppendOnly):
        AuditEntry.objects.bulk_update([entry], ["operator"])

    assert AuditEntry.objects.get().operator == "an"


def test_an_entry_cannot_be_deleted(entry):
    with pytest.raises(AppendOnly):
        entry.delete()
    with pytest.raises(AppendOnly):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(AppendOnly):
        AuditEntry.objects.all().delete()

    assert AuditEntry.objects.count() == 1


def test_only_the_retention_period_removes_entries(entry):
    assert AuditEntry.objects.expire_before(entry.at) == 0
    assert AuditEntry.objects.expire_before(entry.at + dt.timedelta(seconds=1)) == 1


def test_the_admin_shows_entries_but_cannot_add_change_or_delete_them(entry, admin_user):
    request = RequestFactory().get("/admin/")
    request.user = admin_user
    admin = site._registry[AuditEntry]

    assert admin.has_view_permission(request, entry)
    assert not admin.has_add_permission(request)
    assert not admin.has_change_permission(request, entry)
    assert not admin.has_delete_permission(request, entry)


def test_the_member_reference_is_stable_keyed_and_holds_no_id(entry, settings):
    reference = member_reference("gent", "M000042")

    assert entry.member_ref == reference
    assert "M000042" not in reference and "gent" not in reference
    assert member_reference("brugge", "M000042") != reference  # ids are per library
    settings.SECRET_KEY = "another instance's key"
    assert member_reference("gent", "M000042") != reference
