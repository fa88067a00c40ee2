"""`patronflow import`: what an operator sees, and the exit status a nightly job acts on."""

import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from patronflow.members.models import Member, Visit
from tests.conftest import subprocess_environment
from tests.factories import MemberFactory
from tests.members.conftest import ITEMS_HEADER, LOANS_HEADER, MEMBERS_HEADER

PATRONFLOW = str(Path(sys.executable).parent / "patronflow")
GOOD = "M1,Anna,Peeters,anna@example.org,1980-05-17,2020-02-01,,ja,"
NO_ID = ",Bart,Claes,,,2021-03-15,,,"
BAD_DATE = "M3,Céline,Dupont,,,30/02/2021,,,"


def run_import(*args: str) -> tuple[int, str, str]:
    stdout, stderr = StringIO(), StringIO()
    try:
        call_command("import", *args, stdout=stdout, stderr=stderr)
    except SystemExit as exit:
        return exit.code, stdout.getvalue(), stderr.getvalue()
    return 0, stdout.getvalue(), stderr.getvalue()


def test_the_summary_goes_to_stdout_and_each_rejection_to_stderr(library, export):
    path = export("members.csv", MEMBERS_HEADER, GOOD, NO_ID, BAD_DATE)

    status, out, err = run_import("members", str(path), "--library", "gent")

    assert status == 3
    assert f"Imported members into gent from {path} (UTF-8, comma-separated)" in out
    assert "inserted" in out and "rejected" in out
    assert err.splitlines()[:2] == [
        f"{path}:3: member_id is empty",
        f"{path}:4: registered_on: '30/02/2021' is not a date on the calendar",
    ]
    assert f"2 rows rejected (all in {path}.rejects.csv); the other rows were loaded" in err
    assert Member.objects.get(external_id="M1").first_name == "Anna"


def test_a_clean_file_exits_0_and_says_nothing_on_stderr(library, export):
    status, out, err = run_import(
        "members", str(export("members.csv", MEMBERS_HEADER, GOOD)), "--library", "gent"
    )

    assert (status, err) == (0, "")
    assert "inserted" in out


def test_rejections_beyond_100_are_counted_not_listed(library, export):
    path = export("members.csv", MEMBERS_HEADER, *[NO_ID] * 130)

    status, _, err = run_import("members", str(path), "--library", "gent")

    assert status == 3
    listed = [line for line in err.splitlines() if line.startswith(f"{path}:")]
    assert len(listed) == 100
    assert listed[-1] == f"{path}:101: member_id is empty"
    assert "... and 30 more" in err


def test_missing_columns_are_a_fatal_error_that_loads_nothing(library, export):
    path = export("members.csv", "member_id,last_name", "M1,Peeters")

    with pytest.raises(CommandError, match="missing required columns first_name, registered_on"):
        call_command("import", "members", str(path), "--library", "gent")


