"""Four eyes: in a library that asks for it, a broadcast or a new journey version one marketer
makes goes active only when the other approves; who asked and who decided is in the log."""

import datetime as dt

import pytest

from patronflow.journeys.approvals import (
    ask_for_activation,
    ask_for_version,
    pending,
    version_waits,
    waits_for_approval,
)
from patronflow.journeys.definitions import export_definition, install_journey
from patronflow.journeys.models import ApprovalRequest, Enrolment
from patronflow.operations.activation import activate
from patronflow.operations.approvals import APPLIED, REFUSED, STALE, NotYours, approve, decline
from patronflow.operations.network_templates import adopt, newer_version, offer_journey, take_over
from patronflow.operations.publishing import save_definition
from patronflow.operations.tick import tick
from patronflow.privacy.models import AuditEntry
from tests.factories import TODAY, MemberFactory, at
from tests.journeys.helpers import addresses, only, step

WEDNESDAY = TODAY + dt.timedelta(days=2)


@pytest.fixture
def an(django_user_model):
    return django_user_model.objects.create_user("an")


@pytest.fixture
def bert(django_user_model):
    return django_user_model.objects.create_user("bert")


@pytest.fixture
def four_eyes(library):
    library.four_eyes = True
    library.save()
    return library


def broadcast(library, status: str = "draft"):
    return install_journey(
        library,
        {
            "key": "boekenweek",
            "name": "Boekenweek",
            "kind": "broadcast",
            "status": status,
            "send_at": at(WEDNESDAY, 10).isoformat(),
            "steps": [step("Boekenweek", 0, subject="Het is Boekenweek!")],
        },
    ).journey


def test_only_a_person_on_the_staff_screens_of_a_four_eyes_library_waits(library, an):
    assert not waits_for_approval(library, actor=an)
    library.four_eyes = True
    assert waits_for_approval(library, actor=an)
    assert not waits_for_approval(library, actor=None)  # the command line
    assert not waits_for_approval(library, actor="staff:bert, approving staff:an")


def test_a_broadcast_goes_out_only_after_the_other_marketer_approves(
    four_eyes, an, bert, smtp_server
):
    only(four_eyes)
    journey = broadcast(four_eyes)
    reader = MemberFactory(library=four_eyes)
    request = ask_for_activation(journey, actor=an)

    tick(at(WEDNESDAY, 11))
    journey.refresh_from_db()
    assert journey.status == "draft"
    assert smtp_server.messages == []
    assert list(pending(four_eyes)) == [request]

    decision = approve(request, actor=bert, now=at(WEDNESDAY, 11), note="Mooi zo")
    assert decision.outcome == APPLIED
    tick(at(WEDNESDAY, 12))

    assert addresses(smtp_server) == [reader.email]
    assert not pending(four_eyes).exists()
    journey.refresh_from_db()
    assert journey.status == "active"


def test_the_one_who_asked_cannot_approve_or_decline_it(four_eyes, an):
    request = ask_for_activation(broadcast(four_eyes), actor=an)

    with pytest.raises(NotYours):
        approve(request, actor=an, now=at(TODAY))
    with pytest.raises(NotYours):
        decline(request, actor=an)
    request.refresh_from_db()
    assert request.state == "pending"
    assert request.journey.status == "draft"


def test_an_approved_version_is_installed_and_moves_members_when_asked(four_eyes, an, bert):
    welcome = four_eyes.journeys.get(key="welcome")
    MemberFactory(library=four_eyes, registered_on=TODAY)
    tick(at(TODAY))
    assert version_waits(welcome, actor=an)
    changed = export_definition(welcome)
    changed["steps"].append(step("Mail 4", 30) | {"position": 4})

    request = ask_for_version(welcome, changed, actor=an, move_members=True)
    assert welcome.current_version.steps.count() == 3  # nothing installed yet

    decision = approve(request, actor=bert, now=at(TODAY))

    assert decision.outcome == APPLIED and decision.installed.outcome == "new version"
    assert welcome.current_version.number == 2
    assert welcome.current_version.steps.count() == 4
    assert set(Enrolment.objects.values_list("version__number", flat=True)) == {2}


def test_a_request_over_a_journey_changed_since_is_stale_and_changes_nothing(four_eyes, an, bert):
    welcome = four_eyes.journeys.get(key="welcome")
    mine = export_definition(welcome)
    mine["holdout_percent"] = 20
    request = ask_for_version(welcome, mine, actor=an, move_members=False)
    theirs = export_definition(welcome)
    theirs["holdout_percent"] = 5
    install_journey(four_eyes, theirs)  # e.g. from the command line, meanwhile

    decision = approve(request, actor=bert, now=at(TODAY))

    assert decision.outcome == STALE
    assert welcome.current_version.holdout_percent == 5
    request.refresh_from_db()
    assert request.state == "stale"


