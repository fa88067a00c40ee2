"""A journey's lifecycle: draft → active ⇄ paused → archived, and what each means on tick."""

import datetime as dt

import pytest
from django.core.management import CommandError, call_command

from patronflow.journeys.models import Enrolment, Journey
from patronflow.journeys.services import LifecycleError
from patronflow.mail.models import Message
from patronflow.operations.lifecycle import change_status
from patronflow.operations.tick import tick
from tests.factories import TODAY, JourneyFactory, MemberFactory, StepFactory, VariantFactory, at
from tests.journeys.helpers import addresses, install, only, step, subjects_to

NEW_MEMBERS = {"registered_within_days": 14}
SUNDAY = TODAY + dt.timedelta(days=6)  # no send window on Sundays: mails queued then wait
MONDAY = SUNDAY + dt.timedelta(days=1)


def day(offset: int) -> dt.date:
    return TODAY + dt.timedelta(days=offset)


def two_mails(library, status: str = "active") -> Journey:
    only(library)
    steps = [step("Mail 1", 0), step("Mail 2", 2)]
    return install(library, steps=steps, entry=NEW_MEMBERS, status=status).journey


def test_a_draft_journey_does_nothing_on_tick(library, smtp_server):
    two_mails(library, status="draft")
    MemberFactory(library=library, registered_on=TODAY)

    tick(at(TODAY))

    assert not Enrolment.objects.exists()
    assert smtp_server.messages == []


def test_a_paused_journey_lets_nobody_in_and_sends_nothing_until_resumed(library, smtp_server):
    journey = two_mails(library)
    early = MemberFactory(library=library, registered_on=TODAY)
    tick(at(TODAY))
    change_status(journey, "paused", day(1))
    later = MemberFactory(library=library, registered_on=day(1))

    for offset in range(1, 5):
        tick(at(day(offset)))

    assert addresses(smtp_server) == [early.email]
    assert not Enrolment.objects.filter(member=later).exists()

    change_status(journey, "active", day(5))
    tick(at(day(5)))

    assert subjects_to(smtp_server, early.email) == ["Mail 1", "Mail 2"]
    assert subjects_to(smtp_server, later.email) == ["Mail 1"]


def test_pausing_holds_mails_already_queued(library, smtp_server):
    journey = two_mails(library)
    member = MemberFactory(library=library, registered_on=SUNDAY)
    tick(at(SUNDAY))  # queued, but the window is shut on Sunday
    assert Message.objects.filter(status=Message.Status.QUEUED).count() == 1

    change_status(journey, "paused", MONDAY)
    tick(at(MONDAY))

    assert smtp_server.messages == []
    change_status(journey, "active", MONDAY)
    tick(at(MONDAY, hour=11))
    assert addresses(smtp_server) == [member.email]


def test_archiving_ends_every_running_enrolment_and_its_mails(library, smtp_server):
    journey = two_mails(library)
    sent_one = MemberFactory(library=library, registered_on=TODAY)
    tick(at(TODAY))
    queued_one = MemberFactory(library=library, registered_on=SUNDAY)
    tick(at(SUNDAY))

    change_status(journey, "archived", MONDAY)
    for offset in range(7, 12):
        tick(at(day(offset)))

    assert addresses(smtp_server) == [sent_one.email]
    assert queued_one.email not in addresses(smtp_server)
    assert set(Enrolment.objects.values_list("status", "exit_reason")) == {
        (Enrolment.Status.EXITED, Enrolment.ExitReason.ARCHIVED)
    }
    assert set(Enrolment.objects.values_list("ended_on", flat=True)) == {MONDAY}


def test_an_archived_journey_cannot_be_switched_on_again(library):
    journey = two_mails(library)
    change_status(journey, "archived", TODAY)

    with pytest.raises(LifecycleError) as refused:
        change_status(journey, "active", TODAY)

    assert str(refused.value) == (
        "gent/test is archived: it cannot become active (allowed: nothing, it is archived)"
    )
    journey.refresh_from_db()
    assert journey.status == Journey.Status.ARCHIVED


@pytest.mark.parametrize(
    ("start", "target", "allowed"),
    [
        ("draft", "paused", "active, archived"),
        ("active", "active", "archived, paused"),
        ("active", "draft", "archived, paused"),
        ("paused", "draft", "active, archived"),
    ],
)
def test_illegal_status_changes_are_refused_with_what_is_allowed(library, start, target, allowed):
    journey = two_mails(library, status=start if start != "paused" else "active")
    if start == "paused":
        change_status(journey, "paused", TODAY)

    with pytest.raises(LifecycleError, match=f"cannot become {target} \\(allowed: {allowed}\\)"):
        change_status(journey, target, TODAY)

    journey.refresh_from_db()
    assert journey.status == start


def test_an_unknown_status_is_refused(library):
    journey = two_mails(library)

    with pytest.raises(ValueError, match="'asleep'"):
        change_status(journey, "asleep", TODAY)


def test_the_journey_commands_switch_a_journey_and_explain_refusals(library, capsys):
    two_mails(library, status="draft")

    call_command("journey", "activate", "test", "--library", "gent")
    call_command("journey", "pause", "test", "--library", "gent")
    call_command("journey", "resume", "test", "--library", "gent")
    call_command("journey", "archive", "test", "--library", "gent")

    assert capsys.readouterr().out.splitlines() == [
        "gent/test is now active.",
        "gent/test is now paused.",
        "gent/test is now active.",
        "gent/test is now archived.",
    ]
    with pytest.raises(CommandError, match="gent/test is archived: it cannot become active"):
        call_command("journey", "activate", "test", "--library", "gent")
    with pytest.raises(CommandError, match=r"gent has no journey 'nope' \(journeys: dormant"):
        call_command("journey", "pause", "nope", "--library", "gent")


def test_the_journey_list_shows_each_status(library, capsys):
    two_mails(library, status="draft")

    call_command("journey", "list", "--library", "gent")

    lines = capsys.readouterr().out.splitlines()
    rows = {line.split("│")[1].strip(): line for line in lines if line.startswith("│")}
    assert "draft" in rows["test"]
    assert "paused" in rows["welcome"]


def test_a_journey_without_steps_cannot_be_switched_on(db):
    journey = JourneyFactory(status="draft")

    with pytest.raises(LifecycleError, match="has no steps: nothing to send"):
        change_status(journey, "active", TODAY)

    VariantFactory(step=StepFactory(journey=journey))
    assert change_status(journey, "active", TODAY).status == Journey.Status.ACTIVE
