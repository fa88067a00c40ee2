"""Members, items and loans through the API go through the CSV import: the same validation,
rejects and privacy gate, with each rejected row named by its place in the request."""

import datetime as dt

from patronflow.members.models import Item, Loan, Member
from patronflow.operations.erasure import erase_member
from patronflow.operations.models import ImportRecord
from patronflow.operations.tick import tick
from patronflow.privacy.models import AuditEntry
from tests.api.checks import fields, is_problem
from tests.api.factories import token
from tests.factories import TODAY, at

ANNA = {
    "member_id": "100234",
    "first_name": "Anna",
    "last_name": "Peeters",
    "email": "anna.peeters@example.org",
    "birth_date": "17/05/1980",
    "registered_on": "2026-02-01",
    "online_profile": True,
}


def test_members_are_inserted_then_updated_with_the_imports_counts(api, api_library):
    response = api.post("/members", json={"rows": [ANNA]})

    assert response.status_code == 200, response.text
    assert response.json() | {"rejections": None} == {
        "kind": "members", "rows": 1, "inserted": 1, "updated": 0, "unchanged": 0,
        "rejected": 0, "repeated": 0, "skipped": {}, "rejections": None,
        "profiles_recomputed": None,
    }  # fmt: skip
    anna = Member.objects.get(library=api_library, external_id="100234")
    assert (anna.first_name, anna.birth_date, anna.has_online_profile) == (
        "Anna", dt.date(1980, 5, 17), True,
    )  # fmt: skip

    again = api.post("/members", json={"rows": [ANNA | {"first_name": "Ann"}]}).json()
    assert (again["inserted"], again["updated"]) == (0, 1)
    anna.refresh_from_db()
    assert anna.first_name == "Ann"


def test_a_field_no_row_sends_is_left_alone_as_a_missing_column_is(api, api_library):
    api.post("/members", json={"rows": [ANNA]})

    api.post("/members", json={"rows": [{"member_id": "100234", "first_name": "Anna",
                                         "registered_on": "2026-02-01"}]})  # fmt: skip

    assert Member.objects.get(external_id="100234").email == "anna.peeters@example.org"


def test_rejected_rows_are_named_by_their_index_and_field_and_the_rest_go_in(api, api_library):
    rows = [
        ANNA,
        {"member_id": "2", "first_name": "", "registered_on": "2026-13-01"},
        {"member_id": "3", "first_name": "Bert", "registered_on": "2026-01-05"},
        {"member_id": "4", "first_name": "Chris", "registered_on": "2026-01-05", "email": "x"},
    ]

    body = api.post("/members", json={"rows": rows}).json()

    assert (body["inserted"], body["rejected"]) == (2, 2)
    assert [r["index"] for r in body["rejections"]] == [1, 3]
    assert [e["field"] for e in body["rejections"][0]["errors"]] == [
        "/rows/1/first_name", "/rows/1/registered_on",
    ]  # fmt: skip
    assert [e["field"] for e in body["rejections"][1]["errors"]] == ["/rows/3/email"]
    assert set(Member.objects.values_list("external_id", flat=True)) == {"100234", "3"}


def test_wrong_types_refuse_the_request_whole_with_the_fields_path(api, api_library):
    rows = [ANNA, {"member_id": 5, "first_name": ["Bert"], "registered_on": "2026-01-05"}]

    problem = is_problem(api.post("/members", json={"rows": rows}), 422)

    assert fields(problem) == ["/rows/1/member_id", "/rows/1/first_name"]
    assert not Member.objects.exists()


def test_a_nul_character_is_refused_as_no_database_can_keep_it(api, api_library):
    problem = is_problem(api.post("/members", json={"rows": [ANNA | {"last_name": "P\x00"}]}), 422)
    assert fields(problem) == ["/rows/0/last_name"]


def test_an_unknown_field_is_refused_rather_than_ignored(api, api_library):
    problem = is_problem(api.post("/members", json={"rows": [ANNA | {"emial": "x"}]}), 422)
    assert fields(problem) == ["/rows/0/emial"]


def test_a_required_field_that_no_row_has_refuses_the_request_as_the_import_does(api):
    problem = is_problem(api.post("/members", json={"rows": [{"member_id": "1"}]}), 422)
    assert "first_name" in problem["detail"]


def test_an_erased_member_is_kept_out_by_the_privacy_gate(api, api_library):
    api.post("/members", json={"rows": [ANNA]})
    erase_member(Member.objects.get(external_id="100234"), operator="staff:an")

    body = api.post("/members", json={"rows": [ANNA]}).json()

    assert body["inserted"] == 0 and sum(body["skipped"].values()) == 1
    assert not Member.objects.filter(external_id="100234").exists()


def test_items_and_loans_go_in_and_a_loan_of_an_unknown_member_is_rejected(api, api_library):
    api.post("/members", json={"rows": [ANNA]})
    items = api.post("/items", json={"rows": [
        {"item_id": "I1", "title": "De avond is ongemak", "material": "e-book", "fiction": True},
    ]})  # fmt: skip
    assert items.json()["inserted"] == 1
    assert Item.objects.get(external_id="I1").material == "ebook"

    loans = api.post("/loans", json={"rows": [
        {"loan_id": "L1", "member_id": "100234", "item_id": "I1", "loaned_on": "2026-11-30"},
        {"loan_id": "L2", "member_id": "999", "item_id": "I1", "loaned_on": "2026-11-30"},
    ]}).json()  # fmt: skip

    assert (loans["inserted"], loans["rejected"]) == (1, 1)
    assert loans["rejections"][0]["index"] == 1
    assert fields(loans["rejections"][0]) == ["/rows/1/member_id"]
    assert loans["profiles_recomputed"] is not None
    assert Loan.objects.get().member.external_id == "100234"


def test_each_request_that_writes_members_is_audit_logged_once_and_recorded(api, api_library):
    rows = [ANNA, ANNA | {"member_id": "2"}, ANNA | {"member_id": "3"}]

    api.post("/members", json={"rows": rows})

    entry = AuditEntry.objects.get(library_code="gent", operator__startswith="api token ")
    assert entry.counts == {"members.member": 3}
    assert entry.member_ref == ""
    record = ImportRecord.objects.get(library=api_library)
    assert (record.kind, record.inserted, record.operator) == ("members", 3, entry.operator)


def test_a_member_created_through_the_api_gets_the_welcome_mail_at_the_next_tick(
    library, live_server, client_for, smtp_server
):
    client = client_for(token(library, ["members"]))
    new_member = ANNA | {"registered_on": TODAY.isoformat(), "email": "nieuw@example.org"}
    assert client.post("/members", json={"rows": [new_member]}).json()["inserted"] == 1

    tick(at(TODAY, 10))

    (mail,) = smtp_server.to("nieuw@example.org")
    assert "Anna" in mail.get_body(("plain",)).get_content()


def test_an_empty_request_imports_nothing_and_leaves_no_import_record(api, api_library):
    body = api.post("/members", json={"rows": []}).json()

    assert (body["rows"], body["inserted"]) == (0, 0)
    assert not ImportRecord.objects.exists()
    assert not AuditEntry.objects.filter(operator__startswith="api token").exists()
