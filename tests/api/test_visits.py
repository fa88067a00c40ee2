"""Visits through the API go through the visits import: rejected rows named by their place,
each visit stored once, the day counted, the write audit-logged."""

import datetime as dt

from patronflow.members.activity import MonthActivity, monthly_activity
from patronflow.members.models import Member, Visit
from patronflow.operations.erasure import erase_member
from patronflow.privacy.models import AuditEntry
from tests.api.checks import fields, is_problem
from tests.api.factories import token
from tests.factories import LibraryFactory, MemberFactory

MAY = dt.date(2026, 5, 1)


def test_visits_go_in_once_and_bad_rows_are_named_by_index_and_field(api, api_library):
    MemberFactory(library=api_library, external_id="M1", last_activity_on=dt.date(2026, 5, 1))
    rows = [
        {"member_id": "M1", "visited_on": "2026-05-04", "channel": "gate"},
        {"member_id": "M1", "visited_on": "2026-05-04", "channel": "balie"},
        {"member_id": "M1", "visited_on": "2026-05-04", "channel": "gate"},  # the same again
        {"member_id": "M9", "visited_on": "2026-05-04"},
        {"member_id": "M1", "visited_on": "2026-02-30", "channel": "lift"},
    ]

    response = api.post("/visits", json={"rows": rows})

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["kind"], body["rows"], body["inserted"], body["repeated"]) == ("visits", 5, 2, 1)
    assert [r["index"] for r in body["rejections"]] == [3, 4]
    assert fields(body["rejections"][0]) == ["/rows/3/member_id"]
    assert fields(body["rejections"][1]) == ["/rows/4/visited_on", "/rows/4/channel"]
    assert sorted(Visit.objects.values_list("channel", flat=True)) == ["desk", "gate"]
    assert Member.objects.get(external_id="M1").last_activity_on == dt.date(2026, 5, 4)
    assert monthly_activity(libraries=[api_library.pk], first=MAY, last=MAY)[
        (api_library.pk, MAY)
    ] == MonthActivity(loans=0, borrowers=0, visits=1, visitors=1, active=1)  # gate + desk: 1

    again = api.post("/visits", json={"rows": rows[:1]}).json()
    assert (again["inserted"], again["unchanged"]) == (0, 1)


def test_a_visit_write_is_audit_logged_as_a_count_naming_no_member(api, api_library):
    MemberFactory(library=api_library, external_id="M1")

    api.post("/visits", json={"rows": [{"member_id": "M1", "visited_on": "2026-05-04"}]})

    entry = AuditEntry.objects.get(library_code="gent", operator__startswith="api token ")
    assert (entry.counts, entry.member_ref) == ({"members.visit": 1}, "")


def test_another_librarys_member_is_unknown_here(api, api_library):
    brugge = LibraryFactory(code="brugge")
    MemberFactory(library=brugge, external_id="B-1")

    body = api.post("/visits", json={"rows": [{"member_id": "B-1", "visited_on": "2026-05-04"}]})

    assert body.json()["rejected"] == 1
    assert "brugge" not in body.text
    assert not Visit.objects.exists()


def test_a_token_without_the_members_scope_is_refused_as_a_problem(client_for, api_library):
    MemberFactory(library=api_library, external_id="M1")
    client = client_for(token(api_library, ["events"]))

    problem = is_problem(
        client.post("/visits", json={"rows": [{"member_id": "M1", "visited_on": "2026-05-04"}]}),
        403,
    )

    assert "lacks the scope 'members'" in problem["detail"]
    assert not Visit.objects.exists()


def test_more_than_a_thousand_rows_or_a_missing_day_refuse_the_request_whole(api, api_library):
    row = {"member_id": "M1", "visited_on": "2026-05-04"}

    too_many = is_problem(api.post("/visits", json={"rows": [row] * 1001}), 413)
    no_day = is_problem(api.post("/visits", json={"rows": [{"member_id": "M1"}]}), 422)

    assert fields(too_many) == ["/rows"]
    assert "visited_on" in no_day["detail"]


def test_an_erased_members_visits_are_kept_out_by_the_privacy_gate(api, api_library):
    member = MemberFactory(library=api_library, external_id="M1")
    erase_member(member, operator="staff:an")

    body = api.post("/visits", json={"rows": [{"member_id": "M1", "visited_on": "2026-05-04"}]})

    assert (body.json()["rejected"], sum(body.json()["skipped"].values())) == (0, 1)


def test_a_retry_with_the_same_key_adds_nothing(api, api_library):
    MemberFactory(library=api_library, external_id="M1")
    rows = {"rows": [{"member_id": "M1", "visited_on": "2026-05-04"}]}
    headers = {"Idempotency-Key": "visits-2026-05-04"}

    first = api.post("/visits", json=rows, headers=headers)
    retry = api.post("/visits", json=rows, headers=headers)

    assert retry.json() == first.json()
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert AuditEntry.objects.filter(operator__startswith="api token ").count() == 1
