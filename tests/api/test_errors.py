"""Whatever goes wrong under /api/ is application/problem+json, never an HTML page; the schema
and its docs page are served, the page's scripts from patronflow itself."""

import re

import pytest
import requests

from tests.api.checks import is_problem


@pytest.mark.parametrize("path", ["/", "", "/nope", "/events/nope", "/journeys/welcome", "/v2"])
def test_an_unknown_route_is_a_404_problem(api, path):
    is_problem(api.get(path), 404)
    is_problem(api.post(path, json={}), 404)


def test_outside_version_1_too(live_server, api_library):
    is_problem(requests.get(f"{live_server.url}/api/v2/events", timeout=10), 404)
    is_problem(requests.post(f"{live_server.url}/api/", timeout=10), 404)


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [("GET", "/events", "POST"), ("DELETE", "/members", "POST"), ("POST", "/journeys", "GET"),
     ("PUT", "/events/batch", "POST")],
)  # fmt: skip
def test_a_wrong_method_is_a_405_problem_naming_the_allowed_one(api, method, path, allowed):
    response = api.request(method, path, json={})
    is_problem(response, 405)
    assert response.headers["Allow"] == allowed


def test_a_body_over_the_limit_is_refused_before_it_is_read(api):
    response = api.post(
        "/members", data=b"{" + b" " * (3 * 1024 * 1024) + b"}",
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    assert "at most" in is_problem(response, 413)["detail"]


def test_the_schema_is_openapi_3_and_names_every_endpoint_with_its_scope(api):
    schema = api.get("/openapi.json").json()

    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "patronflow API"
    operations = {
        (method.upper(), path): operation
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    }
    assert set(operations) == {
        ("POST", "/api/v1/members"), ("POST", "/api/v1/items"), ("POST", "/api/v1/loans"),
        ("POST", "/api/v1/visits"), ("POST", "/api/v1/events"), ("POST", "/api/v1/events/batch"),
        ("GET", "/api/v1/journeys"), ("GET", "/api/v1/journeys/{key}/figures"),
    }  # fmt: skip
    for operation in operations.values():
        assert re.match(r"Scope: `(read|members|events)`", operation["description"])
        assert operation["security"] == [{"TokenAuth": []}]
        assert "application/problem+json" in operation["responses"]["401"]["content"]


def test_the_docs_page_loads_its_scripts_from_patronflow_not_a_cdn(live_server, api_library):
    page = requests.get(f"{live_server.url}/api/v1/docs", timeout=10)

    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(source.startswith("/static/") for source in sources)
    for source in sources:
        assert requests.get(f"{live_server.url}{source}", timeout=10).status_code == 200
