"""What the reach of a journey that starts on an event says: the events waiting to enrol,
not every member its (empty) entry rule matches."""

from patronflow.operations.activation import sends_to_everyone
from patronflow.operations.reach import estimate
from tests.factories import TODAY, MemberFactory, at
from tests.journeys.event_helpers import install_activity_journey, registration


def test_the_reach_counts_the_events_waiting_for_the_next_tick(library):
    journey = install_activity_journey(library)
    members = [MemberFactory(library=library) for _ in range(5)]
    registration(members[0])
    registration(members[0], name="Schrijfworkshop")
    registration(members[1])

    reach = estimate(journey, now=at(TODAY, 10))

    assert reach.mailable == 5
    assert (reach.entering, reach.mailed) == (3, 3)


def test_an_event_journey_without_conditions_does_not_send_to_everyone(library):
    journey = install_activity_journey(library)

    assert not sends_to_everyone(journey)
