"""What a member's click, open, vote, unsubscribe or choice of lists does to the data.

Plain functions over messages, so the demo and the server's batching recorder
(tracking/recorder.py) can call them without going through HTTP. Events carry no address,
name or IP: only message, kind and whether a machine seems to have done it.
"""

import datetime as dt
import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import NamedTuple

from django.db import IntegrityError, connection, transaction
from django.db.models import Count
from django.utils import timezone

from patronflow import notices
from patronflow.choices import texts
from patronflow.choices.models import ConsentRecord, MailingList
from patronflow.choices.queries import member_lists
from patronflow.choices.services import record_all_mail_choice, record_list_choice
from patronflow.journeys.models import Enrolment
from patronflow.mail.models import Message
from patronflow.mail.outbox import end_and_withdraw, exit_enrolments
from patronflow.members.models import Member
from patronflow.tracking import machines
from patronflow.tracking.models import Event, Feedback

# Clicks marked as a link sweep's per UPDATE (mark_link_sweeps).
SWEEP_UPDATE_ROWS = 500


class EventRow(NamedTuple):
    """An open or click as the endpoints hand it over: no model instance on the hot path."""

    message_id: int
    kind: str
    link_index: int | None
    machine: str
    created_at: dt.datetime


def store_events(rows: list[EventRow]) -> None:
    """Store a batch of opens and clicks in one transaction and one statement.

    Plain SQL: the ORM's bulk_create costs more per row than the database does. A message
    erased between the request and the write (privacy/ removes a member's messages) takes its
    events with it, as erasure would have; the rest of the batch is stored.
    """
    try:
        _insert(rows)
    except IntegrityError:
        kept = set(
            Message.objects.filter(pk__in={row.message_id for row in rows}).values_list(
                "pk", flat=True
            )
        )
        _insert([row for row in rows if row.message_id in kept])


def _insert(rows: list[EventRow]) -> None:
    if not rows:
        return
    table = connection.ops.quote_name(Event._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(column) for column in EventRow._fields)
    if connection.vendor == "postgresql":
        # One statement of five arrays, whatever the batch size: nothing to parse per row.
        sql = (
            f"INSERT INTO {table} ({columns}) SELECT * FROM unnest("
            "%s::bigint[], %s::varchar[], %s::smallint[], %s::varchar[], %s::timestamptz[])"
        )
        params = [list(column) for column in zip(*rows, strict=True)]
    else:
        # SQLite: one statement over one JSON array, likewise. Row by row (executemany), the
        # writer gave up and took back the GIL at every row while it held the database's write
        # lock, which the other processes' writers were waiting for.
        sql = (
            f"INSERT INTO {table} ({columns}) SELECT json_extract(value, '$[0]'), "
            "json_extract(value, '$[1]'), json_extract(value, '$[2]'), "
            "json_extract(value, '$[3]'), json_extract(value, '$[4]') FROM json_each(%s)"
        )
        adapt = connection.ops.adapt_datetimefield_value
        params = [json.dumps([(*row[:4], adapt(row.created_at)) for row in rows])]
    with _writing(), connection.cursor() as cursor:  # the parameters made before the lock
        cursor.execute(sql, params)


@contextmanager
def _writing() -> Iterator[None]:
    """Where the server runs one write statement; on SQLite, one such writer at a time across
    the server's processes.

    Outside a caller's transaction the statement commits by itself (autocommit): one round
    trip to the database instead of BEGIN, the statement and COMMIT — and it is still all or
    nothing. Inside one (the views, tests) it gets a savepoint, so a failed INSERT can be
    retried (store_events).

    SQLite lets one connection write at a time, and one that finds the database locked sleeps
    1, 2, 5, 10, 15, 20 … up to 100 ms before trying again: under load two processes' writers
    (and their link-sweep checks) kept finding each other's transaction open and slept for up
    to half a second. Waiting on a lock instead wakes the next writer the moment the last one
    ends. The lock is taken on the database's folder: a lock file of its own would be left
    behind.
    """
    savepoint = transaction.atomic() if connection.in_atomic_block else nullcontext()
    if connection.vendor != "sqlite" or connection.is_in_memory_db():
        with savepoint:
            yield
        return
    folder = os.open(
        os.path.dirname(os.path.abspath(connection.settings_dict["NAME"])), os.O_RDONLY
    )
    try:
        fcntl.flock(folder, fcntl.LOCK_EX)
        with savepoint:
            yield
    finally:
        os.close(folder)  # and with it the lock


