"""Changes made on the command line, and by patronflow itself, are in the audit log as theirs:
"command line" or "patronflow", what changed from what to what, and when; never a member."""

import io
import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from patronflow.journeys.definitions import dump_definition, export_definition
from patronflow.journeys.models import Journey
from patronflow.operations.tick import tick
from patronflow.privacy.models import AuditEntry
from tests.factories import TODAY, ItemFactory, MemberFactory, at
from tests.mail.test_poisoned_template import poison_the_welcome_mail

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged(library):
    """The change entries written from here on (none may name a member)."""
    start = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    started = timezone.now()

    def changes() -> list[AuditEntry]:
        entries = list(AuditEntry.objects.filter(id__gt=start, action="changed").order_by("id"))
        members = list(library.members.values_list("external_id", "email", "first_name"))
        for entry in entries:
            assert started <= entry.at <= timezone.now()
            assert entry.member_ref == ""
            text = json.dumps([entry.subject, entry.changes], ensure_ascii=False)
            assert not any(detail in text for member in members for detail in member)
        return entries

    return changes


def test_journey_pause_activate_and_archive_on_the_command_line(library, logged):
    for action in ("pause", "activate", "archive"):
        call_command("journey", action, "welcome", "--library", "gent", stdout=io.StringIO())

    entries = logged()
    assert [(e.operator, e.library_code, e.subject) for e in entries] == [
        ("command line", "gent", "journey welcome")
    ] * 3
    assert [e.changes["status"] for e in entries] == [
        ["active", "paused"],
        ["paused", "active"],
        ["active", "archived"],
    ]


def test_a_journey_imported_with_another_language_and_holdout(library, logged, tmp_path):
    definition = export_definition(Journey.objects.get(library=library, key="dormant"))
    definition |= {"language": "en", "holdout_percent": 25}
    path = tmp_path / "dormant.yaml"
    path.write_text(dump_definition(definition), "utf-8")

    call_command("journey", "import", str(path), "--library", "gent", stdout=io.StringIO())

    [entry] = logged()
    assert (entry.operator, entry.subject) == ("command line", "journey dormant")
    assert entry.changes == {"language": ["nl", "en"], "holdout_percent": [0, 25]}


def test_a_new_journey_is_logged_as_created(library, logged, tmp_path):
    definition = export_definition(Journey.objects.get(library=library, key="welcome"))
    definition |= {"key": "zomer", "name": "Zomerlezen", "status": "draft"}
    path = tmp_path / "zomer.yaml"
    path.write_text(dump_definition(definition), "utf-8")

    call_command("journey", "import", str(path), "--library", "gent", stdout=io.StringIO())

    [entry] = logged()
    assert entry.subject == "journey zomer"
    assert entry.changes == {"journey": [None, "Zomerlezen"], "status": [None, "draft"]}


def test_library_set_and_library_add(library, logged):
    call_command(
        "library", "set", "gent", "--daily-cap", "800", "--send-window", "mon-sat 09:00-17:00",
        stdout=io.StringIO(),
    )  # fmt: skip
    call_command("library", "add", "aalst", "--name", "Bib Aalst", stdout=io.StringIO())

    changed, added, *journeys = logged()
    assert (changed.operator, changed.subject) == ("command line", "library gent")
    assert changed.changes == {
        "daily_cap": [library.daily_cap, 800],
        "send_window": [library.send_window.describe(), "mon-sat 09:00-17:00"],
    }
    assert (added.library_code, added.subject, added.changes) == (
        "aalst",
        "library aalst",
        {"name": [None, "Bib Aalst"]},
    )
    assert [entry.subject for entry in journeys] == ["journey welcome", "journey dormant"]


def test_tips_pin_and_forget_on_the_command_line(library, logged):
    ItemFactory(library=library, title="Het smelt", author="Lize Spit")
    for action in ("pin", "forget"):
        call_command("tips", action, "Het smelt", "--library", "gent", stdout=io.StringIO())

    pinned, forgotten = logged()
    assert (pinned.operator, pinned.subject) == (
        "command line",
        "reading tip “Het smelt” (Lize Spit)",
    )
    assert pinned.changes == {"every segment": [None, "pin"]}
    assert forgotten.changes == {"every segment": ["pin", None]}


def test_staff_add_and_remove_on_the_command_line(library, logged, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("correct horse battery staple\n"))
    call_command(
        "staff", "add", "bart", "--library", "gent", "--role", "marketer",
        "--email", "bart@gent.be", "--password-stdin", stdout=io.StringIO(),
    )  # fmt: skip
    call_command("staff", "remove", "bart", stdout=io.StringIO())

    added, removed = logged()
    assert (added.operator, added.library_code, added.subject) == (
        "command line",
        "gent",
        "staff account bart",
    )
    assert (added.changes, removed.changes) == (
        {"role": [None, "marketer"]},
        {"role": ["marketer", None]},
    )


def test_patronflow_pausing_a_journey_whose_mails_fail_is_logged_as_its_own(
    library, logged, smtp_server
):
    poison_the_welcome_mail(library)
    MemberFactory.create_batch(4, library=library, registered_on=TODAY)

    tick(at(TODAY))

    [entry] = logged()
    assert (entry.operator, entry.subject) == ("patronflow", "journey welcome")
    assert entry.changes == {"status": ["active", "paused"]}
