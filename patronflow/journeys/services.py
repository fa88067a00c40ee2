"""Writes of the journey engine: enrol, exit, advance, and a journey's lifecycle.

`tick` runs them all, then sends. Every phase is safe to repeat and to run twice at once:
an enrolment is unique while it runs and a message unique per (enrolment, step), both created
with ignore_conflicts, and each phase commits its own work with the pointers it moves, so a
tick that dies midway leaves a state the next tick simply continues.
"""

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from patronflow.privacy.audit import Actor, record_change
from patronflow.journeys import queries
from patronflow.journeys.audiences import enters_on_registration
from patronflow.journeys.models import HELD_UNTIL, Enrolment, Journey, Step, Variant, Version
from patronflow.mail.models import Message
from patronflow.mail.services import SendSummary, send_due_messages
from patronflow.members.models import Member
from patronflow.profiles.services import refresh_profiles

CHUNK = 2000


class LifecycleError(ValueError):
    """A status change the lifecycle does not allow (e.g. reactivating an archived journey)."""


@dataclass
class JourneyProgress:
    journey: Journey
    entered: int = 0
    held_out: int = 0
    exited: dict[str, int] = field(default_factory=dict)
    queued: int = 0
    completed: int = 0


@dataclass
class TickSummary:
    journeys: list[JourneyProgress]
    sending: SendSummary


