"""Library-system connectors, against a real HTTP server on 127.0.0.1 that replays the
recorded answers in tests/members/recordings/ (see the README there), and a file drop."""

import datetime as dt
import hashlib
import hmac
import json

import pytest

from patronflow.members.connectors import ConnectorConfigError, ConnectorError
from patronflow.members.connectors.directory import DirectoryConnector
from patronflow.members.connectors.jsonclient import JsonClient
from patronflow.members.connectors.wise import WiseConnector
from patronflow.members.presets import load_preset
from tests.members.library_systems import SECRETS, SINCE, ReplayServer, write_drop

ANNA = {
    "member_id": "1001",
    "first_name": "Anna",
    "last_name": "Peeters",
    "email": "anna.peeters@example.org",
    "birth_date": "1980-05-17",
    "registered_on": "2020-02-01",
    "membership_ends_on": "2026-12-31",
}


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


# The file-drop connector


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


def test_a_directory_that_does_not_exist_is_a_configuration_error(tmp_path):
    with pytest.raises(ConnectorConfigError, match="is not a folder"):
        DirectoryConnector.from_settings(
            {"path": str(tmp_path / "nowhere")}, source="d", environ={}
        )
