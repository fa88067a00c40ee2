"""Members' events are personal data: in the member's export, gone with an erasure, and
purged once old unless a journey still runs on them."""

import datetime as dt
import json

from django.core.management import call_command

from patronflow.journeys.models import Enrolment
from patronflow.members.models import MemberEvent
from patronflow.operations.purge import MEMBER_EVENT_DAYS, purge
from patronflow.operations.tick import tick
from tests.factories import TODAY, MemberFactory, at
from tests.journeys.event_helpers import install_activity_journey, registration


def test_a_members_export_lists_their_events_with_what_they_carried(library, capsys):
    member = MemberFactory(library=library)
    registration(member, place="Filiaal Ledeberg")
    registration(MemberFactory(library=library))  # someone else's

    call_command("member", "export", member.external_id, "--library", "gent")

    [event] = json.loads(capsys.readouterr().out)["member_events"]
    assert event["type"] == "activity.registered"
    assert event["properties"]["name"] == "Voorleesuurtje"
    assert event["properties"]["place"] == "Filiaal Ledeberg"
    assert "member_id" not in event


def test_erasure_removes_the_members_events_and_their_enrolments(library, smtp_server):
    install_activity_journey(library)
    member, other = MemberFactory(library=library), MemberFactory(library=library)
    registration(member)
    registration(other)
    tick(at(TODAY))

    call_command("member", "erase", member.external_id, "--library", "gent", "--by", "an")

    assert not MemberEvent.objects.filter(member_id=member.pk).exists()
    assert not Enrolment.objects.filter(member_id=member.pk).exists()
    assert MemberEvent.objects.filter(member=other).exists()


def test_the_purge_removes_old_events_unless_a_journey_still_runs_on_them(library):
    journey = install_activity_journey(library)
    member = MemberFactory(library=library)
    long_ago = at(TODAY - dt.timedelta(days=MEMBER_EVENT_DAYS + 1))
    old, running, recent = (
        registration(member, received_at=long_ago),
        registration(member, received_at=long_ago, name="Lange cursus"),
        registration(member, received_at=at(TODAY - dt.timedelta(days=MEMBER_EVENT_DAYS - 1))),
    )
    finished = Enrolment.objects.create(
        journey=journey,
        version=journey.current_version,
        member=member,
        event=old,
        entered_on=long_ago.date(),
        status=Enrolment.Status.COMPLETED,
    )
    Enrolment.objects.create(
        journey=journey,
        version=journey.current_version,
        member=member,
        event=running,
        entered_on=long_ago.date(),
    )

    dry = purge(TODAY, operator="cron", dry_run=True)
    summary = purge(TODAY, operator="cron")

    assert dry.rows("gent")["members.memberevent"] == 1
    assert summary.rows("gent")["members.memberevent"] == 1
    assert set(MemberEvent.objects.values_list("pk", flat=True)) == {running.pk, recent.pk}
    finished.refresh_from_db()
    assert finished.event is None  # the enrolment stays, as history
