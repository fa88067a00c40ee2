"""Saving over a journey members are already in: a new version, and the marketer's choice
for those members — finish on the version they started, or move onto the new one now, as
`patronflow journey migrate` does, without a mail sent twice. The journey page then shows
the new step and what the version changed."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from patronflow.journeys.models import Enrolment, Journey
from patronflow.operations.tick import tick
from patronflow.privacy.models import AuditEntry
from patronflow.staff.views import journeys as journeys_view
from tests.factories import TODAY, MemberFactory, at
from tests.journeys.helpers import install, only, step, subjects_to
from tests.staff.studio_forms import Editor, editor_url

pytestmark = pytest.mark.django_db

NEW_MEMBERS = {"registered_within_days": 14}


def run(first: int, last: int) -> None:
    for offset in range(first, last + 1):
        tick(at(TODAY + dt.timedelta(days=offset)))


@pytest.fixture
def on_its_way(library, smtp_server):
    """A running journey of two mails (day 0 and 7) and a member who got mail 1 on day 0."""
    only(library)
    journey = install(
        library,
        steps=[step("Hallo", 0, subject="Mail 1"), step("Tips", 7, subject="Mail 2")],
        entry=NEW_MEMBERS,
    ).journey
    member = MemberFactory(library=library, registered_on=TODAY)
    run(0, 1)
    assert subjects_to(smtp_server, member.email) == ["Mail 1"]
    return journey, member


def add_a_third_mail(client, journey: Journey, members: str | None) -> Editor:
    """On day 2: add a third mail (day 14) in the editor, choose for the members, save."""
    with time_machine.travel(at(TODAY + dt.timedelta(days=2), 8), tick=False):
        editor = Editor(client, editor_url("studio_edit", journey.pk))
        editor.press("add_step")
        editor.set(
            step2_name="Tot ziens",
            step2_wait_days=14,
            step2_variant0_subject="Mail 3",
            step2_variant0_body="<p>Tot ziens</p>",
        )
        if members:
            editor.set(members=members)
        return editor.press("save")


def test_the_editor_asks_what_happens_to_members_on_their_way(staff_client, on_its_way):
    journey, _ = on_its_way

    page = Editor(staff_client, editor_url("studio_edit", journey.pk)).page

    assert "1 lid zit nu in deze reeks" in page
    assert 'name="members" value="move"' in page


def test_members_who_finish_stay_on_the_version_they_started(
    staff_client, library, smtp_server, on_its_way
):
    journey, member = on_its_way

    add_a_third_mail(staff_client, journey, "finish")
    run(2, 16)

    assert journey.versions.count() == 2
    assert Enrolment.objects.get(member=member).version.number == 1
    assert subjects_to(smtp_server, member.email) == ["Mail 1", "Mail 2"]


def test_members_who_move_get_the_new_mail_and_no_mail_twice(
    staff_client, library, smtp_server, on_its_way
):
    journey, member = on_its_way

    editor = add_a_third_mail(staff_client, journey, "move")
    run(2, 16)

    assert "1 lid dat onderweg was, is erheen overgezet" in editor.page
    assert Enrolment.objects.get(member=member).version.number == 2
    assert subjects_to(smtp_server, member.email) == ["Mail 1", "Mail 2", "Mail 3"]
    moved = AuditEntry.objects.filter(subject=f"journey {journey.key}", operator="staff:an")
    assert any("members on version" in entry.changes for entry in moved)


def test_the_journey_page_shows_the_new_step_and_what_the_version_changed(staff_client, on_its_way):
    journey, _ = on_its_way

    page = add_a_third_mail(staff_client, journey, "move").page  # the journey's page

    assert "Mail 3: Tot ziens" in page
    assert "Wat versie 2 veranderde" in page
    assert "Mail 3 toegevoegd: Tot ziens" in page


def test_older_versions_changes_are_a_link_away_not_computed_on_each_load(
    staff_client, library, on_its_way, monkeypatch
):
    journey, _ = on_its_way
    add_a_third_mail(staff_client, journey, "finish")
    MemberFactory(library=library, registered_on=TODAY + dt.timedelta(days=2))
    run(2, 3)  # someone enters version 2: the next save is version 3
    install(
        library,
        steps=[step("Hallo", 0, subject="Mail 1"), step("Tips", 5, subject="Mail 2")],
        entry=NEW_MEMBERS,
    )
    assert journey.versions.count() == 3
    computed = []
    real = journeys_view.version_changes

    def counted(changed: Journey, number: int):
        computed.append(number)
        return real(changed, number)

    monkeypatch.setattr(journeys_view, "version_changes", counted)

    page = staff_client.get(reverse("staff:journey", args=[journey.pk])).content.decode()

    assert computed == [3]
    assert "Wat versie 3 veranderde" in page
    url = reverse("staff:journey_version_changes", args=[journey.pk])
    assert f'href="{url}?version=2"' in page
    older = staff_client.get(f"{url}?version=2").content.decode()
    assert "Wat versie 2 veranderde" in older and "Mail 3 toegevoegd: Tot ziens" in older
    first = staff_client.get(f"{url}?version=1").content.decode()
    assert "De eerste versie: er ging niets aan vooraf." in first
    assert staff_client.get(f"{url}?version=9").status_code == 404
