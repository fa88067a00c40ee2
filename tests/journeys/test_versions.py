"""Editing a journey: in place while nobody is in it, else a new version the old members
do not notice unless the marketer migrates them — and then without a repeated mail."""

import datetime as dt

from django.core.management import call_command

from patronflow.journeys.definitions import dump_definition
from patronflow.journeys.models import Enrolment, MailTally
from patronflow.journeys.services import migrate_enrolments
from patronflow.operations.tick import tick
from patronflow.privacy.models import AuditEntry
from tests.factories import TODAY, MemberFactory, at
from tests.journeys.helpers import definition, install, only, step, subjects_to

NEW_MEMBERS = {"registered_within_days": 14}


def v1_steps() -> list[dict]:
    return [step("Mail 1", 0, subject="v1 mail 1"), step("Mail 2", 7, subject="v1 mail 2")]


def v2_steps() -> list[dict]:
    return [
        step("Mail 1", 0, subject="v2 mail 1"),
        step("Mail 2", 7, subject="v2 mail 2"),
        step("Mail 3", 14, subject="v2 mail 3"),
    ]


def run(first: int, last: int) -> None:
    for offset in range(first, last + 1):
        tick(at(TODAY + dt.timedelta(days=offset)))


def test_a_journey_nobody_entered_is_changed_in_place(library, smtp_server):
    installed = install(library, steps=v1_steps(), entry=NEW_MEMBERS, status="draft")

    again = install(library, steps=v2_steps(), entry=NEW_MEMBERS, status="draft")

    assert again.outcome == "replaced"
    assert again.version.pk == installed.version.pk
    assert installed.journey.versions.count() == 1
    assert list(again.version.steps.values_list("variants__subject", flat=True)) == [
        "v2 mail 1",
        "v2 mail 2",
        "v2 mail 3",
    ]


def test_members_on_version_1_finish_on_it_while_newcomers_get_version_2(library, smtp_server):
    only(library)
    install(library, steps=v1_steps(), entry=NEW_MEMBERS)
    early = MemberFactory(library=library, registered_on=TODAY)
    run(0, 0)

    changed = install(library, steps=v2_steps(), entry=NEW_MEMBERS)
    newcomer = MemberFactory(library=library, registered_on=TODAY + dt.timedelta(days=1))
    run(1, 16)

    assert changed.outcome == "new version"
    assert changed.version.number == 2
    assert subjects_to(smtp_server, early.email) == ["v1 mail 1", "v1 mail 2"]
    assert subjects_to(smtp_server, newcomer.email) == ["v2 mail 1", "v2 mail 2", "v2 mail 3"]
    assert Enrolment.objects.get(member=early).version.number == 1
    assert Enrolment.objects.get(member=newcomer).version.number == 2


def test_migrated_members_continue_on_version_2_where_they_were(library, smtp_server):
    only(library)
    install(library, steps=v1_steps(), entry=NEW_MEMBERS)
    early = MemberFactory(library=library, registered_on=TODAY)
    run(0, 1)
    changed = install(library, steps=v2_steps(), entry=NEW_MEMBERS)

    moved = migrate_enrolments(changed.journey, TODAY + dt.timedelta(days=2))
    run(2, 16)

    assert moved == 1
    assert subjects_to(smtp_server, early.email) == ["v1 mail 1", "v2 mail 2", "v2 mail 3"]
    enrolment = Enrolment.objects.get(member=early)
    assert enrolment.version.number == 2
    assert enrolment.status == Enrolment.Status.COMPLETED


def test_the_migrate_command_says_how_many_members_moved(library, smtp_server, capsys):
    only(library)
    install(library, steps=v1_steps(), entry=NEW_MEMBERS)
    MemberFactory(library=library, registered_on=TODAY)
    MemberFactory(library=library, registered_on=TODAY)
    run(0, 0)
    install(library, steps=v2_steps(), entry=NEW_MEMBERS)

    call_command("journey", "migrate", "test", "--library", "gent")

    assert "Moved 2 members of gent/test onto version 2." in capsys.readouterr().out
    assert set(Enrolment.objects.values_list("version__number", flat=True)) == {2}
    logged = AuditEntry.objects.filter(action="changed", subject="journey test")
    [moved] = [entry for entry in logged if "members on version" in entry.changes]
    assert moved.operator == "command line"
    assert moved.changes == {"members on version": ["older", "2 (2)"]}


def test_importing_the_same_definition_again_changes_nothing(library, smtp_server, tmp_path):
    only(library)
    install(library, steps=v1_steps(), entry=NEW_MEMBERS)
    MemberFactory(library=library, registered_on=TODAY)
    run(0, 0)
    path = tmp_path / "test.yaml"
    call_command("journey", "export", "test", "--library", "gent", "--output", str(path))

    again = install(library, steps=v1_steps(), entry=NEW_MEMBERS)
    call_command("journey", "import", str(path), "--library", "gent")

    assert again.outcome == "unchanged"
    assert again.journey.versions.count() == 1


def test_the_import_command_tells_a_new_version_from_a_replacement(
    library, tmp_path, capsys, smtp_server
):
    only(library)

    path = tmp_path / "test.yaml"
    path.write_text(dump_definition(definition(steps=v1_steps(), entry=NEW_MEMBERS)))
    call_command("journey", "import", str(path), "--library", "gent")
    path.write_text(dump_definition(definition(steps=v2_steps(), entry=NEW_MEMBERS)))
    call_command("journey", "import", str(path), "--library", "gent")
    MemberFactory(library=library, registered_on=TODAY)
    run(0, 0)
    path.write_text(dump_definition(definition(steps=v1_steps(), entry=NEW_MEMBERS)))
    call_command("journey", "import", str(path), "--library", "gent")
    call_command("journey", "import", str(path), "--library", "gent")

    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Created gent/test (active), version 1."
    assert lines[1] == "Replaced version 1 of gent/test: nobody had entered it."
    assert lines[2].startswith("Added version 2 of gent/test: new members enter it;")
    assert lines[3] == "gent/test already is this definition (version 2)."


def test_a_version_whose_members_were_all_erased_is_kept_as_history(library):
    installed = install(library, steps=v1_steps(), entry=NEW_MEMBERS, status="draft")
    first_step = installed.version.steps.get(position=1)
    MailTally.objects.create(
        library=library,
        step=first_step,
        variant=first_step.variants.get(segment=""),
        week=TODAY,
        sent=12,
    )

    again = install(library, steps=v2_steps(), entry=NEW_MEMBERS, status="draft")

    assert again.outcome == "new version"
    assert MailTally.objects.get().step.version == installed.version
