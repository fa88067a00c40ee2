"""An Idempotency-Key makes a retried POST change nothing: the first answer again, marked as
replayed; the key with another body is refused; a retry while the first runs is told to wait."""

import datetime as dt
import json

from django.test import RequestFactory
from django.utils import timezone

from patronflow.api.idempotency import fingerprint, forget_old_requests
from patronflow.api.models import ApiRequest
from patronflow.members.models import Member, MemberEvent
from patronflow.privacy.models import AuditEntry
from tests.api.checks import is_problem
from tests.api.factories import token
from tests.factories import LibraryFactory, MemberFactory

EVENT = {"type": "activity.registered", "member": "100234", "occurred_at": "2026-12-06T10:00:00Z"}
ROWS = {"rows": [{"member_id": "1", "first_name": "An", "registered_on": "2026-12-01"}]}


def test_a_retried_event_with_the_same_key_is_stored_once_and_replayed(api, api_library):
    MemberFactory(library=api_library, external_id="100234")
    headers = {"Idempotency-Key": "4f7c2a"}

    first = api.post("/events", json=EVENT, headers=headers)
    retry = api.post("/events", json=EVENT, headers=headers)

    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json() == first.json()
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert MemberEvent.objects.count() == 1


def test_a_retried_upsert_changes_nothing_and_logs_nothing_more(api, api_library):
    headers = {"Idempotency-Key": "import-2026-12-06"}
    first = api.post("/members", json=ROWS, headers=headers)
    Member.objects.update(first_name="Changed since")

    retry = api.post("/members", json=ROWS, headers=headers)

    assert retry.json() == first.json() and retry.json()["inserted"] == 1
    assert Member.objects.get().first_name == "Changed since"
    assert AuditEntry.objects.filter(operator__startswith="api token").count() == 1


def test_the_same_key_with_another_body_is_refused(api, api_library):
    headers = {"Idempotency-Key": "k-1"}
    api.post("/members", json=ROWS, headers=headers)

    other = {"rows": [ROWS["rows"][0] | {"first_name": "Bo"}]}
    problem = is_problem(api.post("/members", json=other, headers=headers), 422)
    assert problem["type"].endswith("/idempotency-key-reused")
    problem = is_problem(api.post("/items", json={"rows": []}, headers=headers), 422)
    assert Member.objects.get().first_name == "An"


def test_a_retry_while_the_first_is_still_answered_is_409(api, api_library):
    body = json.dumps(ROWS).encode()
    # The first request, claimed and still running (as another server process would leave it).
    first = RequestFactory().post("/api/v1/members", data=body, content_type="application/json")
    ApiRequest.objects.create(
        library=api_library, key="busy", created_at=timezone.now(), fingerprint=fingerprint(first)
    )

    response = api.post(
        "/members", data=body,
        headers={"Idempotency-Key": "busy", "Content-Type": "application/json"},
    )  # fmt: skip

    is_problem(response, 409)
    assert response.headers["Retry-After"] == "1"
    assert not Member.objects.exists()


def test_keys_are_per_library(api, client_for, api_library):
    other = client_for(token(LibraryFactory(code="brugge")))
    headers = {"Idempotency-Key": "same"}
    api.post("/members", json=ROWS, headers=headers)

    response = other.post("/members", json=ROWS, headers=headers)

    assert "Idempotent-Replayed" not in response.headers
    assert Member.objects.filter(library__code="brugge").count() == 1


def test_keys_are_forgotten_after_a_day(api, api_library):
    api.post("/members", json=ROWS, headers={"Idempotency-Key": "old"})
    api.post("/members", json=ROWS, headers={"Idempotency-Key": "new"})
    ApiRequest.objects.filter(key="old").update(created_at=timezone.now() - dt.timedelta(hours=25))

    assert forget_old_requests(timezone.now()) == 1
    assert list(ApiRequest.objects.values_list("key", flat=True)) == ["new"]
