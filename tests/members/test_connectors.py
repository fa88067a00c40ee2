"""Library-system connectors and `patronflow sync`, against a real HTTP server on 127.0.0.1
that replays the recorded answers in tests/members/recordings/ (see the README there)."""

import datetime as dt
import hashlib
import hmac
import json
import os
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from patronflow.members.connectors import ConnectorConfigError, ConnectorError
from patronflow.members.connectors.directory import DirectoryConnector
from patronflow.members.connectors.jsonclient import JsonClient
from patronflow.members.connectors.services import end_memberships
from patronflow.members.connectors.wise import WiseConnector
from patronflow.members.models import Member
from patronflow.members.presets import load_preset
from tests.factories import MemberFactory

RECORDINGS = Path(__file__).with_name("recordings")
SINCE = dt.date(2026, 5, 1)
SECRETS = {
    "PATRONFLOW_WISE_API_ID": "patronflow-test-id",
    "PATRONFLOW_WISE_API_KEY": "s3cret-api-key",
    "PATRONFLOW_WISE_USERNAME": "api-patronflow",
    "PATRONFLOW_WISE_PASSWORD": "staff-password",
}
ANNA = {
    "member_id": "1001",
    "first_name": "Anna",
    "last_name": "Peeters",
    "email": "anna.peeters@example.org",
    "birth_date": "1980-05-17",
    "registered_on": "2020-02-01",
    "membership_ends_on": "2026-12-31",
}


