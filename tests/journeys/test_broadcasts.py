"""Broadcasts: one mail to a saved segment, once, at or after its moment, with a holdout."""

import datetime as dt
from collections import Counter

import pytest

from patronflow.journeys.definitions import install_journey, save_segment
from patronflow.journeys.models import Enrolment
from patronflow.journeys.services import is_held_out
from patronflow.mail.models import Message
from patronflow.operations.tick import tick
from tests.conftest import subprocess_environment
from tests.factories import TODAY, LibraryFactory, MemberFactory, at
from tests.journeys.helpers import addresses, only, run_racing_ticks, step

WEDNESDAY = TODAY + dt.timedelta(days=2)


def boekenweek(library, holdout: int = 0, send_at: dt.datetime | None = None):
    save_segment(library, "lezers", "Lezers", {"active_within_days": 30})
    return install_journey(
        library,
        {
            "key": "boekenweek",
            "name": "Boekenweek",
            "kind": "broadcast",
            "status": "active",
            "send_at": (send_at or at(WEDNESDAY, 10)).isoformat(),
            "entry": {"segment": "lezers"},
            "holdout_percent": holdout,
            "steps": [step("Boekenweek", 0, subject="Het is Boekenweek!")],
        },
    ).journey


def readers(library, count: int, first: int = 0) -> list:
    return [
        MemberFactory(library=library, external_id=f"R{n:05d}", last_activity_on=TODAY)
        for n in range(first, first + count)
    ]


def test_a_broadcast_goes_out_once_at_its_moment_and_never_again(library, smtp_server):
    only(library)
    boekenweek(library)
    audience = readers(library, 3)
    MemberFactory(library=library, last_activity_on=TODAY - dt.timedelta(days=90))

    for offset in range(0, 2):
        tick(at(TODAY + dt.timedelta(days=offset)))
    tick(at(WEDNESDAY, 9))  # an hour early
    assert smtp_server.messages == []

    tick(at(WEDNESDAY, 10))
    assert sorted(addresses(smtp_server)) == sorted(m.email for m in audience)

    readers(library, 2, first=10)  # joined the segment later: the broadcast has gone
    for offset in range(2, 12):
        tick(at(WEDNESDAY + dt.timedelta(days=offset), 11))
    assert len(smtp_server.messages) == 3
    assert set(Enrolment.objects.values_list("status", flat=True)) == {"completed"}


def test_a_late_scheduler_still_sends_the_broadcast_once(library, smtp_server):
    only(library)
    boekenweek(library)
    audience = readers(library, 2)

    tick(at(WEDNESDAY + dt.timedelta(days=1), 15))
    tick(at(WEDNESDAY + dt.timedelta(days=1), 16))

    assert sorted(addresses(smtp_server)) == sorted(m.email for m in audience)


def test_a_broadcast_holds_out_its_control_group(library, smtp_server):
    only(library)
    boekenweek(library, holdout=20)
    audience = readers(library, 40)
    held_out = {m.email for m in audience if is_held_out("gent", "boekenweek", m.external_id, 20)}
    assert 0 < len(held_out) < 40

    tick(at(WEDNESDAY, 10))
    tick(at(WEDNESDAY, 11))

    assert sorted(addresses(smtp_server)) == sorted(
        m.email for m in audience if m.email not in held_out
    )
    assert Enrolment.objects.filter(held_out=True).count() == len(held_out)


@pytest.mark.django_db(transaction=True)
def test_two_racing_ticks_enrol_the_broadcast_audience_once(smtp_server):
    library = LibraryFactory(code="leuven")
    boekenweek(library, holdout=10)
    audience = readers(library, 40)
    run_racing_ticks(2, at(WEDNESDAY, 10).isoformat(), subprocess_environment(smtp_server.url))
    enrolments = Enrolment.objects.select_related("member")
    assert enrolments.count() == len(audience)
    mailed = [e.member.email for e in enrolments if not e.held_out]
    assert 0 < len(mailed) < len(audience)
    assert Counter(addresses(smtp_server)) == Counter({email: 1 for email in mailed})
    assert Message.objects.filter(status="sent").count() == len(mailed)
