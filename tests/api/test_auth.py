"""Tokens over HTTP: no token, a wrong one or a revoked one is 401; a token without the
endpoint's scope is 403; use is noted at most once a minute."""

import datetime as dt

import pytest

from patronflow.api.models import ApiToken
from patronflow.api.tokens import revoke_token
from tests.api.checks import is_problem
from tests.api.factories import token
from tests.factories import MemberFactory

EVENT = {"type": "activity.registered", "member": "100234", "occurred_at": "2026-12-06T10:00:00Z"}


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer pf_00000000_unknown", "Basic cGY6cGY=", "Bearer not-a-token"],
)
def test_a_request_without_a_valid_token_is_401_problem(client_for, api_library, authorization):
    client = client_for(None)
    headers = {"Authorization": authorization} if authorization else {}
    response = client.post("/events", json=EVENT, headers=headers)
    is_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_token_of_the_wrong_library_is_still_a_token_but_a_tampered_one_is_not(
    client_for, api_library
):
    clear = token(api_library)
    tampered = clear[:-2] + ("AA" if not clear.endswith("AA") else "BB")
    is_problem(client_for(tampered).get("/journeys"), 401)
    assert client_for(clear).get("/journeys").status_code == 200


def test_a_revoked_token_stops_working_at_its_next_request(client_for, api_library):
    clear = token(api_library)
    client = client_for(clear)
    assert client.get("/journeys").status_code == 200

    revoke_token(token=ApiToken.objects.get(library=api_library), actor="staff:an")

    is_problem(client.get("/journeys"), 401)


@pytest.mark.parametrize(
    ("scopes", "method", "path", "body"),
    [
        (["read"], "POST", "/events", EVENT),
        (["read"], "POST", "/events/batch", {"events": [EVENT]}),
        (["events"], "POST", "/members", {"rows": []}),
        (["events"], "POST", "/items", {"rows": []}),
        (["read"], "POST", "/loans", {"rows": []}),
        (["events", "members"], "GET", "/journeys", None),
        (["events"], "GET", "/journeys/welcome/figures", None),
    ],
)
def test_a_token_without_the_endpoints_scope_is_403(
    client_for, api_library, scopes, method, path, body
):
    MemberFactory(library=api_library, external_id="100234")
    client = client_for(token(api_library, scopes))
    problem = is_problem(client.request(method, path, json=body), 403)
    assert "scope" in problem["detail"]


def test_each_scope_opens_its_own_endpoints(client_for, api_library):
    MemberFactory(library=api_library, external_id="100234")
    assert client_for(token(api_library, ["events"])).post("/events", json=EVENT).status_code == 201
    assert (
        client_for(token(api_library, ["members"])).post("/members", json={"rows": []}).status_code
        == 200
    )
    assert client_for(token(api_library, ["read"])).get("/journeys").status_code == 200


def test_last_used_is_written_once_a_minute_not_per_request(client_for, api_library):
    client = client_for(token(api_library, ["read"]))
    row = ApiToken.objects.get(library=api_library)
    assert row.last_used_at is None

    client.get("/journeys")
    row.refresh_from_db()
    first = row.last_used_at
    assert first is not None
    client.get("/journeys")
    row.refresh_from_db()
    assert row.last_used_at == first

    ApiToken.objects.filter(pk=row.pk).update(last_used_at=first - dt.timedelta(minutes=2))
    client.get("/journeys")
    row.refresh_from_db()
    assert row.last_used_at > first
