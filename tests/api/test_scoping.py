"""A token sees its own library only: through every endpoint, another library's member ids,
item ids, event keys, idempotency keys and journey keys resolve to nothing (404 for a path,
"unknown member" for a field), never to the other library's data, and never to a 403."""

import pytest

from patronflow.members.models import Item, Loan, Member, MemberEvent
from tests.api.checks import fields, is_problem
from tests.factories import (
    ItemFactory,
    JourneyFactory,
    LibraryFactory,
    LoanFactory,
    MemberFactory,
)

WHEN = "2026-12-06T10:00:00Z"


@pytest.fixture
def brugge(transactional_db):
    """The other library: a member, an item, a loan, a keyed event and a journey of its own."""
    library = LibraryFactory(code="brugge")
    member = MemberFactory(
        library=library, external_id="B-1", first_name="Brugsegeheim", email="b1@brugge.example"
    )
    item = ItemFactory(library=library, external_id="BI-1", title="Brugs boek")
    LoanFactory(library=library, member=member, item=item, external_id="BL-1")
    MemberEvent.objects.create(
        library=library, member=member, type="activity.registered", occurred_at=WHEN,
        received_at=WHEN, key="brugge-key", properties={"name": "Brugse avond"},
    )  # fmt: skip
    JourneyFactory(library=library, key="brugge-only", name="Alleen Brugge")
    return library


def test_every_endpoint_refuses_another_librarys_ids(api, api_library, brugge, client_for):
    JourneyFactory(library=api_library, key="gent-welkom", name="Welkom Gent")
    walked = set()

    def call(method: str, path: str, schema_path: str | None = None, **kwargs):
        walked.add((method, schema_path or path))
        response = api.request(method, path, **kwargs)
        assert response.status_code != 403, response.text
        for secret in ("Brugsegeheim", "b1@brugge.example", "Brugs boek", "Brugse avond",
                       "brugge-only", "Alleen Brugge", "brugge"):  # fmt: skip
            assert secret not in response.text
        return response

    event = {"type": "activity.registered", "member": "B-1", "occurred_at": WHEN}
    assert fields(is_problem(call("POST", "/events", json=event), 422)) == ["/member"]
    batch = call("POST", "/events/batch", json={"events": [event]}).json()
    assert fields(batch["results"][0]) == ["/events/0/member"]

    loans = {"rows": [{"loan_id": "BL-1", "member_id": "B-1", "item_id": "BI-1",
                       "loaned_on": "2026-12-01"}]}  # fmt: skip
    assert call("POST", "/loans", json=loans).json()["rejected"] == 1
    visits = {"rows": [{"member_id": "B-1", "visited_on": "2026-12-01"}]}
    assert call("POST", "/visits", json=visits).json()["rejected"] == 1

    # Another library's ids are not there: the same id makes a member or item of this one.
    member = {"member_id": "B-1", "first_name": "Gentenaar", "registered_on": "2026-12-01"}
    assert call("POST", "/members", json={"rows": [member]}).json()["inserted"] == 1
    item = {"item_id": "BI-1", "title": "Gents boek"}
    assert call("POST", "/items", json={"rows": [item]}).json()["inserted"] == 1

    journeys = call("GET", "/journeys").json()
    assert [journey["key"] for journey in journeys] == ["gent-welkom"]
    is_problem(call("GET", "/journeys/brugge-only/figures", "/journeys/{key}/figures"), 404)

    schema = api.get("/openapi.json").json()
    every = {
        (method.upper(), path.removeprefix("/api/v1"))
        for path, methods in schema["paths"].items()
        for method in methods
    }
    assert walked == every
    # Brugge's own rows are as they were.
    assert Member.objects.get(library=brugge).first_name == "Brugsegeheim"
    assert Item.objects.get(library=brugge).title == "Brugs boek"
    assert Loan.objects.get(library=brugge).member.library == brugge
    assert MemberEvent.objects.filter(library=brugge).count() == 1


def test_an_event_key_of_another_library_is_no_duplicate_here(api, api_library, brugge):
    MemberFactory(library=api_library, external_id="G-1")
    event = {"type": "activity.registered", "member": "G-1", "occurred_at": WHEN,
             "key": "brugge-key"}  # fmt: skip

    response = api.post("/events", json=event)

    assert response.status_code == 201
    assert MemberEvent.objects.get(library=api_library).key == "brugge-key"
    assert response.json()["properties"] == {}
