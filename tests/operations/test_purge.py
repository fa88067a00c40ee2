"""Ex-members' data goes after the retention period; the reports they were part of stay."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.test import Client

from patronflow.journeys.models import MailTally
from patronflow.members.models import Member
from patronflow.operations.personal_data import personal_tables, rows_per_table
from patronflow.operations.purge import purge
from patronflow.privacy.models import AuditEntry, RetentionPolicy
from patronflow.reports.metrics import campaign_metrics
from tests.factories import TODAY, LibraryFactory, MemberFactory
from tests.privacy.history import member_with_history
from tests.tracking.links import click_link, feedback_link, unsubscribe_link

TWO_YEARS_AGO = TODAY - dt.timedelta(days=730)
LONG_GONE = TWO_YEARS_AGO - dt.timedelta(days=1)


def everything_about(member: Member) -> dict[str, int]:
    return rows_per_table([member.pk])


def test_an_ex_member_is_removed_with_everything_about_them_after_two_years(library):
    gone = member_with_history(library, membership_ends_on=LONG_GONE)
    assert everything_about(gone) == {
        "tracking.event": 3,
        "tracking.feedback": 1,
        "mail.message": 2,
        "journeys.enrolment": 2,
        "members.loan": 2,
        "members.visit": 1,
        "members.memberevent": 1,
        "profiles.readingprofile": 1,
        "choices.listchoice": 1,
        "choices.consentrecord": 3,
        "members.member": 1,
    }

    purge(TODAY, operator="cron")

    assert everything_about(gone) == {}


@pytest.mark.parametrize(
    "ends_on",
    [
        pytest.param(None, id="current member"),
        pytest.param(TWO_YEARS_AGO, id="ended exactly two years ago"),
        pytest.param(TODAY - dt.timedelta(days=30), id="ended last month"),
    ],
)
def test_members_within_the_retention_period_are_kept(library, ends_on):
    kept = member_with_history(library, membership_ends_on=ends_on)
    before = everything_about(kept)

    purge(TODAY, operator="cron")

    assert everything_about(kept) == before


def test_a_library_can_keep_ex_members_for_a_shorter_or_longer_time(library):
    brugge = LibraryFactory(code="brugge")
    RetentionPolicy.objects.create(library=library, ex_member_days=365)
    RetentionPolicy.objects.create(library=brugge, ex_member_days=1095)
    ended = TODAY - dt.timedelta(days=400)
    in_gent = MemberFactory(library=library, membership_ends_on=ended)
    in_brugge = MemberFactory(library=brugge, membership_ends_on=ended)

    purge(TODAY, operator="cron")

    assert not Member.objects.filter(pk=in_gent.pk).exists()
    assert Member.objects.filter(pk=in_brugge.pk).exists()


def test_reports_count_the_same_after_the_purge(library):
    for _ in range(3):
        member_with_history(library, membership_ends_on=LONG_GONE)
    member_with_history(library)
    before = campaign_metrics(library)

    purge(TODAY, operator="cron")

    assert Member.objects.count() == 1
    assert campaign_metrics(library) == before
    [dormant] = [row for row in before if row.journey == "dormant"]
    assert (dormant.sent, dormant.clicked, dormant.thumbs_up) == (4, 4, 4)


def test_after_the_purge_nothing_joins_a_figure_or_a_link_back_to_the_member(library):
    gone = member_with_history(library, membership_ends_on=LONG_GONE)
    message_ids = list(gone.enrolments.values_list("messages", flat=True))

    purge(TODAY, operator="cron")

    assert MailTally.objects.get().sent == 1
    assert MailTally not in personal_tables()  # no path from a tally to any member
    client = Client()
    for message_id in message_ids:
        for link in (click_link(message_id, 0), unsubscribe_link(message_id)):
            assert client.get(link).status_code == 404
        assert client.get(feedback_link(message_id, "up")).status_code == 404


def test_the_purge_is_idempotent_and_logs_only_what_it_removed(library):
    member_with_history(library, membership_ends_on=LONG_GONE)

    purge(TODAY, operator="cron")
    purge(TODAY, operator="cron")

    entry = AuditEntry.objects.exclude(action="changed").get()  # set-up changes are the fixture's
    assert (entry.action, entry.operator, entry.library_code) == ("purged", "cron", "gent")
    assert entry.member_ref == ""  # one entry per library and run, naming nobody
    assert entry.counts["members.member"] == 1
    assert entry.counts["tracking.event"] == 3
    assert MailTally.objects.get().sent == 1  # counted once


def test_a_dry_run_shows_what_would_go_and_changes_nothing(library, capsys):
    member_with_history(library, membership_ends_on=LONG_GONE)

    call_command("purge", "--dry-run", "--now", TODAY.isoformat())

    output = capsys.readouterr().out
    assert "Would remove 1 ex-members" in output
    assert "tracking.event" in output
    assert Member.objects.count() == 1
    assert not MailTally.objects.exists()
    assert not AuditEntry.objects.exclude(action="changed").exists()


def test_purge_for_one_library_leaves_the_others(library, capsys):
    brugge = LibraryFactory(code="brugge")
    MemberFactory(library=brugge, membership_ends_on=LONG_GONE)
    member_with_history(library, membership_ends_on=LONG_GONE)

    call_command("purge", "--library", "gent", "--now", TODAY.isoformat(), "--by", "an")

    assert list(Member.objects.values_list("library__code", flat=True)) == ["brugge"]
    assert "Removed 1 ex-members" in capsys.readouterr().out
    assert AuditEntry.objects.get(action="purged").operator == "an"


def test_audit_entries_expire_after_five_years(library):
    def entry(days_ago: int) -> AuditEntry:
        moment = dt.datetime.combine(TODAY - dt.timedelta(days=days_ago), dt.time(12))
        return AuditEntry.objects.create(
            at=moment.replace(tzinfo=dt.UTC),
            operator="an",
            action="exported",
            library_code="gent",
            member_ref="x",
        )

    old, recent = entry(days_ago=1828), entry(days_ago=1826)
    of_closed_library = AuditEntry.objects.create(
        at=old.at, operator="an", action="erased", library_code="closed", member_ref="y"
    )

    purge(TODAY, operator="cron")

    remaining = set(AuditEntry.objects.exclude(action__in=["purged", "changed"]))
    assert remaining == {recent}
    logged = {e.library_code: e.counts for e in AuditEntry.objects.filter(action="purged")}
    assert logged == {"gent": {"privacy.auditentry": 1}, "closed": {"privacy.auditentry": 1}}
    assert of_closed_library not in remaining


@pytest.mark.django_db(transaction=True)
def test_two_purges_at_once_remove_and_count_each_ex_member_once():
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    from patronflow.journeys.definitions import install_standard_journeys

    library = LibraryFactory(code="gent")
    install_standard_journeys(library)
    for _ in range(6):
        member_with_history(library, membership_ends_on=LONG_GONE)

    def run() -> int:
        try:
            return purge(TODAY, operator="cron").total["members.member"]
        finally:
            connection.close()

    with ThreadPoolExecutor(2) as pool:
        removed = sorted(pool.map(lambda _: run(), range(2)))

    assert sum(removed) == 6
    assert not Member.objects.exists()
    assert sum(MailTally.objects.values_list("sent", flat=True)) == 6
