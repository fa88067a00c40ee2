"""Contacts (people who signed up for a list without being members): the purge removes
requests nobody confirmed in time and contacts who left, and keeps the rest; `patronflow
contact export|erase EMAIL --library CODE` gives or removes everything held about an
address, audit-logged."""

import datetime as dt
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from patronflow.choices import signup
from patronflow.choices.models import ConsentRecord, Contact, MailingList, SignupAttempt
from patronflow.choices.services import list_for
from patronflow.operations.purge import purge
from patronflow.privacy.models import AuditEntry
from tests.factories import LibraryFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 1)


def moment(days_before: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(TODAY, dt.time(9))) - dt.timedelta(
        days=days_before
    )


def requested(mailing_list, email: str, days_before: int) -> Contact:
    return signup.request_signup(mailing_list, email=email, language="nl", at=moment(days_before))


def test_the_purge_removes_old_unconfirmed_requests_and_contacts_who_left(library):
    newsletter = list_for(library, "newsletter")
    old = requested(newsletter, "oud@example.org", signup.PENDING_DAYS + 1)
    fresh = requested(newsletter, "vers@example.org", signup.PENDING_DAYS - 1)
    confirmed = requested(newsletter, "bevestigd@example.org", signup.PENDING_DAYS + 40)
    signup.confirm(confirmed, choose=None, at=moment(signup.PENDING_DAYS + 39))
    left = requested(newsletter, "weg@example.org", 100)
    Contact.objects.filter(pk=left.pk).update(confirmed_at=moment(99), left_at=moment(5))

    summary = purge(TODAY, operator="cron", now=moment(0))

    assert set(Contact.objects.values_list("email", flat=True)) == {
        "vers@example.org",
        "bevestigd@example.org",
    }
    assert not ConsentRecord.objects.filter(contact_id__in=[old.pk, left.pk]).exists()
    assert summary.rows("gent")["choices.contact"] == 2
    assert summary.rows("gent")["choices.consentrecord"] == 2
    assert fresh.consents.count() == 1
    entry = AuditEntry.objects.get(action="purged", library_code="gent")
    assert entry.counts["choices.contact"] == 2


def test_a_dry_run_counts_the_contacts_and_removes_none(library):
    requested(list_for(library, "newsletter"), "oud@example.org", signup.PENDING_DAYS + 1)
    summary = purge(TODAY, operator="cron", dry_run=True, now=moment(0))
    assert summary.rows("gent")["choices.contact"] == 1
    assert Contact.objects.count() == 1


def test_the_purge_forgets_attempts_older_than_a_day(library):
    signup.attempt_allowed(address="a@example.org", client="192.0.2.1", now=moment(2))
    assert SignupAttempt.objects.count() == 2
    purge(TODAY, operator="cron", now=moment(0))
    assert not SignupAttempt.objects.exists()


def test_contact_export_gives_every_list_and_consent_record_of_the_address(library, capsys):
    newsletter = list_for(library, "newsletter")
    events = MailingList.objects.create(library=library, key="activiteiten", name="Activiteiten")
    requested(newsletter, "lotte@example.org", 3)
    confirmed = requested(events, "lotte@example.org", 2)
    signup.confirm(confirmed, choose=None, at=moment(1))
    requested(newsletter, "ander@example.org", 3)

    call_command("contact", "export", "Lotte@Example.org", "--library", "gent", "--by", "dpo")

    export = json.loads(capsys.readouterr().out)
    assert [c["list"] for c in export["contacts"]] == ["Nieuwsbrief", "Activiteiten"]
    assert export["contacts"][1]["confirmed_at"] is not None
    choices = [r["choice"] for c in export["contacts"] for r in c["consent_records"]]
    assert choices == ["requested", "requested", "confirmed"]
    assert "ander@example.org" not in json.dumps(export)
    assert export["contacts"][0]["consent_records"][0]["wording"].startswith("Sign-up form")
    entry = AuditEntry.objects.get(action="exported")
    assert (entry.operator, entry.counts) == (
        "dpo",
        {"choices.contact": 2, "choices.consentrecord": 3},
    )


def test_contact_erase_removes_the_address_everywhere_and_logs_the_counts(library, capsys):
    newsletter = list_for(library, "newsletter")
    requested(newsletter, "lotte@example.org", 3)
    requested(newsletter, "ander@example.org", 3)
    signup.attempt_allowed(address="lotte@example.org", client="192.0.2.1")

    call_command("contact", "erase", "lotte@example.org", "--library", "gent", "--yes")

    assert list(Contact.objects.values_list("email", flat=True)) == ["ander@example.org"]
    assert ConsentRecord.objects.count() == 1
    assert not SignupAttempt.objects.filter(kind="address").exists()
    assert "Erased lotte@example.org" in capsys.readouterr().out
    entry = AuditEntry.objects.get(action="erased")
    assert entry.counts == {
        "choices.contact": 1,
        "choices.consentrecord": 1,
        "choices.signupattempt": 1,
    }


def test_an_address_without_a_sign_up_is_refused(library):
    brugge = LibraryFactory(code="brugge")
    requested(list_for(brugge, "newsletter"), "lotte@example.org", 3)
    with pytest.raises(CommandError, match="no sign-up"):
        call_command("contact", "erase", "lotte@example.org", "--library", "gent", "--yes")
    assert Contact.objects.count() == 1