@pytest.mark.django_db(transaction=True)
def test_the_cli_exits_3_when_some_rows_are_rejected_and_loads_the_rest(library, export):
    path = export("members.csv", MEMBERS_HEADER, GOOD, NO_ID)

    result = subprocess.run(
        [PATRONFLOW, "import", "members", path.name, "--library", "gent"],
        cwd=path.parent,
        env=subprocess_environment(),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 3, result.stderr
    assert "members.csv:3: member_id is empty" in result.stderr
    assert list(Member.objects.values_list("external_id", flat=True)) == ["M1"]


@pytest.mark.django_db(transaction=True)
def test_the_cli_exits_1_for_an_unknown_library_and_names_the_known_ones(library, export):
    path = export("members.csv", MEMBERS_HEADER, GOOD)

    result = subprocess.run(
        [PATRONFLOW, "import", "members", str(path), "--library", "gnet"],
        env=subprocess_environment(),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1
    assert "unknown library 'gnet' (known libraries: gent)" in result.stderr
    assert "patronflow library add CODE --name NAME" in result.stderr
    assert not Member.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_cli_exits_4_for_another_librarys_snapshot_and_loads_it_only_when_forced(
    library, export
):
    for n in range(1, 11):
        MemberFactory(library=library, external_id=f"G{n}")
    path = export("brugge.csv", MEMBERS_HEADER, *[f"B{n},Bram,,,,2021-03-15,,," for n in range(5)])
    command = [PATRONFLOW, "import", "members", str(path), "--library", "gent", "--snapshot"]

    def run(*options: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*command, *options],
            env=subprocess_environment(),
            capture_output=True,
            text=True,
            timeout=60,
        )

    refused = run()
    assert refused.returncode == 4, refused.stderr
    message = " ".join(refused.stderr.split())
    assert "of its 5 member ids 0 are members of the library (0%" in message
    assert "it would end 10 of the library's 10 running memberships (100%" in message
    assert "--force-snapshot" in message
    assert Member.objects.count() == 10 and not Member.objects.exclude(membership_ends_on=None)

    forced = run("--force-snapshot")
    assert forced.returncode == 0, forced.stderr
    assert Member.objects.filter(membership_ends_on__isnull=False).count() == 10


def test_max_ended_takes_a_percentage_and_goes_with_snapshot_only(library, export):
    for n in range(1, 11):
        MemberFactory(library=library, external_id=f"G{n}")
    path = export(
        "leden.csv", MEMBERS_HEADER, *[f"G{n},Greet,,,,2021-03-15,,," for n in range(3, 11)]
    )

    with pytest.raises(CommandError, match=r"would end 2 .* \(20%; at most 10% may end\)"):
        call_command("import", "members", str(path), "--library", "gent", "--snapshot")
    with pytest.raises(CommandError, match="go with --snapshot only"):
        call_command("import", "members", str(path), "--library", "gent", "--max-ended", "25%")

    status, _, _ = run_import(
        "members", str(path), "--library", "gent", "--snapshot", "--max-ended", "25%"
    )
    assert status == 0 and Member.objects.exclude(membership_ends_on=None).count() == 2


def test_the_summary_names_the_rejects_file_and_every_rejected_row_is_in_it(
    library, export, tmp_path
):
    path = export("members.csv", MEMBERS_HEADER, GOOD, NO_ID, BAD_DATE)
    rejects = tmp_path / "afgekeurd.csv"

    status, out, err = run_import(
        "members", str(path), "--library", "gent", "--rejects", str(rejects)
    )

    assert status == 3
    assert f"Rejected rows, with their text: {rejects}" in out.replace("\n", "")
    assert f"(all in {rejects})" in err
    assert rejects.read_text(encoding="utf-8").splitlines() == [
        "line,reason,row",
        f'3,member_id is empty,"{NO_ID}"',
        f"4,registered_on: '30/02/2021' is not a date on the calendar,\"{BAD_DATE}\"",
    ]


def test_a_snapshot_says_how_many_memberships_it_ended(library, export):
    run_import(
        "members",
        str(export("all.csv", MEMBERS_HEADER, GOOD, BAD_DATE.replace("30/02", "28/02"))),
        "--library",
        "gent",
    )

    status, out, _ = run_import(
        "members",
        str(export("now.csv", MEMBERS_HEADER, GOOD)),
        "--library",
        "gent",
        "--snapshot",
        "--max-ended",
        "50%",
    )

    assert status == 0
    assert "Imported snapshot of members into gent" in out
    assert "memberships ended (absent from the snapshot)" in out
    assert Member.objects.get(external_id="M3").membership_ends_on is not None


def test_encoding_and_preset_options_reach_the_import(library, export):
    path = export(
        "leners.csv",
        "Lenersnummer;Voornaam;Inschrijvingsdatum;Mijn Bibliotheek-profiel",
        "100234;Anaïs;01/02/2020;J",
        encoding="latin-1",
    )

    status, out, _ = run_import(
        "members", str(path), "--library", "gent", "--encoding", "latin-1", "--preset", "wise"
    )

    assert status == 0
    assert "(Latin-1, semicolon-separated)" in out
    anais = Member.objects.get(external_id="100234")
    assert (anais.first_name, anais.has_online_profile) == ("Anaïs", True)


def test_the_summary_says_how_many_members_a_changed_loan_touched(library, export):
    second = GOOD.replace("M1,Anna", "M2,Bram").replace("anna@", "bram@")
    run_import("members", str(export("m.csv", MEMBERS_HEADER, GOOD, second)), "--library", "gent")
    run_import("items", str(export("i.csv", ITEMS_HEADER, "I1,Het smelt,Lize Spit,,book,,,,ja")),
               "--library", "gent")  # fmt: skip
    run_import(
        "loans", str(export("l.csv", LOANS_HEADER, "L1,M1,I1,2026-05-02")), "--library", "gent"
    )

    _, out, _ = run_import(
        "loans", str(export("l2.csv", LOANS_HEADER, "L1,M2,I1,2026-05-02")), "--library", "gent"
    )

    assert "members whose loans changed (recounted at the next refresh)" in out
    assert "│ 2" in out.split("members whose loans changed")[1].splitlines()[0]


def test_a_visits_file_imports_and_names_its_bad_rows(library, export):
    MemberFactory(library=library, external_id="M1")
    path = export(
        "visits.csv", "member_id,visited_on,channel", "M1,2026-05-04,desk", "M2,2026-05-04,"
    )

    status, out, err = run_import("visits", str(path), "--library", "gent")

    assert status == 3
    assert f"Imported visits into gent from {path}" in out
    assert err.splitlines()[0] == f"{path}:3: unknown member 'M2'"
    assert list(Visit.objects.values_list("channel", flat=True)) == ["desk"]