def test_an_activation_that_fails_its_checks_keeps_waiting(four_eyes, an, bert):
    journey = broadcast(four_eyes)
    journey.current_version.steps.all().delete()
    journey = four_eyes.journeys.get(pk=journey.pk)
    request = ask_for_activation(journey, actor=an)

    decision = approve(request, actor=bert, now=at(TODAY))

    assert decision.outcome == REFUSED and "no steps" in decision.problem
    request.refresh_from_db()
    assert request.state == "pending"
    log = AuditEntry.objects.get(operator="staff:bert", library_code="gent")
    asked, refused = log.changes[f"approval request {request.pk}"]
    assert asked == "activation, asked"
    assert refused.startswith("activation, approval refused (") and "no steps" in refused


def test_declining_leaves_the_journey_as_it_was_and_the_log_names_both(four_eyes, an, bert):
    journey = broadcast(four_eyes)
    request = ask_for_activation(journey, actor=an)

    decline(request, actor=bert, note="Eerst de tekst nalezen")

    request.refresh_from_db()
    assert (request.state, request.note, request.decided_by) == (
        "declined",
        "Eerst de tekst nalezen",
        bert,
    )
    journey.refresh_from_db()
    assert journey.status == "draft"
    log = AuditEntry.objects.filter(subject="journey boekenweek", library_code="gent")
    entries = {entry.operator: entry.changes for entry in log}
    key = f"approval request {request.pk}"
    assert entries["staff:an"][key] == [None, "activation, asked"]
    assert entries["staff:bert"][key] == ["activation, asked", "activation, declined"]


def test_the_installation_an_approval_makes_is_logged_as_both_peoples(four_eyes, an, bert):
    MemberFactory(library=four_eyes)
    request = ask_for_activation(broadcast(four_eyes), actor=an)

    approve(request, actor=bert, now=at(TODAY))

    status = AuditEntry.objects.get(operator="staff:bert, approving staff:an")
    assert status.changes == {"status": ["draft", "active"]}
    assert ApprovalRequest.objects.get().state == "approved"


def test_the_staff_activation_and_the_editors_save_ask_instead_of_acting(four_eyes, an, bert):
    MemberFactory(library=four_eyes)
    journey = broadcast(four_eyes)
    asked = activate(journey, now=at(TODAY), actor=an, confirmed=True)
    assert isinstance(asked, ApprovalRequest) and asked.change == "activation"
    journey.refresh_from_db()
    assert journey.status == "draft"

    draft_save = save_definition(
        four_eyes, export_definition(journey) | {"holdout_percent": 5}, actor=an, move_members=False
    )
    assert draft_save.installed.outcome == "replaced"  # a draft is not running: saved at once

    welcome = four_eyes.journeys.get(key="welcome")
    running = export_definition(welcome) | {"holdout_percent": 30}
    waiting = save_definition(four_eyes, running, actor=an, move_members=True)
    assert isinstance(waiting, ApprovalRequest) and waiting.move_members
    assert welcome.current_version.holdout_percent == 0

    approve(waiting, actor=bert, now=at(TODAY))
    assert welcome.current_version.holdout_percent == 30
    command_line = save_definition(
        four_eyes, running | {"holdout_percent": 20}, actor=None, move_members=False
    )
    assert command_line.installed.version.holdout_percent == 20


def test_taking_over_a_template_into_a_running_copy_waits_for_approval(four_eyes, an, bert):
    source = four_eyes.journeys.get(key="dormant")
    adoption = adopt(offer_journey(source, actor=None).template, four_eyes, actor=None)
    copy = adoption.journey
    install_journey(four_eyes, export_definition(copy) | {"status": "active"})
    copy.status = "active"
    copy.save()
    install_journey(four_eyes, export_definition(source) | {"holdout_percent": 40})
    newer = offer_journey(source, actor=None)

    asked = take_over(adoption, newer, actor=an, move_members=False, today=TODAY)

    assert isinstance(asked, ApprovalRequest)
    assert newer_version(adoption) is None  # it waits: not offered twice
    assert copy.current_version.holdout_percent == 0
    approve(asked, actor=bert, now=at(TODAY))
    assert copy.current_version.holdout_percent == 40
    adoption.refresh_from_db()
    assert (adoption.version_number, adoption.left_number) == (newer.number, None)
    assert newer_version(adoption) is None


def test_a_template_version_whose_take_over_is_declined_is_offered_again(four_eyes, an, bert):
    source = four_eyes.journeys.get(key="dormant")
    adoption = adopt(offer_journey(source, actor=None).template, four_eyes, actor=None)
    copy = adoption.journey
    install_journey(four_eyes, export_definition(copy) | {"status": "active"})
    copy.status = "active"
    copy.save()
    install_journey(four_eyes, export_definition(source) | {"holdout_percent": 40})
    newer = offer_journey(source, actor=None)
    asked = take_over(adoption, newer, actor=an, move_members=False, today=TODAY)

    decline(asked, actor=bert, note="Nog niet")

    adoption.refresh_from_db()
    assert newer_version(adoption) == newer
    assert copy.current_version.holdout_percent == 0
