"""Events over HTTP: one at a time (201, once per key) and in batches of up to 1,000, each
event accepted or rejected by its index."""

import pytest

from patronflow.members.models import MemberEvent
from patronflow.privacy.models import AuditEntry
from tests.api.checks import fields, is_problem
from tests.factories import MemberFactory

EVENT = {
    "type": "activity.registered",
    "member": "100234",
    "occurred_at": "2026-12-06T10:00:00+01:00",
    "properties": {"name": "Voorleesuur", "starts_at": "2026-12-12T10:00:00+01:00",
                   "seats": 2, "price": 2.5, "paid": False},
}  # fmt: skip


@pytest.fixture
def anna(api_library):
    return MemberFactory(library=api_library, external_id="100234")


def test_an_event_is_stored_with_its_properties_and_answered_201(api, anna):
    response = api.post("/events", json=EVENT)

    assert response.status_code == 201, response.text
    body = response.json()
    event = MemberEvent.objects.get()
    assert body["id"] == event.pk and body["member"] == "100234"
    assert body["occurred_at"] == "2026-12-06T09:00:00Z"
    assert (event.member, event.type, event.properties) == (
        anna,
        EVENT["type"],
        EVENT["properties"],
    )
    (entry,) = AuditEntry.objects.filter(operator__startswith="api token")
    assert entry.counts == {"members.memberevent": 1} and entry.member_ref == ""


def test_the_same_key_twice_is_stored_once_and_answered_with_the_first(api, anna):
    first = api.post("/events", json=EVENT | {"key": "registration-1"})
    second = api.post("/events", json=EVENT | {"key": "registration-1"})

    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert MemberEvent.objects.count() == 1


def test_an_unknown_member_is_422_at_the_member_field(api, anna, client_for):
    problem = is_problem(api.post("/events", json=EVENT | {"member": "999"}), 422)
    assert fields(problem) == ["/member"]
    assert "unknown member" in problem["errors"][0]["message"]
    assert not MemberEvent.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"type": "Activity Registered"}, "/type"),
        ({"member": 100234}, "/member"),
        ({"occurred_at": "2026-12-06T10:00:00"}, "/occurred_at"),
        ({"occurred_at": "yesterday"}, "/occurred_at"),
        ({"properties": {"place": {"room": "A"}}}, "/properties/place"),
        ({"properties": {"names": ["a", "b"]}}, "/properties/names"),
        ({"properties": {"name": "x" * 1001}}, "/properties/name"),
        ({"properties": {f"p{n}": n for n in range(31)}}, "/properties"),
        ({"key": ""}, "/key"),
        ({"member": "100234\x00"}, "/member"),
        ({"properties": {"name": "Voorlees\x00uur"}}, "/properties/name"),
        ({"colour": "red"}, "/colour"),
    ],
)
def test_a_wrong_value_is_422_problem_with_its_field(api, anna, change, field):
    problem = is_problem(api.post("/events", json=EVENT | change), 422)
    assert field in fields(problem)


def test_a_missing_field_is_named(api, anna):
    problem = is_problem(api.post("/events", json={"type": "a.b"}), 422)
    assert set(fields(problem)) == {"/member", "/occurred_at"}


@pytest.mark.parametrize("body", ["{bad", '{"type": NaN}', "", "[1, 2]", '"text"'])
def test_a_body_that_is_no_json_object_is_a_problem(api, anna, body):
    response = api.post("/events", data=body, headers={"Content-Type": "application/json"})
    assert response.status_code in (400, 422)
    is_problem(response, response.status_code)


def test_events_for_members_who_may_not_be_mailed_are_stored_all_the_same(api, api_library):
    MemberFactory(library=api_library, external_id="child", birth_date="2019-01-01", email="")
    assert api.post("/events", json=EVENT | {"member": "child"}).status_code == 201


def test_a_batch_answers_per_event_and_stores_the_good_ones(api, anna, api_library):
    MemberFactory(library=api_library, external_id="100235")
    api.post("/events", json=EVENT | {"key": "earlier"})
    events = [
        EVENT,
        EVENT | {"member": "999"},
        {"type": "a.b"},
        EVENT | {"key": "earlier"},
        EVENT | {"member": "100235", "key": "new"},
        EVENT | {"member": "100235", "key": "new"},
    ]

    response = api.post("/events/batch", json={"events": events})

    assert response.status_code == 200, response.text
    body = response.json()
    assert [r["status"] for r in body["results"]] == [
        "created", "rejected", "rejected", "duplicate", "created", "duplicate",
    ]  # fmt: skip
    assert (body["created"], body["duplicate"], body["rejected"]) == (2, 2, 2)
    assert body["results"][1]["errors"] == [
        {"field": "/events/1/member", "message": body["results"][1]["errors"][0]["message"]}
    ]
    assert set(fields(body["results"][2])) == {"/events/2/member", "/events/2/occurred_at"}
    earlier = MemberEvent.objects.get(key="earlier")
    assert body["results"][3]["id"] == earlier.pk
    assert body["results"][4]["id"] == body["results"][5]["id"]
    assert MemberEvent.objects.count() == 3
    assert MemberEvent.objects.filter(pk=body["results"][0]["id"], key="").exists()


def test_a_batch_of_a_thousand_goes_in_one_request_and_one_audit_entry(api, anna):
    events = [EVENT | {"key": f"k{n}"} for n in range(1000)]

    body = api.post("/events/batch", json={"events": events}).json()

    assert body["created"] == 1000
    assert MemberEvent.objects.count() == 1000
    (entry,) = AuditEntry.objects.filter(counts__has_key="members.memberevent", at__isnull=False)[
        :2
    ]
    assert entry.counts == {"members.memberevent": 1000}


def test_a_batch_over_the_limit_is_refused_whole_with_413(api, anna):
    problem = is_problem(api.post("/events/batch", json={"events": [EVENT] * 1001}), 413)
    assert "1,000" in problem["detail"]
    assert not MemberEvent.objects.exists()