class ReplayServer:
    """Answers each request with the first unused recorded exchange that matches it."""

    def __init__(self) -> None:
        self.exchanges: list[dict] = []
        self.requests: list[dict] = []
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/restapi"

    def play(self, scenario: str) -> None:
        recording = json.loads((RECORDINGS / f"{scenario}.json").read_text(encoding="utf-8"))
        self.exchanges = recording["exchanges"]
        self.requests = []

    @property
    def unplayed(self) -> list[dict]:
        return [exchange["request"] for exchange in self.exchanges if not exchange.get("used")]

    def paths(self) -> list[str]:
        return [f"{r['method']} {r['path']}" for r in self.requests]

    def _answer(self, method: str, target: str, headers, body: bytes) -> tuple[int, bytes]:
        url = urllib.parse.urlsplit(target)
        query = dict(urllib.parse.parse_qsl(url.query))
        self.requests.append(
            {"method": method, "path": url.path, "query": query, "headers": headers, "body": body}
        )
        for exchange in self.exchanges:
            wanted = exchange["request"]
            if exchange.get("used") or (wanted["method"], wanted["path"]) != (method, url.path):
                continue
            if wanted.get("query", {}) != query:
                continue
            exchange["used"] = True
            answer = exchange["response"]
            return answer["status"], json.dumps(answer["body"]).encode()
        return 404, json.dumps({"message": f"no recording for {method} {target}"}).encode()

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _reply(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, data = server._answer(self.command, self.path, self.headers, body)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _reply

            def log_message(self, *args) -> None:
                pass

        return Handler


@pytest.fixture
def wise_server():
    server = ReplayServer()
    thread = threading.Thread(target=server.httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


def wise_connector(server: ReplayServer, waits: list | None = None) -> WiseConnector:
    client = JsonClient(
        server.url,
        timeout=5,
        attempts=3,
        retry_delay=0.25,
        sleep=([] if waits is None else waits).append,
    )
    return WiseConnector(
        client,
        library_id="1234",
        application_name="patronflow-test",
        api_id=SECRETS["PATRONFLOW_WISE_API_ID"],
        api_key=SECRETS["PATRONFLOW_WISE_API_KEY"],
        username=SECRETS["PATRONFLOW_WISE_USERNAME"],
        password=SECRETS["PATRONFLOW_WISE_PASSWORD"],
        page_size=2,
        source="wise:gent",
    )


def expected_wise_key(day: dt.date) -> str:
    """OCLC's own recipe (Wise Rest-API appendix), written out independently of the client."""
    epoch_day = (day - dt.date(1970, 1, 1)).days
    signature = hmac.new(
        SECRETS["PATRONFLOW_WISE_API_KEY"].encode("latin-1"),
        msg=f"{epoch_day}patronflow-test".encode("latin-1"),
        digestmod=hashlib.sha256,
    ).hexdigest()
    return f"{SECRETS['PATRONFLOW_WISE_API_ID']}:{signature}"


# The Wise client


def test_changed_members_are_listed_page_by_page_and_fetched_one_by_one(wise_server):
    wise_server.play("wise/sync")

    rows = list(wise_connector(wise_server).changed_members(SINCE))

    assert [row["member_id"] for row in rows] == ["1001", "1002", "1003"]
    assert rows[0] == ANNA
    assert rows[1]["email"] == "" and rows[1]["birth_date"] == "1975-03-15T00:00:00"
    assert rows[2]["registered_on"] == ""
    assert wise_server.paths()[:4] == [
        "POST /restapi/login",
        "GET /restapi/patronmanagement/patron/library/1234/updatedpatron",
        "GET /restapi/patron/1001/library/1234/patroninformation",
        "GET /restapi/patron/1002/library/1234/patroninformation",
    ]
    assert [r["query"].get("offset") for r in wise_server.requests if "updated" in r["path"]] == [
        "0",
        "2",
    ]


def test_every_request_carries_the_wise_key_and_the_staff_token(wise_server):
    wise_server.play("wise/sync")

    list(wise_connector(wise_server).changed_members(SINCE))

    login, *rest = wise_server.requests
    today_utc = dt.datetime.now(dt.UTC).date()
    assert login["headers"]["WISE_KEY"] == expected_wise_key(today_utc)
    assert "Authorization" not in login["headers"]
    assert json.loads(login["body"]) == {"username": "api-patronflow", "password": "staff-password"}
    assert {r["headers"]["Authorization"] for r in rest} == {"staff-token-1"}
    assert {r["headers"]["WISE_KEY"] for r in rest} == {expected_wise_key(today_utc)}


def test_deleted_members_are_listed_page_by_page(wise_server):
    wise_server.play("wise/sync")

    assert list(wise_connector(wise_server).ended_members(SINCE)) == ["2001", "2002", "9999"]


def test_a_server_error_is_retried_after_a_pause(wise_server):
    wise_server.play("wise/server_error_then_success")
    waits: list[float] = []

    rows = list(wise_connector(wise_server, waits).changed_members(SINCE))

    assert rows == [ANNA]
    assert waits == [0.25]
    assert wise_server.unplayed == []


def test_an_unreachable_server_is_given_up_after_the_last_attempt_with_growing_pauses():
    waits: list[float] = []
    client = JsonClient(
        "http://127.0.0.1:9", timeout=2, attempts=3, retry_delay=1, sleep=waits.append
    )

    with pytest.raises(ConnectorError, match=r"connection failed .*still after 3 attempts"):
        client.get("/patronmanagement/patron/library/1234/updatedpatron")
    assert waits == [1, 2]


def test_a_refused_key_is_a_clear_error_and_not_retried(wise_server):
    wise_server.play("wise/unauthorized")
    waits: list[float] = []

    with pytest.raises(ConnectorError) as raised:
        list(wise_connector(wise_server, waits).changed_members(SINCE))

    message = str(raised.value)
    assert "Wise refused the request (HTTP 401)" in message
    assert "API-KEY" in message and "Invalid WISE_KEY" in message
    assert waits == [] and len(wise_server.requests) == 1


def test_a_token_that_expires_during_the_run_is_renewed_once(wise_server):
    wise_server.play("wise/token_renewed")

    rows = list(wise_connector(wise_server).changed_members(SINCE))

    assert rows == [ANNA]
    assert wise_server.paths().count("POST /restapi/login") == 2
    assert wise_server.requests[-1]["headers"]["Authorization"] == "staff-token-2"


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


# The file-drop connector


def write_drop(folder: Path, name: str, text: str, modified: dt.date, encoding="utf-8") -> Path:
    path = folder / name
    path.write_bytes(text.encode(encoding))
    moment = dt.datetime.combine(modified, dt.time(3, 0)).timestamp()
    os.utime(path, (moment, moment))
    return path


@pytest.fixture
def drop(tmp_path):
    folder = tmp_path / "drop"
    folder.mkdir()
    header = "Lenersnummer;Voornaam;Familienaam;Inschrijvingsdatum;Mijn Bibliotheek-profiel\n"
    write_drop(
        folder,
        "members-2026-04-20.csv",
        header + "500;Oud;Bestand;01/01/2020;N\n",
        dt.date(2026, 4, 20),
    )
    write_drop(
        folder,
        "members-2026-05-01.csv",
        header + "501;Anna;Peeters;01/02/2020;J\n\n502;Zoë;Maes;15/03/2026;N\n",
        SINCE,
        encoding="cp1252",
    )
    write_drop(folder, "members-2026-05-02.csv", header + "503;Bart\n", dt.date(2026, 5, 2))
    write_drop(
        folder,
        "ended-2026-05-02.csv",
        "Lenersnummer;Reden\n600;verhuisd\n601;\n",
        dt.date(2026, 5, 2),
    )
    return folder


def test_the_directory_connector_reads_the_files_dropped_since_the_day(drop):
    connector = DirectoryConnector(drop, preset=load_preset("wise"), source="directory:gent")

    rows = list(connector.changed_members(SINCE))

    assert [row["member_id"] for row in rows] == ["501", "502", "503"]
    assert rows[0] == {
        "member_id": "501",
        "first_name": "Anna",
        "last_name": "Peeters",
        "registered_on": "01/02/2020",
        "online_profile": "ja",
    }
    assert rows[1]["first_name"] == "Zoë"
    assert rows[2]["last_name"] is None  # a short row: the importer rejects it
    assert list(connector.ended_members(SINCE)) == ["600", "601"]


def test_delta_files_with_different_columns_are_refused(drop):
    write_drop(
        drop,
        "members-2026-05-03.csv",
        "member_id,first_name,registered_on\n7,X,2026-01-01\n",
        dt.date(2026, 5, 3),
    )
    connector = DirectoryConnector(drop, preset=load_preset("wise"))

    with pytest.raises(ConnectorError, match="all member files of one sync need the same columns"):
        list(connector.changed_members(SINCE))


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


def test_a_directory_that_does_not_exist_is_a_configuration_error(tmp_path):
    with pytest.raises(ConnectorConfigError, match="is not a folder"):
        DirectoryConnector.from_settings(
            {"path": str(tmp_path / "nowhere")}, source="d", environ={}
        )
