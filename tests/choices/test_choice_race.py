"""Two first choices for the same list at once (a double click, two tabs, the page and the
one-click link) both succeed: the one that comes second finds the other's row at the unique
constraint, waits for it, and goes on as if it had come after it, with no 500 and no second
consent record for the same change."""

import threading

import pytest
from django.db import connection, connections, transaction

from patronflow.choices.models import ConsentRecord, ListChoice
from patronflow.choices.services import list_for, record_list_choice
from tests.factories import LibraryFactory, MemberFactory

pytestmark = [
    pytest.mark.skipif(
        connection.vendor == "sqlite",
        reason="SQLite lets one writer in at a time (IMMEDIATE transactions), so two first "
        "choices cannot meet there; the race is tested on PostgreSQL "
        "(PATRONFLOW_DATABASE_URL=postgresql://...)",
    ),
    pytest.mark.django_db(transaction=True),
]


def choose(member, mailing_list, receives: bool) -> bool:
    return record_list_choice(
        member, mailing_list, receives=receives, source="preferences", text_version="test/1"
    )


def waiting_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
        return cursor.fetchone()[0] > 0


def first_choice_held_open(member, mailing_list, receives: bool, results: dict) -> None:
    """The other request: it makes its first choice and keeps its transaction open until
    the test's own choice is blocked behind its row, then commits."""
    try:
        with transaction.atomic():
            results["first"] = choose(member, mailing_list, receives)
            results["inserted"].set()
            for _ in range(400):
                if waiting_for_a_lock():
                    results["saw_the_wait"] = True
                    break
                threading.Event().wait(0.025)
    except BaseException as error:  # reported on the test's thread
        results["error"] = error
        results["inserted"].set()
    finally:
        connections.close_all()


def race(member, mailing_list, *, first: bool, second: bool) -> dict:
    results: dict = {"inserted": threading.Event(), "saw_the_wait": False}
    other = threading.Thread(
        target=first_choice_held_open, args=(member, mailing_list, first, results)
    )
    other.start()
    assert results["inserted"].wait(timeout=30)
    results["second"] = choose(member, mailing_list, second)
    other.join(timeout=30)
    assert "error" not in results, results.get("error")
    assert results["saw_the_wait"], "the second choice never waited: no race was run"
    return results


def test_the_same_first_choice_twice_at_once_records_it_once():
    member = MemberFactory(library=LibraryFactory())
    newsletter = list_for(member.library, "newsletter")

    results = race(member, newsletter, first=False, second=False)

    assert (results["first"], results["second"]) == (True, False)
    assert ListChoice.objects.get(member=member, mailing_list=newsletter).receives is False
    assert ConsentRecord.objects.filter(member=member, mailing_list=newsletter).count() == 1


def test_opposite_first_choices_at_once_end_with_the_later_one_recorded_as_a_change():
    member = MemberFactory(library=LibraryFactory())
    newsletter = list_for(member.library, "newsletter")

    results = race(member, newsletter, first=False, second=True)

    assert (results["first"], results["second"]) == (True, True)
    assert ListChoice.objects.get(member=member, mailing_list=newsletter).receives is True
    choices = ConsentRecord.objects.filter(member=member, mailing_list=newsletter)
    assert list(choices.order_by("pk").values_list("choice", flat=True)) == ["left", "joined"]
