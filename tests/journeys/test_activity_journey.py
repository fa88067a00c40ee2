"""The built-in activity journey: practical information when a member registers for an
activity, and a reminder the day before it, in Dutch and English."""

import datetime as dt

import pytest

from patronflow.journeys.definitions import (
    EXAMPLE_JOURNEYS,
    dump_definition,
    export_definition,
    install_journey,
    parse_definition,
    standard_definition,
)
from patronflow.journeys.models import Journey, Version
from patronflow.operations.lifecycle import change_status
from patronflow.operations.tick import tick
from tests.factories import TODAY, MemberFactory, at
from tests.journeys.event_helpers import registration
from tests.journeys.helpers import only


@pytest.mark.parametrize("language", ["nl", "en"])
@pytest.mark.parametrize("key", EXAMPLE_JOURNEYS)
def test_it_installs_as_a_draft_and_exports_back_unchanged(library, key, language):
    installed = install_journey(library, standard_definition(key, language))

    again = install_journey(
        library, parse_definition(dump_definition(export_definition(installed.journey)))
    )

    assert installed.journey.status == Journey.Status.DRAFT
    assert installed.version.on_event == "activity.registered"
    assert again.outcome == "unchanged"


def test_library_add_does_not_install_it(library):
    assert not library.journeys.filter(key="activity").exists()


@pytest.mark.parametrize(
    ("language", "first", "reminder"),
    [
        ("nl", "Je bent ingeschreven: Voorleesuurtje", "Morgen: Voorleesuurtje"),
        ("en", "You're registered: Voorleesuurtje", "Tomorrow: Voorleesuurtje"),
    ],
)
def test_switched_on_it_informs_and_reminds_the_member(
    library, smtp_server, language, first, reminder
):
    only(library)
    journey = install_journey(library, standard_definition("activity", language)).journey
    Version.objects.filter(journey=journey).update(created_at=at(TODAY, 8))
    change_status(journey, "active", TODAY)
    member = MemberFactory(library=library)
    registration(member, "2026-06-04T10:00:00+02:00")

    for day in range(4):
        tick(at(TODAY + dt.timedelta(days=day)))

    mails = smtp_server.to(member.email)
    assert [str(mail["Subject"]) for mail in mails] == [first, reminder]
    when = {"nl": "donderdag 4 juni 2026 om 10:00", "en": "Thursday 4 June 2026 at 10:00"}
    assert when[language] in mails[0].get_body(("plain",)).get_content()
    assert "Filiaal Ledeberg" in mails[1].get_body(("plain",)).get_content()
