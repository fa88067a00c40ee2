"""The scheduler may run twice, or twice at once: still one mail per member and step."""

import subprocess
import sys
from collections import Counter

import pytest

from patronflow.journeys.models import Enrolment
from patronflow.journeys.services import tick
from patronflow.mail.models import Message
from tests.conftest import subprocess_environment
from tests.factories import TODAY, MemberFactory, at

PATRONFLOW = [sys.executable, "-m", "patronflow.cli"]


def test_running_tick_twice_sends_nothing_twice(library, smtp_server):
    members = [MemberFactory(library=library, registered_on=TODAY) for _ in range(5)]

    tick(at(TODAY))
    tick(at(TODAY))

    assert sorted(m["To"].addresses[0].addr_spec for m in smtp_server.messages) == sorted(
        m.email for m in members
    )


@pytest.mark.django_db(transaction=True)
def test_concurrent_ticks_in_separate_processes_never_double_mail(smtp_server):
    from patronflow.journeys.definitions import install_standard_journeys
    from tests.factories import LibraryFactory

    library = LibraryFactory(code="antwerpen")
    install_standard_journeys(library)
    members = [MemberFactory(library=library, registered_on=TODAY) for _ in range(60)]
    environment = subprocess_environment(smtp_server.url)
    now = at(TODAY).isoformat()

    processes = [
        subprocess.Popen(
            [*PATRONFLOW, "tick", "--now", now],
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outcomes = [process.communicate(timeout=120) for process in processes]

    for process, (_, errors) in zip(processes, outcomes, strict=True):
        assert process.returncode == 0, errors
    enrolments = Enrolment.objects.filter(journey__key="welcome").select_related("member")
    assert enrolments.count() == len(members)
    mailed = [e.member.email for e in enrolments if not e.held_out]
    received = Counter(m["To"].addresses[0].addr_spec for m in smtp_server.messages)
    assert received == Counter({email: 1 for email in mailed})
    assert Message.objects.filter(status=Message.Status.SENT).count() == len(mailed)
