"""Ticks racing in separate processes enrol each event once and send its mail once."""

from collections import Counter

import pytest

from patronflow.journeys.models import Enrolment
from tests.conftest import subprocess_environment
from tests.factories import TODAY, LibraryFactory, MemberFactory, at
from tests.journeys.event_helpers import install_activity_journey, registration
from tests.journeys.helpers import run_racing_ticks


@pytest.mark.django_db(transaction=True)
def test_racing_ticks_enrol_each_event_once_and_mail_it_once(smtp_server):
    library = LibraryFactory(code="mechelen")
    install_activity_journey(library)
    members = [MemberFactory(library=library) for _ in range(40)]
    events = [registration(member) for member in members]
    events += [registration(member, name="Schrijfworkshop") for member in members[:10]]

    run_racing_ticks(3, at(TODAY, 10).isoformat(), subprocess_environment(smtp_server.url))

    enrolments = Enrolment.objects.filter(journey__key="activity-info")
    assert sorted(enrolments.values_list("event_id", flat=True)) == sorted(e.pk for e in events)
    received = Counter(m["To"].addresses[0].addr_spec for m in smtp_server.messages)
    assert received == Counter({m.email: 2 if i < 10 else 1 for i, m in enumerate(members)})