def mark_link_sweeps(rows: list[EventRow]) -> int:
    """Mark as a scanner's the clicks of mails whose every link (two or more) was followed
    within machines.LINK_SWEEP_SECONDS of these clicks.

    Counted in the database, so clicks from every server process take part; the server calls
    it about once a second with the clicks it stored (recorder.EverySecond). Returns how many
    clicks it marked.
    """
    clicked = [row for row in rows if row.kind == Event.Kind.CLICK]
    if not clicked:
        return 0
    since = min(row.created_at for row in clicked) - dt.timedelta(
        seconds=machines.LINK_SWEEP_SECONDS
    )
    clicks = Event.objects.filter(
        message_id__in={row.message_id for row in clicked},
        kind=Event.Kind.CLICK,
        created_at__gte=since,
    )
    spread = dict(
        clicks.values("message_id")
        .annotate(links=Count("link_index", distinct=True))
        .filter(links__gte=2)
        .values_list("message_id", "links")
    )
    swept = [
        message_id
        for message_id, links in Message.objects.filter(pk__in=spread).values_list("pk", "links")
        if spread[message_id] >= len(links or ())
    ]
    if not swept:
        return 0
    found = list(clicks.filter(message_id__in=swept, machine="").values_list("pk", flat=True))
    marked = 0
    # A few hundred at a time: on SQLite an UPDATE holds the one write lock, and the event
    # writers wait for it: one UPDATE of a busy second's clicks would hold them up.
    for start in range(0, len(found), SWEEP_UPDATE_ROWS):
        with _writing():
            marked += Event.objects.filter(
                pk__in=found[start : start + SWEEP_UPDATE_ROWS], machine=""
            ).update(machine=Event.Machine.LINK_SWEEP)
    return marked


