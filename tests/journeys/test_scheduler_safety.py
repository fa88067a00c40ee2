"""The scheduler may run twice, or twice at once: still one mail per member and step."""

import datetime as dt
import re
import socket
from collections import Counter

import pytest

from patronflow.journeys.definitions import install_standard_journeys
from patronflow.journeys.models import Enrolment, Version
from patronflow.mail.models import Message
from patronflow.operations.tick import advance_journey, tick
from tests.conftest import subprocess_environment
from tests.factories import TODAY, LibraryFactory, MemberFactory, at
from tests.journeys.helpers import run_racing_ticks


def test_running_tick_twice_sends_nothing_twice(library, smtp_server):
    members = [MemberFactory(library=library, registered_on=TODAY) for _ in range(5)]

    tick(at(TODAY))
    tick(at(TODAY))

    assert sorted(m["To"].addresses[0].addr_spec for m in smtp_server.messages) == sorted(
        m.email for m in members
    )


@pytest.mark.django_db(transaction=True)
def test_concurrent_ticks_in_separate_processes_never_double_mail(smtp_server):
    library = LibraryFactory(code="antwerpen")
    install_standard_journeys(library)
    members = [MemberFactory(library=library, registered_on=TODAY) for _ in range(60)]
    run_racing_ticks(3, at(TODAY).isoformat(), subprocess_environment(smtp_server.url))
    enrolments = Enrolment.objects.filter(journey__key="welcome").select_related("member")
    assert enrolments.count() == len(members)
    mailed = [e.member.email for e in enrolments if not e.held_out]
    received = Counter(m["To"].addresses[0].addr_spec for m in smtp_server.messages)
    assert received == Counter({email: 1 for email in mailed})
    assert Message.objects.filter(status=Message.Status.SENT).count() == len(mailed)


def closed_port() -> int:
    """A port on which nothing listens: connecting to it is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def new_and_dormant_members(library, count: int) -> list:
    new = [MemberFactory(library=library, registered_on=TODAY) for _ in range(count)]
    long_ago = TODAY - dt.timedelta(days=500)
    dormant = [MemberFactory(library=library, last_activity_on=long_ago) for _ in range(count)]
    return new + dormant


def test_a_tick_with_the_smtp_server_down_is_completed_by_the_next(library, smtp_server, settings):
    members = new_and_dormant_members(library, 4)
    settings.SMTP_URL = f"smtp://127.0.0.1:{closed_port()}"

    down = tick(at(TODAY))

    assert smtp_server.messages == []
    assert down.sending.retrying == len(members)
    assert Message.objects.filter(status=Message.Status.QUEUED).count() == len(members)
    settings.SMTP_URL = smtp_server.url
    tick(at(TODAY, hour=10).replace(minute=30))
    for offset in range(1, 4):
        tick(at(TODAY + dt.timedelta(days=offset)))

    assert Counter(m["To"].addresses[0].addr_spec for m in smtp_server.messages) == Counter(
        {member.email: 1 for member in members}
    )
    assert Message.objects.filter(status=Message.Status.SENT).count() == len(members)


def test_a_tick_that_died_after_advancing_one_journey_is_completed_by_the_next(
    library, smtp_server
):
    members = new_and_dormant_members(library, 4)
    advance_journey(library.journeys.get(key="welcome"), at(TODAY))  # then the process died

    tick(at(TODAY, hour=11))
    tick(at(TODAY, hour=12))

    assert Counter(m["To"].addresses[0].addr_spec for m in smtp_server.messages) == Counter(
        {member.email: 1 for member in members}
    )


def summary_counts(outputs: list[str], key: str) -> tuple[int, int, int]:
    """Entered, held out and mails queued, added up over the printed summaries of ticks."""
    entered = held_out = queued = 0
    for output in outputs:
        [row] = [line for line in output.splitlines() if re.search(rf"│ {key}\s", line)]
        cells = [cell.strip() for cell in row.strip("│").split("│")]
        entered, held_out, queued = (
            entered + int(cells[2]),
            held_out + int(cells[3]),
            queued + int(cells[5]),
        )
    return entered, held_out, queued


@pytest.mark.django_db(transaction=True)
def test_racing_ticks_with_a_control_group_in_two_journeys_mail_each_member_once(smtp_server):
    library = LibraryFactory(code="mechelen")
    install_standard_journeys(library)
    Version.objects.filter(journey__library=library).update(holdout_percent=20)
    members = new_and_dormant_members(library, 40)

    outputs = run_racing_ticks(2, at(TODAY).isoformat(), subprocess_environment(smtp_server.url))

    enrolments = Enrolment.objects.select_related("member", "journey")
    assert enrolments.count() == len(members)
    for key in ("welcome", "dormant"):
        of_journey = enrolments.filter(journey__key=key)
        held_out = of_journey.filter(held_out=True).count()
        assert 0 < held_out < 40
        # The two printed summaries together count every entrant, and each only once.
        assert summary_counts(outputs, key) == (40, held_out, 40 - held_out)
    mailed = [e.member.email for e in enrolments if not e.held_out]
    received = Counter(m["To"].addresses[0].addr_spec for m in smtp_server.messages)
    assert received == Counter({email: 1 for email in mailed})
    assert Message.objects.filter(status=Message.Status.SENT).count() == len(mailed)
