"""What a member's click, open, vote or unsubscribe does to the data.

Plain functions over messages, so the demo (and later a batching layer) can call them
without going through HTTP. Events carry no address, name or IP: only message and kind.
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from patronflow.journeys.models import Enrolment
from patronflow.journeys.services import exit_enrolments
from patronflow.mail.models import Message
from patronflow.members.models import Member
from patronflow.tracking.models import Event, Feedback


def record_open(message: Message) -> Event | None:
    """Every load counts as an event (reports work out unique opens) — but only while the
    library has open tracking on: turning it off also silences pixels in mails already sent."""
    if not message.library.track_opens:
        return None
    return Event.objects.create(message=message, kind=Event.Kind.OPEN)


def record_click(message: Message, link_index: int) -> str:
    """Record the click and return the destination the mail held at that index."""
    destination = message.links[link_index]
    Event.objects.create(message=message, kind=Event.Kind.CLICK, link_index=link_index)
    return destination


def unsubscribe_member(message: Message, at: dt.datetime | None = None) -> bool:
    """Stop all mail to the member this message went to; True only for the call that did it.

    The first unsubscribe time is kept and recorded once, so one-click retries, double
    submits and later mails' links change nothing.
    """
    at = at or timezone.now()
    member = message.enrolment.member
    with transaction.atomic():
        first_time = bool(
            Member.objects.filter(pk=member.pk, unsubscribed_at__isnull=True).update(
                unsubscribed_at=at, updated_at=timezone.now()
            )
        )
        exit_enrolments(member, Enrolment.ExitReason.UNSUBSCRIBED, timezone.localdate(at))
        if first_time:
            Event.objects.create(message=message, kind=Event.Kind.UNSUBSCRIBE)
    member.refresh_from_db(fields=["unsubscribed_at", "updated_at"])
    return first_time


def record_feedback(message: Message, vote: Feedback.Vote) -> Feedback:
    """One vote per message: voting again replaces the earlier vote and keeps any comment."""
    with transaction.atomic():
        feedback, _ = Feedback.objects.update_or_create(message=message, defaults={"vote": vote})
        Event.objects.create(message=message, kind=Event.Kind.FEEDBACK)
    return feedback


def add_feedback_comment(message: Message, vote: Feedback.Vote, comment: str) -> Feedback:
    """Save the comment that goes with a vote; the vote is (re)stated so it never goes missing."""
    with transaction.atomic():
        feedback, created = Feedback.objects.update_or_create(
            message=message, defaults={"vote": vote, "comment": comment}
        )
        if created:
            Event.objects.create(message=message, kind=Event.Kind.FEEDBACK)
    return feedback
