"""Queueing a step moves each enrolment on to its own next step and day, also when the
enrolments queued together need different ones: members who entered on different days, one
held out, one whose previous mail left too recently for the next."""

import datetime as dt

import pytest
from django.db import transaction

from patronflow.journeys.models import Enrolment
from patronflow.journeys.services import enrol_eligible
from patronflow.mail.models import Message
from patronflow.mail.outbox import queue_due_messages
from tests.factories import TODAY, MemberFactory, at
from tests.journeys.helpers import install, only, step

pytestmark = pytest.mark.django_db


def days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


def test_each_enrolment_gets_its_own_next_step_and_day(library):
    only(library)
    journey = install(library, steps=[step("Een", 0), step("Twee", 3), step("Drie", 10)]).journey
    members = [MemberFactory(library=library) for _ in range(5)]
    with transaction.atomic():
        enrol_eligible(journey, at(TODAY))
    queue_due_messages(journey, TODAY)
    enrolments = {e.member_id: e for e in Enrolment.objects.filter(journey=journey)}
    first, second, third, held_out, recent = (enrolments[m.pk] for m in members)
    # Entered on different days, all due for mail two today; the first mails left long ago,
    # except the last member's, which left yesterday.
    for enrolment, entered in [(first, 0), (second, -1), (third, -5), (held_out, -2), (recent, 0)]:
        Enrolment.objects.filter(pk=enrolment.pk).update(
            entered_on=days(entered), next_due_on=TODAY, held_out=enrolment is held_out
        )
    Message.objects.filter(enrolment=held_out).delete()
    Message.objects.update(status=Message.Status.SENT, sent_at=at(days(-6)))
    Message.objects.filter(enrolment=recent).update(sent_at=at(days(-1)))

    queued, completed = queue_due_messages(journey, TODAY)

    pointers = {
        e.pk: (e.next_position, e.next_due_on) for e in Enrolment.objects.filter(journey=journey)
    }
    # Mail three: ten days after entry, and at least seven after mail two (queued today).
    assert pointers[first.pk] == (3, days(10))
    assert pointers[second.pk] == (3, days(9))
    assert pointers[third.pk] == (3, days(7))
    assert pointers[held_out.pk] == (3, days(8))  # moves along the same steps, unmailed
    # Mail two waits until three days after mail one really left.
    assert pointers[recent.pk] == (2, days(2))
    assert (queued, completed) == (3, 0)
    assert Message.objects.filter(step__position=2).count() == 3