def is_held_out(library_code: str, journey_key: str, member_id: str, percent: int) -> bool:
    """The control-group draw: a hash of library, journey and the library's own member id, so
    the same member lands in the same group on every run, database and version."""
    if percent <= 0:
        return False
    digest = hashlib.sha256(f"{library_code}:{journey_key}:{member_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 10_000 < percent * 100


# Exits that leave the member mailable: their queued mails of the journey are withdrawn. The
# other reasons (unsubscribed, membership ended, too young) make the sender itself suppress
# every mail to the member, with the precise reason.
WITHDRAW_ON_EXIT = frozenset(
    {
        Enrolment.ExitReason.CAME_BACK,
        Enrolment.ExitReason.ONLINE_PROFILE,
        Enrolment.ExitReason.BOUNCED,
        Enrolment.ExitReason.ARCHIVED,
    }
)


def _exit(enrolments: QuerySet[Enrolment], reason: str, on: dt.date) -> int:
    """End these active enrolments, and withdraw their mails still in the outbox: a member
    who came back or whose journey was archived must not get its mail because the send
    window or a cap kept it waiting when they left."""
    with transaction.atomic():
        if reason in WITHDRAW_ON_EXIT:
            Message.objects.filter(enrolment__in=enrolments, status=Message.Status.QUEUED).update(
                status=Message.Status.SUPPRESSED,
                last_error=f"left the journey: {Enrolment.ExitReason(reason).label.lower()}",
                next_attempt_at=None,
            )
        return enrolments.update(status=Enrolment.Status.EXITED, exit_reason=reason, ended_on=on)


def exit_enrolments(member: Member, reason: str, on: dt.date) -> int:
    """End every active journey of a member, e.g. when they unsubscribe; returns how many."""
    active = Enrolment.objects.filter(member=member, status=Enrolment.Status.ACTIVE)
    return _exit(active, reason, on)


def apply_exits(journey: Journey, today: dt.date) -> dict[str, int]:
    exited = {}
    for reason, enrolments in queries.enrolments_to_exit(journey, today).items():
        count = _exit(enrolments, reason, today)
        if count:
            exited[reason] = count
    return exited


def _lock(journey: Journey) -> None:
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


@transaction.atomic
def enrol_eligible(journey: Journey, now: dt.datetime) -> tuple[int, int]:
    """Enrol the members who meet the current version's entry rule, with their reading segment
    as of today and their holdout draw; returns (entered, of whom held out).

    Two ticks enrol into one journey one after the other (the journey's row is locked): the
    unique constraint alone would keep members from entering twice, but each tick would then
    count the other's entrants as its own, and both would recount the same reading profiles.
    Locks in this order, held until the enrolments are written: the journey's row, then the
    library's classification policy (refresh_profiles), which imports marking profiles and
    the daily refresh lock before any profile they write: never a deadlock with either.
    """
    _lock(journey)
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


@dataclass(frozen=True)
class _Plan:
    """A version's steps in order, and its variants by (step, segment)."""

    steps: list[Step]
    variants: dict[tuple[int, str], Variant]

    def step_at(self, position: int) -> Step | None:
        return next((step for step in self.steps if step.position >= position), None)

    def after(self, step: Step) -> Step | None:
        return next((s for s in self.steps if s.position > step.position), None)

    def before(self, step: Step) -> Step | None:
        return next((s for s in reversed(self.steps) if s.position < step.position), None)

    def variant(self, step: Step, segment: str) -> Variant:
        return self.variants.get((step.pk, segment)) or self.variants[(step.pk, "")]


def _plans(journey: Journey) -> dict[int, _Plan]:
    plans = {}
    for version in journey.versions.all():
        steps = list(version.steps.order_by("position"))
        variants = {(v.step_id, v.segment): v for v in Variant.objects.filter(step__in=steps)}
        plans[version.pk] = _Plan(steps=steps, variants=variants)
    return plans


def spacing(step: Step, previous: Step) -> dt.timedelta:
    """The least time between the previous mail and this step's: its own wait when it counts
    from the previous mail, else the difference of the two waits after entry."""
    if step.wait_from == Step.WaitFrom.PREVIOUS:
        return dt.timedelta(days=step.wait_days)
    return dt.timedelta(days=max(0, step.wait_days - previous.wait_days))


def next_due_on(step: Step, previous: Step, entered_on: dt.date, previous_on: dt.date) -> dt.date:
    """When `step` is due, its predecessor having been queued on `previous_on`: its wait after
    entry, but never sooner after the previous mail than the journey's own spacing (so a
    late scheduler or a capped mail does not bunch the next ones together). `queue_due_messages`
    checks the spacing again from the day the previous mail really left."""
    if step.wait_from == Step.WaitFrom.PREVIOUS:
        return previous_on + spacing(step, previous)
    return max(
        entered_on + dt.timedelta(days=step.wait_days), previous_on + spacing(step, previous)
    )


def queue_due_messages(journey: Journey, today: dt.date) -> tuple[int, int]:
    """Queue the message of each enrolment's due step and move its pointer on; complete the
    enrolments that have nothing left. Returns (messages queued, enrolments completed).

    Held-out enrolments move along the same steps on the same days, without a message.
    """
    plans = _plans(journey)
    due = queries.due_enrolments(journey, today).annotate(last_sent_at=Max("messages__sent_at"))
    queued = completed = 0
    batch: list[Enrolment] = []

    def flush() -> tuple[int, int]:
        with transaction.atomic():
            _lock(journey)
            pointers = dict(
                Enrolment.objects.filter(
                    pk__in=[e.pk for e in batch], status=Enrolment.Status.ACTIVE
                ).values_list("pk", "next_position")
            )
            # Another tick may have moved these on (or a member left) since they were read:
            # only the enrolments still where they were are this tick's to advance.
            current = [e for e in batch if pointers.get(e.pk, -1) == e.next_position]
            result = _advance(current)
        batch.clear()
        return result

    def _advance(current: list[Enrolment]) -> tuple[int, int]:
        messages, advanced, finished = [], [], []
        for enrolment in current:
            plan = plans[enrolment.version_id]
            step = plan.step_at(enrolment.next_position) if enrolment.next_position else None
            if step is None:
                finished.append(enrolment.pk)
                continue
            previous = plan.before(step)
            if previous is not None and enrolment.last_sent_at:
                # Spaced from the day the previous mail really left: the send window or a
                # cap may have held it back for days after it was queued.
                ready_on = timezone.localdate(enrolment.last_sent_at) + spacing(step, previous)
                if ready_on > today:
                    enrolment.next_due_on = ready_on
                    advanced.append(enrolment)
                    continue
            if not enrolment.held_out:
                messages.append(
                    Message(
                        library_id=journey.library_id,
                        enrolment=enrolment,
                        step=step,
                        variant=plan.variant(step, enrolment.segment),
                        due_on=today,
                    )
                )
            following = plan.after(step)
            enrolment.next_position = following.position if following else None
            enrolment.next_due_on = (
                next_due_on(following, step, enrolment.entered_on, today) if following else None
            )
            advanced.append(enrolment)
        Message.objects.bulk_create(messages, ignore_conflicts=True, batch_size=1000)
        Enrolment.objects.bulk_update(advanced, ["next_position", "next_due_on"], batch_size=1000)
        done = Enrolment.objects.filter(pk__in=finished, status=Enrolment.Status.ACTIVE).update(
            status=Enrolment.Status.COMPLETED, ended_on=today
        )
        return len(messages), done

    for enrolment in due.iterator(chunk_size=CHUNK):
        batch.append(enrolment)
        if len(batch) >= CHUNK:
            q, c = flush()
            queued, completed = queued + q, completed + c
    q, c = flush()
    return queued + q, completed + c


def advance_journey(journey: Journey, now: dt.datetime) -> JourneyProgress:
    today = timezone.localdate(now)
    progress = JourneyProgress(journey=journey)
    with transaction.atomic():
        progress.exited = apply_exits(journey, today)
    progress.entered, progress.held_out = enrol_eligible(journey, now)
    progress.queued, progress.completed = queue_due_messages(journey, today)
    return progress


def tick(now: dt.datetime, on_batch: Callable[[SendSummary], None] | None = None) -> TickSummary:
    """One scheduler run: every active journey advances to `now`, then the outbox is sent
    (`on_batch` hears about each batch sent, for a progress display)."""
    journeys = Journey.objects.filter(status=Journey.Status.ACTIVE).select_related("library")
    progress = [advance_journey(journey, now) for journey in journeys]
    return TickSummary(journeys=progress, sending=send_due_messages(now, on_batch=on_batch))


_ALLOWED = {
    Journey.Status.DRAFT: (Journey.Status.ACTIVE, Journey.Status.ARCHIVED),
    Journey.Status.ACTIVE: (Journey.Status.PAUSED, Journey.Status.ARCHIVED),
    Journey.Status.PAUSED: (Journey.Status.ACTIVE, Journey.Status.ARCHIVED),
    Journey.Status.ARCHIVED: (),
}


def allowed_transitions(journey: Journey) -> tuple[str, ...]:
    """The statuses a journey may move to now, for a command or a screen to offer."""
    return _ALLOWED[Journey.Status(journey.status)]


@transaction.atomic
@transaction.atomic
def change_status(journey: Journey, status: str, today: dt.date, *, actor: Actor = None) -> Journey:
    """Move a journey through draft → active ⇄ paused → archived, logged as the actor's
    change. Pausing stops entries and new mails and holds queued ones; archiving ends every
    running enrolment."""
    status = Journey.Status(status)
    if status not in allowed_transitions(journey):
        allowed = ", ".join(sorted(allowed_transitions(journey))) or "nothing, it is archived"
        raise LifecycleError(
            f"{journey} is {journey.status}: it cannot become {status} (allowed: {allowed})"
        )
    if status == Journey.Status.ACTIVE and not journey.current_version.steps.exists():
        raise LifecycleError(f"{journey} has no steps: nothing to send")
    queued = Message.objects.filter(enrolment__journey=journey, status=Message.Status.QUEUED)
    if status == Journey.Status.ARCHIVED:
        running = journey.enrolments.filter(status=Enrolment.Status.ACTIVE)
        _exit(running, Enrolment.ExitReason.ARCHIVED, today)
    elif status == Journey.Status.PAUSED:
        queued.update(next_attempt_at=HELD_UNTIL)
    elif journey.status == Journey.Status.PAUSED:
        queued.filter(next_attempt_at=HELD_UNTIL).update(next_attempt_at=None)
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
    plan = _plans(journey)[target.pk]
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