def unsubscribe_member(message: Message, at: dt.datetime | None = None) -> bool:
    """Stop all mail to the member this message went to; True only for the call that did it.

    The first unsubscribe time is kept and recorded once, and announced once
    (member.unsubscribed), so one-click retries, double submits and later mails' links
    change nothing.
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
            _count_as_unsubscribed(message)
            notices.announce(
                library_id=member.library_id,
                kind=notices.ALL_MAIL_STOPPED,
                data={"member": member.external_id},
                at=at,
            )
    member.refresh_from_db(fields=["unsubscribed_at", "updated_at"])
    return first_time


def stop_all_mail(
    message: Message, *, source: str, text_version: str, at: dt.datetime | None = None
) -> bool:
    """The member's "no more mails from the library", chosen through this message's links:
    all mail stopped (unsubscribe_member) with its `stopped_all` consent record. True only
    for the call that did it."""
    at = at or timezone.now()
    with transaction.atomic():
        stopped = unsubscribe_member(message, at)
        if stopped:
            record_all_mail_choice(
                message.enrolment.member,
                stopped=True,
                source=source,
                text_version=text_version,
                at=at,
            )
    return stopped


def _count_as_unsubscribed(message: Message) -> None:
    """The message's UNSUBSCRIBE event, which the reports count per mail: its member left its
    list or stopped all mail through its links (or complained about it). One per message,
    whichever way out came first: a later one through the same mail adds nothing."""
    if not Event.objects.filter(message=message, kind=Event.Kind.UNSUBSCRIBE).exists():
        Event.objects.create(message=message, kind=Event.Kind.UNSUBSCRIBE)


def choose_list(
    member: Member,
    mailing_list: MailingList,
    *,
    receives: bool,
    source: str,
    text_version: str,
    at: dt.datetime | None = None,
) -> bool:
    """The member's choice for one list, with its consent record; leaving ends the member's
    journeys on that list and withdraws their queued mails before they leave, while the
    other lists go on. True when it changed what the member receives."""
    at = at or timezone.now()
    with transaction.atomic():
        changed = record_list_choice(
            member,
            mailing_list,
            receives=receives,
            source=source,
            text_version=text_version,
            at=at,
        )
        if not receives:
            on_list = Enrolment.objects.filter(
                member=member,
                journey__mailing_list=mailing_list,
                status=Enrolment.Status.ACTIVE,
            )
            end_and_withdraw(on_list, Enrolment.ExitReason.LEFT_LIST, timezone.localdate(at))
    return changed


def leave_list_of(
    message: Message, *, source: str, text_version: str, at: dt.datetime | None = None
) -> bool:
    """The member leaves the list this message went out on (one-click, the mail's link or an
    unsubscribe mail), with its consent record and the message's UNSUBSCRIBE event; a
    service list, which is not left on its own, stops all mail instead. True only for the
    call that changed something: retries and double posts record nothing more, and a member
    who stopped all mail already is left as they are."""
    at = at or timezone.now()
    member = message.enrolment.member
    mailing_list = message.step.version.journey.mailing_list
    if member.unsubscribed_at is not None:
        return False
    if mailing_list.service:
        return stop_all_mail(message, source=source, text_version=text_version, at=at)
    with transaction.atomic():
        changed = choose_list(
            member, mailing_list, receives=False, source=source, text_version=text_version, at=at
        )
        if changed:
            _count_as_unsubscribed(message)
    return changed


def save_preferences(
    message: Message, *, receiving: set[str], no_mail: bool, at: dt.datetime | None = None
) -> None:
    """Store what the member ticked on the preference page reached through this message,
    each choice with its consent record (wording choices/texts.py PREFERENCES): `receiving`
    the keys of the lists ticked (a service list takes no choice of its own and is left
    out), `no_mail` the choice to get no mail at all. A list that changed leaves (or joins)
    through choose_list; what did not change records nothing. Leaving this message's own
    list, or stopping all mail, counts the message as unsubscribed, as its unsubscribe link
    would: the footer of every mail leads here."""
    at = at or timezone.now()
    member = message.enrolment.member
    own_list = message.step.version.journey.mailing_list
    with transaction.atomic():
        for state in member_lists(member):
            mailing_list = state.mailing_list
            wanted = mailing_list.key in receiving
            if mailing_list.service or wanted == state.receives:
                continue
            changed = choose_list(
                member,
                mailing_list,
                receives=wanted,
                source=ConsentRecord.Source.PREFERENCES,
                text_version=texts.PREFERENCES,
                at=at,
            )
            if changed and not wanted and mailing_list.pk == own_list.pk:
                _count_as_unsubscribed(message)
        if no_mail and member.unsubscribed_at is None:
            stop_all_mail(
                message,
                source=ConsentRecord.Source.PREFERENCES,
                text_version=texts.PREFERENCES,
                at=at,
            )
        elif not no_mail and member.unsubscribed_at is not None:
            _resume_all_mail(member, at=at)


def _resume_all_mail(member: Member, *, at: dt.datetime) -> None:
    """Take back "no more mails from the library": the member may be mailed again by the
    rules that apply to everyone. Only their own choice is undone: an address suppressed
    after bounces or a complaint stays suppressed, and journeys that ended stay ended (the
    member enters again when a journey's entry rules say so)."""
    resumed = Member.objects.filter(pk=member.pk, unsubscribed_at__isnull=False).update(
        unsubscribed_at=None, updated_at=timezone.now()
    )
    if resumed:
        notices.announce(
            library_id=member.library_id,
            kind=notices.ALL_MAIL_RESUMED,
            data={"member": member.external_id},
            at=at,
        )
        record_all_mail_choice(
            member,
            stopped=False,
            source=ConsentRecord.Source.PREFERENCES,
            text_version=texts.PREFERENCES,
            at=at,
        )
    member.refresh_from_db(fields=["unsubscribed_at", "updated_at"])


def record_vote(
    message: Message, vote: Feedback.Vote, comment: str = "", *, machine: str = ""
) -> Feedback | None:
    """Record a press of the vote button, each as an Event(feedback).

    A member's vote replaces an earlier one, and a comment given with it the earlier comment
    (a vote without one keeps it). A machine's (its Event.Machine reason, tracking/machines.py)
    is only that event: Feedback holds members' votes, the ones every report counts, and a
    scanner's press never replaces a member's.
    """
    with transaction.atomic():
        Event.objects.create(message=message, kind=Event.Kind.FEEDBACK, machine=machine)
        if machine:
            return None
        changes = {"vote": vote} | ({"comment": comment} if comment else {})
        feedback, _ = Feedback.objects.update_or_create(message=message, defaults=changes)
    return feedback
