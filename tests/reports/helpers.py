"""Sent mails of one variant, and a small library's campaign, as the reports tests build them."""

import datetime as dt

from patronflow.mail.models import Message
from patronflow.tracking.models import Event, Feedback
from tests.factories import EnrolmentFactory, LoanFactory, MessageFactory, at

MONDAY = dt.date(2026, 5, 25)


def mails(variant, count: int, day: dt.date = MONDAY, **fields) -> list[Message]:
    """`count` mails of `variant`'s step, sent on `day` to members of the variant's segment."""
    step = variant.step
    return [
        MessageFactory(
            enrolment__journey=step.version.journey,
            enrolment__segment=variant.segment,
            step=step,
            variant=variant,
            sent_at=at(day),
            **fields,
        )
        for _ in range(count)
    ]


AFTER_THE_WINDOWS = MONDAY + dt.timedelta(days=100)  # every member's 90-day window has passed


def small_campaign(library) -> None:
    """A small library's first dormant mailing, as issue 19 found Brugge's: 37 members mailed
    and their mails delivered, one of them unsubscribed and one voted 👎; three members held
    out, one of whom came back and borrowed."""
    journey = library.journeys.get(key="dormant")
    step = journey.current_version.steps.get(position=1)
    sent = mails(step.variants.get(segment=""), 37)
    Event.objects.create(message=sent[0], kind=Event.Kind.UNSUBSCRIBE)
    Feedback.objects.create(message=sent[1], vote=Feedback.Vote.DOWN)
    held_out = [
        EnrolmentFactory(journey=journey, held_out=True, entered_on=MONDAY) for _ in range(3)
    ]
    LoanFactory(member=held_out[0].member, loaned_on=MONDAY + dt.timedelta(days=5))
