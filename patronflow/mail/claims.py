"""Claiming due messages for one sender, within each library's send window and caps."""

import datetime as dt
from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from patronflow.mail.models import Message
from patronflow.members.models import Library
from patronflow.members.windows import WEEK, local_day

# Due messages looked at per step of a claim: members at their cap are passed over.
CLAIM_SCAN = 500
MICROSECOND = dt.timedelta(microseconds=1)


def due_messages(now: dt.datetime) -> QuerySet[Message]:
    """Queued messages whose day and next attempt have come."""
    return Message.objects.filter(
        status=Message.Status.QUEUED, due_on__lte=timezone.localdate(now)
    ).filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))


def _counted(since: dt.datetime, until: dt.datetime | None = None) -> Q:
    """Mails that count against the caps: sent in (since, until], or claimed then and still
    being sent. Failed, suppressed and waiting mails never reached the member."""
    sent = Q(status=Message.Status.SENT, sent_at__gt=since)
    sending = Q(status=Message.Status.SENDING, claimed_at__gt=since)
    if until is not None:
        sent &= Q(sent_at__lte=until)
        sending &= Q(claimed_at__lte=until)
    return sent | sending


def claim_for_library(library_id: int, now: dt.datetime, size: int, claim: str) -> int:
    """Claim up to `size` of one library's due messages for `claim`; returns how many.

    Once-only sending rests on this: a conditional update (queued → sending) that only one
    sender can win, with a lease. Counting what was sent and claiming more must be one step,
    or two senders could each see room for the last mail: the library's row is locked for the
    transaction (PostgreSQL), and SQLite's IMMEDIATE transactions let one writer in at a time
    anyway. Due messages that may not go now are given the moment they may.
    """
    with transaction.atomic():
        library = Library.objects.select_for_update(no_key=True).get(pk=library_id)
        due = due_messages(now).filter(library_id=library_id)
        window = library.send_window
        opening = window.next_opening(now)
        if opening != now:
            due.update(next_attempt_at=opening)
            return 0
        if library.daily_cap:
            day_starts, next_day = local_day(now, window.zone)
            sent_today = Message.objects.filter(
                _counted(day_starts - MICROSECOND, next_day - MICROSECOND),
                library_id=library_id,
            ).count()
            if sent_today >= library.daily_cap:
                due.update(next_attempt_at=window.next_opening(next_day))
                return 0
            size = min(size, library.daily_cap - sent_today)
        claimed = 0
        while claimed < size:
            candidates = list(
                due.order_by("id").values_list("id", "enrolment__member_id")[:CLAIM_SCAN]
            )
            going, waiting = _within_member_cap(library, candidates, now, size - claimed)
            claimed += Message.objects.filter(id__in=going, status=Message.Status.QUEUED).update(
                status=Message.Status.SENDING,
                claimed_by=claim,
                claimed_at=now,
                handed_over_at=None,
                lease_expires_at=timezone.now() + dt.timedelta(seconds=settings.SEND_LEASE_SECONDS),
            )
            Message.objects.bulk_update(
                [Message(id=pk, next_attempt_at=moment) for pk, moment in waiting.items()],
                ["next_attempt_at"],
                batch_size=500,
            )
            if len(candidates) < CLAIM_SCAN:
                break
        return claimed


def _within_member_cap(
    library: Library, candidates: list[tuple[int, int]], now: dt.datetime, size: int
) -> tuple[list[int], dict[int, dt.datetime]]:
    """Split (message, member) candidates into up to `size` that may go now and the ones that
    wait, with the moment each member has room again: when the oldest of their last `cap`
    mails turns 7 days old (then the next window opening)."""
    cap = library.member_weekly_cap
    if not cap:
        return [pk for pk, _ in candidates[:size]], {}
    recent: dict[int, list[dt.datetime]] = defaultdict(list)
    counted = Message.objects.filter(
        _counted(now - WEEK), enrolment__member_id__in={member for _, member in candidates}
    ).values_list("enrolment__member_id", "status", "sent_at", "claimed_at")
    for member_id, status, sent_at, claimed_at in counted:
        recent[member_id].append(sent_at if status == Message.Status.SENT else claimed_at)
    going: list[int] = []
    waiting: dict[int, dt.datetime] = {}
    for pk, member_id in candidates:
        mails = recent[member_id]
        if len(mails) >= cap:
            room_again = sorted(mails)[len(mails) - cap] + WEEK
            waiting[pk] = library.send_window.next_opening(room_again)
        elif len(going) < size:
            going.append(pk)
            mails.append(now)
    return going, waiting
