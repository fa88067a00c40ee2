"""`patronflow sync` and the ending of memberships, against a real HTTP server on 127.0.0.1
that replays the recorded Wise answers (tests/members/recordings/), and from a file drop."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from patronflow.members.models import Member
from patronflow.operations.sync import end_memberships
from tests.factories import MemberFactory
from tests.members.library_systems import SECRETS

# Ending memberships


def test_ending_memberships_sets_the_day_keeps_earlier_ends_and_deletes_nothing(library):
    open_ended = MemberFactory(library=library, external_id="2001")
    ended_before = MemberFactory(
        library=library, external_id="2002", membership_ends_on=dt.date(2026, 1, 31)
    )
    ends_later = MemberFactory(
        library=library, external_id="2003", membership_ends_on=dt.date(2027, 6, 30)
    )
    day = dt.date(2026, 5, 2)

    result = end_memberships(library, ["2001", "2002", "2003", "2001", "9999"], day)
    again = end_memberships(library, ["2001", "2002", "2003"], day)

    assert (result.ended, result.already_ended, result.unknown) == (2, 1, 1)
    assert (again.ended, again.already_ended, again.unknown) == (0, 3, 0)
    for member in (open_ended, ended_before, ends_later):
        member.refresh_from_db()
    assert open_ended.membership_ends_on == day
    assert ended_before.membership_ends_on == dt.date(2026, 1, 31)
    assert ends_later.membership_ends_on == day
    assert Member.objects.filter(library=library).count() == 3


# patronflow sync


def run_sync(*args: str) -> tuple[int, str, str]:
    stdout, stderr = StringIO(), StringIO()
    try:
        call_command("sync", *args, stdout=stdout, stderr=stderr)
    except SystemExit as exit:
        return exit.code, stdout.getvalue(), stderr.getvalue()
    return 0, stdout.getvalue(), stderr.getvalue()


@pytest.fixture
def wise_config(tmp_path, wise_server, monkeypatch):
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    path = tmp_path / "connectors.toml"
    path.write_text(
        f"""
        [libraries.gent.wise]
        base_url = "{wise_server.url}"
        library_id = "1234"
        application_name = "patronflow-test"
        page_size = 2
        retry_delay = 0
        """,
        encoding="utf-8",
    )
    return path


def members_as_stored(library) -> list[dict]:
    return list(
        Member.objects.filter(library=library)
        .order_by("external_id")
        .values("external_id", "first_name", "email", "membership_ends_on", "updated_at")
    )


def test_sync_upserts_changed_members_and_ends_deleted_ones(library, wise_server, wise_config):
    MemberFactory(library=library, external_id="1001", first_name="Ann", email="oud@example.org")
    MemberFactory(library=library, external_id="2001")
    MemberFactory(library=library, external_id="2002", membership_ends_on=dt.date(2026, 1, 31))
    wise_server.play("wise/sync")

    status, out, err = run_sync(
        "--library", "gent", "--since", "2026-05-01", "--config", str(wise_config)
    )

    assert status == 3
    assert "Synced members of gent from wise:gent (changes since 2026-05-01)" in out
    assert err.splitlines()[0] == "wise:gent:3: registered_on is empty"
    stored = {m["external_id"]: m for m in members_as_stored(library)}
    assert set(stored) == {"1001", "1002", "2001", "2002"}
    assert (stored["1001"]["first_name"], stored["1001"]["email"]) == (
        "Anna",
        "anna.peeters@example.org",
    )
    assert stored["1002"]["first_name"] == "Bart"
    assert stored["2001"]["membership_ends_on"] == timezone.localdate()
    assert stored["2002"]["membership_ends_on"] == dt.date(2026, 1, 31)
    assert wise_server.unplayed == []


def test_running_the_same_sync_again_changes_nothing(library, wise_server, wise_config):
    MemberFactory(library=library, external_id="2001")
    wise_server.play("wise/sync")
    run_sync("--library", "gent", "--since", "2026-05-01", "--config", str(wise_config))
    before = members_as_stored(library)
    wise_server.play("wise/sync")

    status, out, _ = run_sync(
        "--library", "gent", "--since", "01/05/2026", "--config", str(wise_config)
    )

    assert status == 3  # the member without a membership start is still rejected
    assert members_as_stored(library) == before
    table = {
        line.split("│")[1].strip(): line.split("│")[2].strip()
        for line in out.splitlines()
        if line.count("│") == 3
    }
    assert (table["inserted"], table["updated"], table["unchanged"]) == ("0", "0", "2")
    assert (table["memberships ended"], table["already ended"]) == ("0", "1")


def test_sync_stops_with_a_clear_error_when_wise_refuses_the_key(library, wise_server, wise_config):
    wise_server.play("wise/unauthorized")

    with pytest.raises(CommandError, match=r"Wise refused the request \(HTTP 401\)"):
        run_sync("--library", "gent", "--config", str(wise_config))
    assert Member.objects.filter(library=library).count() == 0


def test_a_secret_left_out_of_the_environment_names_its_variable(library, wise_config, monkeypatch):
    monkeypatch.delenv("PATRONFLOW_WISE_PASSWORD")

    with pytest.raises(
        CommandError, match="environment variable PATRONFLOW_WISE_PASSWORD is not set"
    ):
        run_sync("--library", "gent", "--config", str(wise_config))


def test_a_secret_written_in_the_configuration_is_refused(library, tmp_path):
    path = tmp_path / "connectors.toml"
    path.write_text(
        '[libraries.gent.wise]\nbase_url = "https://wise.example.org"\nlibrary_id = "1"\n'
        'application_name = "pf"\napi_key = "s3cret"\n',
        encoding="utf-8",
    )

    with pytest.raises(CommandError) as raised:
        run_sync("--library", "gent", "--config", str(path))

    message = str(raised.value)
    assert f"{path}: [libraries.gent.wise]: unknown setting 'api_key'" in message
    assert "set api_key_env to the name of the environment variable" in message


def test_a_library_without_configuration_or_without_a_config_file_is_explained(
    library, tmp_path, monkeypatch
):
    path = tmp_path / "connectors.toml"
    path.write_text('[libraries.brugge.directory]\npath = "/tmp"\n', encoding="utf-8")
    monkeypatch.delenv("PATRONFLOW_CONNECTORS_FILE", raising=False)

    with pytest.raises(
        CommandError, match=r"no connector configured for library 'gent' \(configured: brugge\)"
    ):
        run_sync("--library", "gent", "--config", str(path))
    with pytest.raises(CommandError, match="pass --config FILE or set PATRONFLOW_CONNECTORS_FILE"):
        run_sync("--library", "gent")


def test_sync_from_a_file_drop(library, drop, tmp_path):
    MemberFactory(library=library, external_id="600")
    path = tmp_path / "connectors.toml"
    path.write_text(
        f'[libraries.gent.directory]\npath = "{drop}"\npreset = "wise"\n', encoding="utf-8"
    )

    status, _, err = run_sync("--library", "gent", "--since", "2026-05-01", "--config", str(path))

    assert status == 3
    assert err.splitlines()[0].startswith("directory:gent:3: has 2 fields where the header has 5")
    assert set(Member.objects.filter(library=library).values_list("external_id", flat=True)) == {
        "501",
        "502",
        "600",
    }
    assert Member.objects.get(external_id="501").has_online_profile is True
    assert Member.objects.get(external_id="600").membership_ends_on == timezone.localdate()
