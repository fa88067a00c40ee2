"""The API under `patronflow serve` (Granian, as in production): events and problems over the
real server, and one rate limit shared by two worker processes."""

import urllib.error
import urllib.request

import pytest
import requests

from patronflow.members.models import MemberEvent
from tests.api.checks import is_problem, within_one_window
from tests.api.factories import token
from tests.factories import LibraryFactory, MemberFactory
from tests.tracking.test_serve import serving

EVENT = {"type": "activity.registered", "member": "100234", "occurred_at": "2026-12-06T10:00:00Z"}


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_api_answers_under_patronflow_serve(tmp_path):
    library = LibraryFactory(code="gent")
    MemberFactory(library=library, external_id="100234")
    headers = {"Authorization": f"Bearer {token(library)}"}

    with serving(tmp_path) as base_url:
        api = f"{base_url}/api/v1"
        created = requests.post(f"{api}/events", json=EVENT, headers=headers, timeout=10)
        unknown = requests.get(f"{api}/nope", headers=headers, timeout=10)
        schema = requests.get(f"{api}/openapi.json", timeout=10)
        docs = requests.get(f"{api}/docs", timeout=10)
        script = requests.get(f"{base_url}/static/ninja/swagger-ui-bundle.js", timeout=10)
        chunks = (b"x" * 65536 for _ in range(40))  # no Content-Length: sent in chunks
        chunked = requests.post(f"{api}/members", data=chunks, headers=headers, timeout=10)
        rows = b'{"rows": [{"member_id": "9", "first_name": "Ann", "registered_on": "2026-12-01"}]}'
        small = requests.post(f"{api}/members", data=iter([rows]), headers=headers, timeout=10)

    assert created.status_code == 201, created.text
    is_problem(chunked, 413)
    assert small.json()["inserted"] == 1
    assert MemberEvent.objects.get().pk == created.json()["id"]
    is_problem(unknown, 404)
    assert schema.json()["info"]["title"] == "patronflow API"
    assert docs.status_code == 200 and script.status_code == 200


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_server_processes_share_one_rate_limit(tmp_path):
    library = LibraryFactory(code="gent")
    headers = {"Authorization": f"Bearer {token(library, ['read'])}"}
    environment = {"PATRONFLOW_API_RATE_LIMIT": "6"}
    statuses = []
    with serving(tmp_path, workers=2, environment=environment) as base_url:
        within_one_window()
        for _ in range(12):  # a new connection each time: both workers answer some
            request = urllib.request.Request(f"{base_url}/api/v1/journeys", headers=headers)
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    statuses.append(response.status)
            except urllib.error.HTTPError as error:
                statuses.append(error.code)
                assert error.headers["Retry-After"]

    assert statuses.count(200) == 6 and statuses.count(429) == 6
