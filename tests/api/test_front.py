"""POST /api/v1/events under `patronflow serve`, where the events front (api/front.py) answers
the plain case on the event loop and hands everything else to the API's views: the website
cannot tell which of the two answered, and no acknowledged event is lost."""

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.db import connection

from patronflow.api.models import ApiToken
from patronflow.api.tokens import revoke_token
from patronflow.members.models import MemberEvent
from patronflow.privacy.models import AuditEntry
from tests.api.checks import fields, is_problem, within_one_window
from tests.api.factories import token
from tests.factories import LibraryFactory, MemberFactory
from tests.tracking.test_serve import serving

EVENT = {
    "type": "activity.registered",
    "member": "100234",
    "occurred_at": "2026-12-12T10:00:00+01:00",
    "properties": {"name": "Voorleesuurtje", "starts_at": "2026-12-19T14:00:00+01:00"},
}

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def gent():
    library = LibraryFactory(code="gent")
    MemberFactory(library=library, external_id="100234")
    return library


def post(base_url: str, clear_token: str, body: dict, **headers) -> requests.Response:
    headers = {"Authorization": f"Bearer {clear_token}", **headers}
    return requests.post(f"{base_url}/api/v1/events", json=body, headers=headers, timeout=20)


def test_an_event_is_stored_and_answered_as_the_api_documents_it(tmp_path, gent):
    clear = token(gent, ["events"])
    with serving(tmp_path) as base_url:
        answer = post(base_url, clear, EVENT)

    assert answer.status_code == 201, answer.text
    body = answer.json()
    stored = MemberEvent.objects.get()
    assert body["id"] == stored.pk
    assert (body["type"], body["member"], body["key"]) == ("activity.registered", "100234", None)
    assert body["properties"] == EVENT["properties"] == stored.properties
    assert body["occurred_at"] == "2026-12-12T09:00:00Z"
    assert stored.member.external_id == "100234"
    entry = AuditEntry.objects.get(library_code="gent", counts__has_key="members.memberevent")
    assert entry.operator == f"api token {ApiToken.objects.get().prefix}"
    assert entry.counts == {"members.memberevent": 1}


def test_an_event_sent_twice_with_its_key_is_stored_once(tmp_path, gent):
    clear = token(gent, ["events"])
    keyed = {**EVENT, "key": "registration-88121"}
    with serving(tmp_path) as base_url:
        first = post(base_url, clear, keyed)
        again = post(base_url, clear, keyed)

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"] == MemberEvent.objects.get().pk


def test_what_the_front_does_not_answer_gets_the_apis_own_answer(tmp_path, gent):
    clear = token(gent, ["events"])
    reader = token(gent, ["read"])
    other = LibraryFactory(code="brugge")
    MemberFactory(library=other, external_id="555")
    with serving(tmp_path) as base_url:
        unknown = post(base_url, clear, {**EVENT, "member": "555"})
        wrong_type = post(base_url, clear, {**EVENT, "occurred_at": "gisteren"})
        no_scope = post(base_url, reader, EVENT)
        no_token = requests.post(f"{base_url}/api/v1/events", json=EVENT, timeout=20)
        malformed = requests.post(
            f"{base_url}/api/v1/events", data=b'{"type": ', timeout=20,
            headers={"Authorization": f"Bearer {clear}", "Content-Type": "application/json"},
        )  # fmt: skip

    assert fields(is_problem(unknown, 422)) == ["/member"]
    assert fields(is_problem(wrong_type, 422)) == ["/occurred_at"]
    is_problem(no_scope, 403)
    is_problem(no_token, 401)
    is_problem(malformed, 400)
    assert not MemberEvent.objects.exists()


def test_a_revoked_token_stops_at_its_next_event(tmp_path, gent):
    clear = token(gent, ["events"])
    with serving(tmp_path) as base_url:
        before = post(base_url, clear, EVENT)
        revoke_token(token=ApiToken.objects.get())
        after = post(base_url, clear, EVENT)

    assert before.status_code == 201
    is_problem(after, 401)
    assert MemberEvent.objects.count() == 1


def test_a_retried_idempotent_request_is_answered_as_the_first(tmp_path, gent):
    clear = token(gent, ["events"])
    with serving(tmp_path) as base_url:
        first = post(base_url, clear, EVENT, **{"Idempotency-Key": "k-1"})
        retry = post(base_url, clear, EVENT, **{"Idempotency-Key": "k-1"})

    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert first.json() == retry.json()
    assert MemberEvent.objects.count() == 1


