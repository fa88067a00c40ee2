"""Writes of the journey engine: enrol, end enrolments, a journey's lifecycle and versions.

The mails these imply (queued, withdrawn, held) are the outbox's (mail/outbox.py); the
scheduler run and the status changes that do both are flows (operations/tick.py, lifecycle.py).
"""

import datetime as dt
import hashlib

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from patronflow.journeys import queries
from patronflow.journeys.audiences import enters_on_registration
from patronflow.journeys.events import AFTER_EVENT_GRACE, library_zone, moment_day
from patronflow.journeys.models import Enrolment, Journey, Step, Version
from patronflow.privacy.audit import Actor, record_change
from patronflow.profiles.services import refresh_profiles


class LifecycleError(ValueError):
    """A status change the lifecycle does not allow (e.g. reactivating an archived journey)."""


def is_held_out(library_code: str, journey_key: str, member_id: str, percent: int) -> bool:
    """The control-group draw: a hash of library, journey and the library's own member id, so
    the same member lands in the same group on every run, database and version."""
    if percent <= 0:
        return False
    digest = hashlib.sha256(f"{library_code}:{journey_key}:{member_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 10_000 < percent * 100


def end_enrolments(enrolments: QuerySet[Enrolment], reason: str, on: dt.date) -> int:
    """End these active enrolments for `reason`; returns how many. Their mails still in the
    outbox are the caller's to withdraw (mail/outbox.py)."""
    return enrolments.update(status=Enrolment.Status.EXITED, exit_reason=reason, ended_on=on)


def lock_journey(journey: Journey) -> None:
    """Let one tick at a time enrol into or advance this journey, until the transaction ends
    (a row lock on PostgreSQL; SQLite's IMMEDIATE transactions admit one writer anyway).

    The journey's row only (`of=self`, no ordering): the model's ordering joins its library,
    and FOR UPDATE would lock that row too, for the whole enrolment, blocking the foreign-key
    checks of every transaction writing rows of the library (an import's chunk among them,
    which holds the library's policy lock the enrolment then waits for: a deadlock)."""
    Journey.objects.select_for_update(of=("self",)).filter(pk=journey.pk).order_by().values_list(
        "pk"
    ).first()


def _first_step(version: Version) -> Step | None:
    return version.steps.order_by("position").first()


def _close_broadcast_entry(version: Version, now: dt.datetime) -> bool:
    """A broadcast's audience enters once, on the first tick at or after its time; the
    conditional update lets only one of two racing ticks do it."""
    if version.send_at is None or now < version.send_at:
        return False
    return bool(
        Version.objects.filter(pk=version.pk, entry_closed_at__isnull=True).update(
            entry_closed_at=now
        )
    )


EVENT_CHUNK = 2000


def enrol_eligible(journey: Journey, now: dt.datetime) -> tuple[int, int]:
    """Enrol who enters the journey now: by its entry rule, or, for a journey that starts
    on an event, once per new event (`enrol_on_events`); returns (entered, of whom held
    out)."""
    if journey.current_version.on_event:
        return enrol_on_events(journey, now)
    return _enrol_by_conditions(journey, now)


def enrol_on_events(journey: Journey, now: dt.datetime) -> tuple[int, int]:
    """One enrolment per event that arrived for an eligible member (queries.event_candidates),
    entered on the day the event arrived, a chunk at a time, each chunk in its own
    transaction under the journey's lock: a second tick at the same time waits, then finds
    those events enrolled (and the unique (journey, event) keeps them once regardless).

    The holdout is drawn per member, as in every journey: a member is in the control group
    of the journey for all their events or for none, so the comparison is between members
    and nobody gets the information for one activity and not for the next."""
    version = journey.current_version
    first = _first_step(version)
    if first is None:
        return 0, 0
    zone = library_zone(journey.library)
    library_code = journey.library.code
    entered = held_out = 0
    after = 0
    while True:
        with transaction.atomic():
            lock_journey(journey)
            today = timezone.localdate(now)
            waiting = queries.event_candidates(version, now).filter(pk__gt=after).order_by("pk")
            fields = ("pk", "member_id", "member__external_id", "received_at", "properties")
            events = list(waiting.values_list(*fields)[:EVENT_CHUNK])
            if not events:
                break
            after = events[-1][0]
            segments = refresh_profiles({member for _, member, _, _, _ in events}, today)
            enrolments = []
            for pk, member, external_id, received_at, properties in events:
                entered_on = timezone.localdate(received_at, zone)
                enrolments.append(
                    Enrolment(
                        journey=journey,
                        version=version,
                        member_id=member,
                        event_id=pk,
                        entered_on=entered_on,
                        segment=segments[member],
                        held_out=is_held_out(
                            library_code, journey.key, external_id, version.holdout_percent
                        ),
                        next_position=first.position,
                        next_due_on=first_due_on(first, entered_on, properties, zone),
                    )
                )
            Enrolment.objects.bulk_create(enrolments, ignore_conflicts=True, batch_size=1000)
            new = journey.enrolments.filter(event_id__in=[pk for pk, *_ in events])
            new = new.filter(version=version, status=Enrolment.Status.ACTIVE)
            entered += new.count()
            held_out += new.filter(held_out=True).count()
        if len(events) < EVENT_CHUNK:
            break
    return entered, held_out


@transaction.atomic
def _enrol_by_conditions(journey: Journey, now: dt.datetime) -> tuple[int, int]:
    """Enrol the members who meet the current version's entry rule, with their reading segment
    as of today and their holdout draw; returns (entered, of whom held out).

    Two ticks enrol into one journey one after the other (the journey's row is locked): the
    unique constraint alone would keep members from entering twice, but each tick would then
    count the other's entrants as its own, and both would recount the same reading profiles.
    Locks in this order, held until the enrolments are written: the journey's row, then the
    library's classification policy (refresh_profiles), which imports marking profiles and
    the daily refresh lock before any profile they write: never a deadlock with either.
    """
    lock_journey(journey)
    today = timezone.localdate(now)
    version = journey.current_version
    if journey.kind == Journey.Kind.BROADCAST and not _close_broadcast_entry(version, now):
        return 0, 0
    first = _first_step(version)
    candidates = list(
        queries.entry_candidates(version, today).values_list("pk", "registered_on", "external_id")
    )
    if not candidates or first is None:
        return 0, 0
    segments = refresh_profiles((pk for pk, _, _ in candidates), today)
    by_registration = enters_on_registration(version.entry)
    library_code = journey.library.code
    enrolments = []
    for pk, registered_on, external_id in candidates:
        entered_on = registered_on if by_registration else today
        enrolments.append(
            Enrolment(
                journey=journey,
                version=version,
                member_id=pk,
                entered_on=entered_on,
                segment=segments[pk],
                held_out=is_held_out(
                    library_code, journey.key, external_id, version.holdout_percent
                ),
                next_position=first.position,
                next_due_on=entered_on + dt.timedelta(days=first.wait_days),
            )
        )
    active = journey.enrolments.filter(status=Enrolment.Status.ACTIVE)
    before, held_before = active.count(), active.filter(held_out=True).count()
    Enrolment.objects.bulk_create(enrolments, ignore_conflicts=True, batch_size=1000)
    return active.count() - before, active.filter(held_out=True).count() - held_before


EVENT_WAITS = (Step.WaitFrom.BEFORE_EVENT, Step.WaitFrom.AFTER_EVENT)


def counts_from_event(step: Step) -> bool:
    return step.wait_from in EVENT_WAITS


def event_due_on(step: Step, properties: dict | None, zone: dt.tzinfo) -> dt.date | None:
    """The day a wait before or after the event's moment falls on: the day of the moment in
    the step's property, less or plus its days; None when the event lacks that moment, or
    the wait reaches past the calendar's ends (a day that never comes)."""
    day = moment_day((properties or {}).get(step.event_property), zone)
    if day is None:
        return None
    try:
        wait = dt.timedelta(days=step.wait_days)
        return day - wait if step.wait_from == Step.WaitFrom.BEFORE_EVENT else day + wait
    except OverflowError:
        return None


def too_late(step: Step, due_on: dt.date, today: dt.date) -> bool:
    """Whether a wait before or after the event's moment has passed: a reminder whose day is
    gone (registered the day before the activity, the reminder two days before it) would
    come after the fact; a mail after the event, more than a few days late, likewise."""
    if step.wait_from == Step.WaitFrom.BEFORE_EVENT:
        return due_on < today
    return due_on < today - AFTER_EVENT_GRACE


def first_due_on(
    step: Step, entered_on: dt.date, properties: dict | None, zone: dt.tzinfo
) -> dt.date:
    """When the first step is due for a member who entered on `entered_on`; a wait on a
    moment the event lacks is due at once, for the outbox to skip it (and say why)."""
    if counts_from_event(step):
        return event_due_on(step, properties, zone) or entered_on
    return entered_on + dt.timedelta(days=step.wait_days)


def spacing(step: Step, previous: Step) -> dt.timedelta:
    """The least time between the previous mail and this step's: its own wait when it counts
    from the previous mail, else the difference of the two waits after entry. A wait on the
    event's moment keeps to its day alone, and so does a wait after entry following one."""
    if step.wait_from == Step.WaitFrom.PREVIOUS:
        return dt.timedelta(days=step.wait_days)
    if counts_from_event(step) or counts_from_event(previous):
        return dt.timedelta(0)
    return dt.timedelta(days=max(0, step.wait_days - previous.wait_days))


def next_due_on(
    step: Step,
    previous: Step,
    entered_on: dt.date,
    previous_on: dt.date,
    event_on: dt.date | None = None,
) -> dt.date:
    """When `step` is due, its predecessor having been queued on `previous_on`: its wait after
    entry, but never sooner after the previous mail than the journey's own spacing (so a
    late scheduler or a capped mail does not bunch the next ones together). The outbox's
    `queue_due_messages` checks the spacing again from the day the previous mail really left.
    A wait on the event's moment is due on `event_on` (event_due_on), or at once when the
    event lacks the moment."""
    if counts_from_event(step):
        return event_on or previous_on
    if step.wait_from == Step.WaitFrom.PREVIOUS:
        return previous_on + spacing(step, previous)
    return max(
        entered_on + dt.timedelta(days=step.wait_days), previous_on + spacing(step, previous)
    )


_ALLOWED = {
    Journey.Status.DRAFT: (Journey.Status.ACTIVE, Journey.Status.ARCHIVED),
    Journey.Status.ACTIVE: (Journey.Status.PAUSED, Journey.Status.ARCHIVED),
    Journey.Status.PAUSED: (Journey.Status.ACTIVE, Journey.Status.ARCHIVED),
    Journey.Status.ARCHIVED: (),
}


def allowed_transitions(journey: Journey) -> tuple[str, ...]:
    """The statuses a journey may move to now, for a command or a screen to offer."""
    return _ALLOWED[Journey.Status(journey.status)]


def check_transition(journey: Journey, status: str) -> Journey.Status:
    """The status asked for, if the lifecycle lets the journey move to it now."""
    status = Journey.Status(status)
    if status not in allowed_transitions(journey):
        allowed = ", ".join(sorted(allowed_transitions(journey))) or "nothing, it is archived"
        raise LifecycleError(
            f"{journey} is {journey.status}: it cannot become {status} (allowed: {allowed})"
        )
    if status == Journey.Status.ACTIVE and not journey.current_version.steps.exists():
        raise LifecycleError(f"{journey} has no steps: nothing to send")
    return status


@transaction.atomic
def set_status(journey: Journey, status: str, today: dt.date, *, actor: Actor = None) -> Journey:
    """The journey's own part of a status change, logged as the actor's change: archiving
    ends every running enrolment. The outbox's part (holding, releasing or withdrawing
    queued mails) comes first, in operations/lifecycle.py's `change_status`."""
    status = check_transition(journey, status)
    if status == Journey.Status.ARCHIVED:
        running = journey.enrolments.filter(status=Enrolment.Status.ACTIVE)
        end_enrolments(running, Enrolment.ExitReason.ARCHIVED, today)
    record_change(
        f"journey {journey.key}",
        {"status": (journey.status, status)},
        actor=actor,
        library_code=journey.library.code,
    )
    journey.status = status
    journey.pause_reason = ""  # a person decided now: any reason patronflow gave is past
    journey.save(update_fields=["status", "pause_reason"])
    return journey


@transaction.atomic
def migrate_enrolments(
    journey: Journey, today: dt.date, from_number: int | None = None, *, actor: Actor = None
) -> int:
    """Move running enrolments of older versions onto the current one, keeping where they are:
    the next step is the current version's step at the same position (or the one after), due
    by the new version's timing. Mails already sent stay sent; none is repeated."""
    target = journey.current_version
    plan = queries.version_plans(journey)[target.pk]
    moving = journey.enrolments.filter(status=Enrolment.Status.ACTIVE).exclude(version=target)
    if from_number is not None:
        moving = moving.filter(version__number=from_number)
    moved = []
    for enrolment in moving.select_related("version"):
        step = plan.step_at(enrolment.next_position) if enrolment.next_position else None
        enrolment.version = target
        enrolment.next_position = step.position if step else None
        if step:
            waited = enrolment.entered_on + dt.timedelta(days=step.wait_days)
            enrolment.next_due_on = max(waited, today) if step.wait_from == "entry" else today
        else:
            enrolment.next_due_on = None
        moved.append(enrolment)
    Enrolment.objects.bulk_update(moved, ["version", "next_position", "next_due_on"], 1000)
    if moved:
        record_change(
            f"journey {journey.key}",
            {"members on version": (from_number or "older", f"{target.number} ({len(moved)})")},
            actor=actor,
            library_code=journey.library.code,
        )
    return len(moved)
