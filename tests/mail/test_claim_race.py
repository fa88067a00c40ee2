"""Senders racing for the same outbox, each on its own database connection, never exceed the
caps: counting what went and claiming more is one step per library."""

import threading
from collections import Counter

import pytest
from django.db import connection, connections

from patronflow.mail.models import Message
from patronflow.mail.services import send_due_messages
from tests.factories import (
    TODAY,
    EnrolmentFactory,
    JourneyFactory,
    LibraryFactory,
    MemberFactory,
    MessageFactory,
    at,
)

SENDERS = 4

pytestmark = pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="SQLite lets one writer in at a time (IMMEDIATE transactions), so senders cannot "
    "race there; the per-library lock is tested on PostgreSQL "
    "(PATRONFLOW_DATABASE_URL=postgresql://...)",
)


def queue(member, journey) -> None:
    MessageFactory(
        enrolment=EnrolmentFactory(journey=journey, member=member),
        status=Message.Status.QUEUED,
        to_email="",
        subject="",
        links=[],
    )


def race(batch_size: int, senders: int = SENDERS) -> None:
    """`senders` threads send what is due at the same moment."""
    start = threading.Barrier(senders)
    errors: list[BaseException] = []

    def sender() -> None:
        try:
            connection.ensure_connection()  # connected before the start, to race for real
            start.wait()
            send_due_messages(at(TODAY, hour=10), batch_size=batch_size)
        except BaseException as error:  # reported below, on the test's thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sender) for _ in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors


def recipients(smtp_server) -> Counter:
    return Counter(mail["To"].addresses[0].addr_spec for mail in smtp_server.messages)


@pytest.mark.django_db(transaction=True)
def test_racing_senders_never_send_more_than_the_daily_cap(smtp_server):
    library = LibraryFactory(daily_cap=7, member_weekly_cap=None)
    journey = JourneyFactory(library=library, key="welcome")
    members = MemberFactory.create_batch(30, library=library)
    for member in members:
        queue(member, journey)

    race(batch_size=200)  # each sender could take every mail due in one claim

    assert sum(recipients(smtp_server).values()) == 7
    assert max(recipients(smtp_server).values()) == 1
    assert Message.objects.filter(status=Message.Status.SENT).count() == 7
    assert Message.objects.filter(status=Message.Status.QUEUED).count() == 23


@pytest.mark.django_db(transaction=True)
def test_racing_senders_never_send_a_member_more_than_the_weekly_cap(smtp_server):
    library = LibraryFactory(member_weekly_cap=1)
    journeys = [JourneyFactory(library=library, key=key) for key in ("welcome", "dormant", "news")]
    members = MemberFactory.create_batch(10, library=library)
    for member in members:
        for journey in journeys:
            queue(member, journey)

    race(batch_size=200)  # each sender could take every mail due in one claim

    assert recipients(smtp_server) == Counter({member.email: 1 for member in members})
    assert Message.objects.filter(status=Message.Status.QUEUED).count() == 20