def test_events_the_front_stores_count_towards_the_tokens_limit(tmp_path, gent):
    clear = token(gent, ["events"])
    with serving(tmp_path, environment={"PATRONFLOW_API_RATE_LIMIT": "5"}) as base_url:
        within_one_window(seconds_needed=10)
        answers = [post(base_url, clear, EVENT) for _ in range(7)]

    assert [a.status_code for a in answers[:5]] == [201] * 5
    over = [is_problem(a, 429) for a in answers[5:]]
    assert all(int(a.headers["Retry-After"]) >= 1 for a in answers[5:]) and len(over) == 2
    assert MemberEvent.objects.count() == 5


def test_a_moment_outside_the_calendar_it_can_work_with_is_refused_on_its_field(tmp_path, gent):
    clear = token(gent, ["events"])
    with serving(tmp_path) as base_url:
        answers = [
            post(base_url, clear, {**EVENT, "occurred_at": moment})
            for moment in ("0001-01-01T00:30:00+01:00", "9999-12-31T23:59:00-01:00")
        ]
        fine = post(base_url, clear, EVENT)

    assert [fields(is_problem(answer, 422)) for answer in answers] == [["/occurred_at"]] * 2
    assert fine.status_code == 201
    assert MemberEvent.objects.count() == 1


def test_the_front_answers_with_the_views_headers_for_json(tmp_path, gent):
    clear = token(gent, ["events"])
    with serving(tmp_path) as base_url:
        front = post(base_url, clear, EVENT)
        view = post(base_url, clear, EVENT, **{"Idempotency-Key": "through-the-view"})

    assert (front.status_code, view.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in view.headers
    for name in (
        "Content-Type", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy",
        "Cross-Origin-Opener-Policy",
    ):  # fmt: skip
        assert front.headers[name] == view.headers[name], name
    assert front.json().keys() == view.json().keys()


def test_a_burst_of_events_stops_at_the_tokens_limit(tmp_path, gent):
    clear = token(gent, ["events"])
    with (
        serving(tmp_path, environment={"PATRONFLOW_API_RATE_LIMIT": "5"}) as base_url,
        ThreadPoolExecutor(20) as clients,
    ):
        within_one_window(seconds_needed=15)
        answers = list(clients.map(lambda _: post(base_url, clear, EVENT), range(20)))

    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201] * 5 + [429] * 15
    assert MemberEvent.objects.count() == 5


@pytest.mark.skipif(
    "postgresql" not in __import__("django.conf").conf.settings.DATABASES["default"]["ENGINE"],
    reason="cutting the server's database connections needs PostgreSQL (CI always runs it)",
)
def test_events_are_still_taken_after_the_database_dropped_the_servers_connections(tmp_path, gent):
    clear = token(gent, ["events"])
    with serving(tmp_path) as base_url:
        before = post(base_url, clear, EVENT)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        after = [post(base_url, clear, {**EVENT, "key": f"after-{n}"}) for n in range(6)]

    assert before.status_code == 201
    assert [answer.status_code for answer in after] == [201] * 6, [a.text for a in after]
    assert MemberEvent.objects.count() == 7


def test_many_websites_at_once_lose_no_event(tmp_path, gent):
    members = [MemberFactory(library=gent, external_id=f"m{n}") for n in range(20)]
    clear = token(gent, ["events"])
    bodies = [{**EVENT, "member": members[n % 20].external_id, "key": f"r{n}"} for n in range(300)]
    with serving(tmp_path) as base_url, ThreadPoolExecutor(30) as clients:
        answers = list(clients.map(lambda body: post(base_url, clear, body), bodies))

    assert [a.status_code for a in answers] == [201] * 300
    ids = {a.json()["id"] for a in answers}
    assert len(ids) == 300
    assert set(MemberEvent.objects.values_list("pk", flat=True)) == ids
    assert sorted(MemberEvent.objects.values_list("key", flat=True)) == sorted(
        body["key"] for body in bodies
    )
    logged = AuditEntry.objects.filter(library_code="gent", counts__has_key="members.memberevent")
    assert sum(entry.counts["members.memberevent"] for entry in logged) == 300
