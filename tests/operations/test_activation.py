"""Guard rails on staff switching a journey on, and cancelling a broadcast before it leaves."""

import datetime as dt

import pytest
from django.core.management import call_command

from patronflow.journeys.definitions import install_journey, save_segment
from patronflow.journeys.models import Enrolment, Journey
from patronflow.journeys.services import LifecycleError, is_held_out
from patronflow.mail.models import Message
from patronflow.members.models import Library
from patronflow.operations.activation import (
    ActivationRefused,
    ConfirmationNeeded,
    Missing,
    activate,
)
from patronflow.operations.lifecycle import cancel_broadcast
from patronflow.operations.tick import tick
from patronflow.privacy.models import AuditEntry
from tests.factories import TODAY, MemberFactory, at
from tests.journeys.helpers import addresses, only, step

WEDNESDAY = TODAY + dt.timedelta(days=2)
SATURDAY = TODAY + dt.timedelta(days=5)
MONDAY = TODAY + dt.timedelta(days=7)
NOW = at(TODAY, 12)


def draft_broadcast(library, send_at: dt.datetime | None = None, entry=None) -> Journey:
    save_segment(library, "lezers", "Lezers", {"active_within_days": 30})
    return install_journey(
        library,
        {
            "key": "boekenweek",
            "name": "Boekenweek",
            "kind": "broadcast",
            "send_at": (send_at or at(WEDNESDAY, 10)).isoformat(),
            "entry": {"segment": "lezers"} if entry is None else entry,
            "steps": [step("Boekenweek", 0)],
        },
    ).journey


def reader(library, **fields):
    return MemberFactory(library=library, last_activity_on=TODAY, **fields)


def test_a_broadcast_with_a_member_in_reach_is_scheduled_and_logged(library):
    journey = draft_broadcast(library)
    reader(library)

    activate(journey, now=NOW, actor="staff:an")

    journey.refresh_from_db()
    assert journey.status == "active"
    entry = AuditEntry.objects.filter(library_code="gent").latest("id")
    assert entry.operator == "staff:an" and entry.subject == "journey boekenweek"
    assert entry.changes["status"][1] == journey.status


@pytest.mark.parametrize(
    ("field", "reason"), [("privacy_url", Missing.PRIVACY_LINK), ("sender_email", Missing.SENDER)]
)
def test_without_a_privacy_link_or_sender_nothing_is_activated(library, field, reason):
    journey = draft_broadcast(library)
    reader(library)
    setattr(library, field, "")
    library.save()

    with pytest.raises(ActivationRefused) as refused:
        activate(journey, now=NOW, actor="staff:an")

    assert refused.value.missing == (reason,)
    journey.refresh_from_db()
    assert journey.status == "draft"


def test_nobody_in_reach_refuses_and_says_every_reason_at_once(library):
    library.privacy_url = library.sender_email = ""
    library.save()
    journey = draft_broadcast(library)
    reader(library, email="")  # in the audience, but not mailable

    with pytest.raises(ActivationRefused) as refused:
        activate(journey, now=NOW, actor="staff:an")

    assert refused.value.missing == (Missing.PRIVACY_LINK, Missing.SENDER, Missing.REACH)


def test_an_audience_wholly_held_out_is_not_in_reach(library):
    journey = draft_broadcast(library)
    journey.versions.update(holdout_percent=50)
    members = [reader(library, external_id=f"H{n}") for n in range(40)]
    held = [m for m in members if is_held_out("gent", "boekenweek", m.external_id, 50)]
    for member in members:
        if member not in held:
            member.delete()

    with pytest.raises(ActivationRefused) as refused:
        activate(journey, now=NOW, actor="staff:an")
    assert refused.value.missing == (Missing.REACH,)


def test_a_paused_journey_is_resumed_without_anyone_new_in_reach(library):
    journey = library.journeys.get(key="welcome")
    journey.status = "paused"
    journey.save()
    # Nobody registered lately: it mails whoever registers next, as before its pause.
    activate(journey, now=NOW, actor="staff:an")
    journey.refresh_from_db()
    assert journey.status == "active"


def test_an_audience_of_everyone_waits_for_a_confirmation(library):
    journey = draft_broadcast(library, entry={})
    reader(library)

    with pytest.raises(ConfirmationNeeded):
        activate(journey, now=NOW, actor="staff:an")
    journey.refresh_from_db()
    assert journey.status == "draft"

    activate(journey, now=NOW, actor="staff:an", confirmed=True)
    journey.refresh_from_db()
    assert journey.status == "active"


def test_library_add_still_installs_the_standard_journeys_active_without_members(db):
    call_command(
        "library", "add", "leuven", "--name", "Bibliotheek Leuven",
        "--sender-email", "nieuws@leuven.bibliotheek.be",
        "--privacy-url", "https://leuven.bibliotheek.be/privacy",
    )  # fmt: skip

    library = Library.objects.get(code="leuven")
    assert set(library.journeys.values_list("status", flat=True)) == {"active"}


def test_cancelling_before_the_moment_makes_it_a_draft_again_and_nobody_gets_it(
    library, smtp_server
):
    only(library)
    journey = draft_broadcast(library)
    reader(library)
    activate(journey, now=NOW, actor="staff:an")

    cancelled = cancel_broadcast(journey, today=TODAY, actor="staff:an")

    assert not cancelled.entered
    journey.refresh_from_db()
    assert journey.status == "draft"
    tick(at(WEDNESDAY, 10))
    assert smtp_server.messages == []
    assert not Enrolment.objects.filter(journey=journey).exists()
    entry = AuditEntry.objects.filter(library_code="gent").latest("id")
    assert entry.operator == "staff:an" and entry.subject == "journey boekenweek"
    assert entry.changes["status"][1] == journey.status


def test_cancelling_after_entry_withdraws_the_mails_still_waiting(library, smtp_server):
    only(library)
    library.daily_cap = 2
    library.save()
    journey = draft_broadcast(library, send_at=at(SATURDAY, 10))
    members = [reader(library) for _ in range(3)]
    activate(journey, now=NOW, actor="staff:an")
    tick(at(SATURDAY, 10))  # two go, the third waits for Monday
    assert len(smtp_server.messages) == 2

    cancelled = cancel_broadcast(journey, today=SATURDAY, actor="staff:an")

    assert (cancelled.entered, cancelled.withdrawn, cancelled.gone) == (True, 1, 2)
    tick(at(MONDAY, 10))
    assert len(smtp_server.messages) == 2
    left_out = set(m.email for m in members) - set(addresses(smtp_server))
    withdrawn = Message.objects.get(enrolment__journey=journey, status="suppressed")
    assert withdrawn.to_email in left_out or withdrawn.enrolment.member.email in left_out
    journey.refresh_from_db()
    assert journey.status == "archived"


def test_a_broadcast_whose_mails_have_all_left_cannot_be_cancelled(library, smtp_server):
    only(library)
    journey = draft_broadcast(library)
    reader(library)
    activate(journey, now=NOW, actor="staff:an")
    tick(at(WEDNESDAY, 10))

    with pytest.raises(LifecycleError):
        cancel_broadcast(journey, today=WEDNESDAY, actor="staff:an")
    journey.refresh_from_db()
    assert journey.status == "active"


def test_a_journey_is_not_a_broadcast_to_cancel(library):
    welcome = library.journeys.get(key="welcome")
    with pytest.raises(LifecycleError):
        cancel_broadcast(welcome, today=TODAY, actor="staff:an")
