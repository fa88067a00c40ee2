"""A member may see everything held about them, and have it erased."""

import json
import stat

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from patronflow.members.models import Member
from patronflow.operations.personal_data import personal_tables, section_for
from patronflow.privacy.models import AuditEntry
from patronflow.privacy.references import member_reference
from patronflow.reports.metrics import campaign_metrics
from tests.factories import LibraryFactory, MemberFactory
from tests.privacy.history import member_with_history


def exported(capsys, *args: str) -> dict:
    call_command("member", "export", *args)
    return json.loads(capsys.readouterr().out)


def test_the_export_holds_every_row_of_every_table_that_leads_to_the_member(library, capsys):
    member = member_with_history(library)
    member_with_history(library)  # someone else, who must not show up

    export = exported(capsys, member.external_id, "--library", "gent")

    for model, path in personal_tables().items():
        rows = model._default_manager.filter(**{path: member.pk}).count()
        assert rows, f"member_with_history leaves no {model._meta.label} row: add one"
        section = export[section_for(model).name]
        listed = len(section) if isinstance(section, list) else int(section is not None)
        assert listed == rows, model._meta.label


def test_the_export_is_readable_by_the_member(library, capsys):
    member = member_with_history(library)
    loan = member.loans.select_related("item").first()

    export = exported(capsys, member.external_id, "--library", "gent")

    assert export["library"] == {"code": "gent", "name": "Bibliotheek Gent"}
    assert export["member"]["email"] == member.email
    assert export["member"]["birth_date"] == member.birth_date.isoformat()
    assert export["reading_profile"]["segment"] == "fiction_physical"
    assert {"title": loan.item.title, "author": loan.item.author}.items() <= export["loans"][0][
        "item"
    ].items()
    assert {e["journey"] for e in export["enrolments"]} == {"dormant", "welcome"}
    sent = next(m for m in export["messages"] if m["status"] == "sent")
    assert sent["subject"] == f"We missen je, {member.first_name}!"
    assert sent["to_email"] == member.email
    assert sent["links"][0] == "https://catalogus.example.be/boek/123"
    clicks = [e for e in export["events"] if e["kind"] == "click"]
    assert clicks[0]["link"] == "https://catalogus.example.be/boek/123"
    assert export["feedback"][0]["comment"] == "Leuke tips!"
    assert export["list_choices"] == [
        {
            "receives": False,
            "chosen_at": "2024-03-06T09:00:00Z",
            "list": "newsletter",
            "list_name": "Nieuwsbrief",
        }
    ]
    left, stopped, resumed = export["consent_records"]
    assert (left["choice_meaning"], left["list_name"]) == ("Left the list", "Nieuwsbrief")
    assert left["source_meaning"] == "Preference page"
    assert "'Geen mails meer van de bibliotheek'" in left["wording"]
    assert stopped["choice_meaning"] == "No more mails from the library"
    assert resumed["choice_meaning"] == "Mails from the library again"


def test_an_export_to_a_file_is_private_and_audit_logged(library, tmp_path):
    member = member_with_history(library)
    output = tmp_path / "export.json"

    call_command(
        "member", "export", member.external_id, "--library", "gent", "-o", str(output), "--by", "an"
    )

    assert json.loads(output.read_text("utf-8"))["member"]["external_id"] == member.external_id
    assert stat.S_IMODE(output.stat().st_mode) == 0o600
    entry = AuditEntry.objects.exclude(action="changed").get()
    assert (entry.action, entry.operator, entry.library_code) == ("exported", "an", "gent")
    assert entry.member_ref == member_reference("gent", member.external_id)
    assert entry.counts["mail.message"] == 2


def test_erasure_removes_everything_about_the_member_and_keeps_the_report(library, capsys):
    member = member_with_history(library)
    other = member_with_history(library)
    figures = campaign_metrics()

    call_command("member", "erase", member.external_id, "--library", "gent", "--by", "an")

    assert not Member.objects.filter(pk=member.pk).exists()
    for model, path in personal_tables().items():
        assert not model._default_manager.filter(**{path: member.pk}).exists()
        assert model._default_manager.filter(**{path: other.pk}).exists()
    assert campaign_metrics() == figures
    assert "Erased gent:" in capsys.readouterr().out


def test_erasure_is_logged_without_the_member_id_in_clear(library):
    member = member_with_history(library)

    call_command("member", "erase", member.external_id, "--library", "gent", "--by", "an")

    entry = AuditEntry.objects.exclude(action="changed").get()
    assert (entry.action, entry.operator) == ("erased", "an")
    assert entry.member_ref == member_reference("gent", member.external_id)
    assert member.external_id not in json.dumps(list(AuditEntry.objects.values()), default=str)
    assert entry.counts["members.member"] == 1
    assert entry.counts["tracking.feedback"] == 1


@pytest.mark.parametrize("action", ["export", "erase"])
def test_an_unknown_member_is_an_error_that_changes_nothing(library, action):
    with pytest.raises(CommandError, match="holds no member 'M404'"):
        call_command("member", action, "M404", "--library", "gent")

    assert not AuditEntry.objects.exclude(action="changed").exists()


def test_a_member_of_another_library_cannot_be_reached(library):
    brugge_member = MemberFactory(library=LibraryFactory(code="brugge"))

    with pytest.raises(CommandError, match="holds no member"):
        call_command("member", "erase", brugge_member.external_id, "--library", "gent")
    assert Member.objects.filter(pk=brugge_member.pk).exists()


def test_the_audit_entries_about_a_member_can_be_listed_after_erasure(library, capsys):
    member = member_with_history(library)
    call_command("member", "export", member.external_id, "--library", "gent", "--by", "an")
    call_command("member", "erase", member.external_id, "--library", "gent", "--by", "bo")
    capsys.readouterr()

    call_command("member", "audit", member.external_id, "--library", "gent")

    output = capsys.readouterr().out
    assert "exported" in output and " an " in output
    assert "erased" in output and " bo " in output
