"""The dry run decides who is mailed as the sender does, for the whole batch at once: a mail
that waited for the send window while its member stopped being mailable is counted as not
mailable, one on the suppression list too (whatever the case of its address), the rest sent,
the very figures tick then reports."""

import datetime as dt

import pytest

from patronflow.operations.dry_run import simulate
from patronflow.operations.libraries import change_library
from patronflow.operations.tick import tick
from patronflow.privacy.models import Suppression
from patronflow.privacy.references import address_reference
from tests.factories import TODAY, MemberFactory, at
from tests.journeys.helpers import install, only, step

pytestmark = pytest.mark.django_db

SATURDAY, SUNDAY, MONDAY = (TODAY + dt.timedelta(days=n) for n in (5, 6, 7))


def test_mails_that_waited_go_to_the_mailable_members_only(library, smtp_server):
    only(library)
    change_library(library, send_window="mon-fri 09:00-18:00")
    journey = install(library, steps=[step("Welkom", 0)]).journey
    for _ in range(3):
        MemberFactory(library=library)
    MemberFactory(library=library, membership_ends_on=SUNDAY)
    listed = MemberFactory(library=library, email="Lezer@Example.org")

    assert tick(at(SATURDAY)).journeys[0].entered == 5  # their mails wait for Monday
    # Listed after the member entered: their mail waits over the weekend with the others.
    Suppression.objects.create(
        library=library,
        email=listed.email.lower(),
        address_ref=address_reference(listed.email),
        reason=Suppression.Reason.COMPLAINT,
    )

    sunday, monday = simulate(journey, SUNDAY, MONDAY)

    assert sunday.waiting == 5
    assert sum(monday.mails.values()) == 3 and monday.not_mailable == 2
    assert tick(at(SUNDAY)).sending.sent == 0
    sending = tick(at(MONDAY)).sending
    assert (sending.sent, sending.suppressed) == (3, 2)
    assert len(smtp_server.messages) == 3
