"""Sent mails of one variant, as the reports tests build them."""

import datetime as dt

from patronflow.mail.models import Message
from tests.factories import MessageFactory, at

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
