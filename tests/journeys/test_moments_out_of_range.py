"""An event whose moment is a placeholder at the calendar's ends (0001-01-01, 9999-12-31) or
a journey that fails for any other reason costs that enrolment its step, or that journey its
tick: never the other journeys' mails, of this library or another."""

import datetime as dt
import logging

import pytest

from patronflow.journeys.definitions import install_standard_journeys
from patronflow.journeys.models import Step, Version
from patronflow.mail.models import Message
from patronflow.mail.outbox import SKIPPED_NO_MOMENT
from patronflow.operations.tick import tick
from tests.factories import TODAY, LibraryFactory, MemberFactory, at
from tests.journeys.event_helpers import install_activity_journey, registration
from tests.journeys.helpers import subjects_to

pytestmark = pytest.mark.usefixtures("smtp_server")

# TODAY is Monday 1 June 2026; an ordinary registration's activity starts Saturday 6 June.
FRIDAY = dt.date(2026, 6, 5)
THREE_TICKS = (TODAY, FRIDAY, TODAY + dt.timedelta(days=7))
NO_MOMENT = SKIPPED_NO_MOMENT.format(property="starts_at")


@pytest.fixture
def brugge(db):
    """A second library with its standard journeys, the welcome among them, no holdout."""
    brugge = LibraryFactory(code="brugge", name="Bibliotheek Brugge")
    install_standard_journeys(brugge)
    Version.objects.filter(journey__library=brugge).update(holdout_percent=0)
    return brugge


def reminder_of(member) -> Message:
    return Message.objects.get(enrolment__member=member, step__position=2)


@pytest.mark.parametrize(
    ("starts_at", "reminder_from"),
    [
        ("0001-01-01", "before_event"),
        ("9999-12-31", "after_event"),
        ("0001-01-01T00:10:00+01:00", "before_event"),
        ("9999-12-31T23:30:00-05:00", "after_event"),
    ],
)
def test_a_placeholder_moment_skips_the_reminder_and_every_other_mail_still_leaves(
    library, brugge, smtp_server, starts_at, reminder_from
):
    install_activity_journey(library, reminder_from=reminder_from)
    placeholder = MemberFactory(library=library)
    registration(placeholder, starts_at=starts_at)
    ordinary = MemberFactory(library=library)
    registration(ordinary)
    newcomer = MemberFactory(library=brugge, first_name="Lotte", registered_on=TODAY)

    summaries = [tick(at(day, 10)) for day in THREE_TICKS]

    assert all(summary.failed == [] for summary in summaries)
    assert subjects_to(smtp_server, newcomer.email)[0] == "Welkom bij Bibliotheek Brugge, Lotte!"
    # The practical information leaves, showing the value as the website sent it.
    assert subjects_to(smtp_server, placeholder.email) == [
        f"Praktisch: Voorleesuurtje op {starts_at}"
    ]
    skipped = reminder_of(placeholder)
    assert (skipped.status, skipped.last_error) == (Message.Status.SUPPRESSED, NO_MOMENT)
    assert reminder_of(ordinary).status == Message.Status.SENT
    assert len(subjects_to(smtp_server, ordinary.email)) == 2


def test_a_journey_that_fails_is_passed_over_and_logged_and_the_others_go_on(
    library, brugge, smtp_server, caplog
):
    activity = install_activity_journey(library)
    member = MemberFactory(library=library)
    registration(member)
    # A stored wait no definition may hold (ten years at most): dating the mail after it
    # runs past the calendar's end.
    Step.objects.filter(version__journey=activity, position=2).update(
        wait_from=Step.WaitFrom.PREVIOUS, wait_days=2_000_000_000
    )
    newcomer = MemberFactory(library=brugge, registered_on=TODAY)

    with caplog.at_level(logging.ERROR, logger="patronflow.operations.tick"):
        summary = tick(at(TODAY, 10))

    assert [journey.pk for journey in summary.failed] == [activity.pk]
    assert activity.pk not in [progress.journey.pk for progress in summary.journeys]
    [record] = caplog.records
    assert "activity-info" in record.getMessage() and "gent" in record.getMessage()
    assert record.exc_info is not None
    assert summary.sending.sent == 1
    assert len(subjects_to(smtp_server, newcomer.email)) == 1
