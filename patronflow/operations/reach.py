"""How many members a journey or broadcast reaches now, and when its mails will leave.

Reads only. The counts are the engine's own steps: the audience (journeys/audiences.py),
the privacy rules (privacy/rules.py) through the same `entry_candidates` a tick enrols, and
the same deterministic holdout draw (`is_held_out`). The timing replays the claim
(mail/claims.py) over the library's send window, its daily cap and the cap per member per
7 days, with the mails already in the outbox ahead of this one's in the same order the
claim takes them (by id), so that a `tick` at the estimated moment sends what it says.

Mails that other journeys will only queue later (their members entering tomorrow, say) are
not foreseen: the dry-run calendar runs the whole engine for that.
"""

import datetime as dt
import heapq
from collections import Counter
from dataclasses import dataclass
from functools import cache

from django.db.models import Q
from django.utils import timezone

from patronflow.journeys.audiences import InvalidAudience, audience, enters_on_registration
from patronflow.journeys.models import HELD_UNTIL, Journey, Version
from patronflow.journeys.queries import entry_candidates, event_candidates
from patronflow.journeys.services import is_held_out
from patronflow.mail.models import Message
from patronflow.members.models import Library
from patronflow.members.windows import WEEK, local_day
from patronflow.privacy.rules import mailable_condition

# Days looked ahead at most: a cap so small that the mails take longer is said as such.
HORIZON_DAYS = 366


@dataclass(frozen=True)
class Estimate:
    """Who a journey reaches now and when its mails go.

    matching → of whom `mailable` (the privacy rules) → `entering` (minus members already in
    it, for a journey) → minus `held_out` → `mailed`. For a broadcast whose audience has
    entered already, `entering`, `held_out` and `mailed` are what happened then, `sent` the
    mails gone and `waiting` those still in the outbox.
    """

    matching: int
    mailable: int
    entering: int
    held_out: int
    mailed: int
    entered: bool = False
    sent: int = 0
    waiting: int = 0
    # When the first of its mails (still to go) may leave, and how many leave on each of
    # the library's local days; empty when none is to go.
    first_send: dt.datetime | None = None
    per_day: tuple[tuple[dt.date, int], ...] = ()
    # Mails that would not have left within HORIZON_DAYS.
    beyond_horizon: int = 0
    sending_paused: bool = False
    audience_problem: str = ""

    @property
    def already_in(self) -> int:
        """Mailable members of the audience who do not enter: already in the journey, or
        not allowed back in yet."""
        return self.mailable - self.entering if not self.entered else 0

    @property
    def last_day(self) -> dt.date | None:
        """The local day the last of its mails leaves."""
        return self.per_day[-1][0] if self.per_day else None

    @property
    def spread(self) -> bool:
        """Whether the caps spread the mails over more than one day."""
        return len(self.per_day) > 1 or self.beyond_horizon > 0


def estimate(journey: Journey, *, now: dt.datetime) -> Estimate:
    """How many members `journey` reaches at `now` and when its mails leave: for a broadcast
    from its moment (or now, when that has passed), for a journey from now on."""
    library = journey.library
    version = journey.current_version
    if journey.kind == Journey.Kind.BROADCAST and version.entry_closed_at is not None:
        return _entered_broadcast(journey, library, now)
    today = timezone.localdate(now)
    try:
        matching = audience(library, version.entry, today)
        counts = matching.count(), matching.filter(mailable_condition(today)).count()
        candidates = _candidates(version, now)
    except InvalidAudience as problem:
        return Estimate(
            matching=0, mailable=0, entering=0, held_out=0, mailed=0, audience_problem=str(problem)
        )
    mailed = [
        (pk, registered_on)
        for pk, registered_on, external_id in candidates
        if not is_held_out(library.code, journey.key, external_id, version.holdout_percent)
    ]
    start = _start(journey, version, now)
    ours = _first_mails(version, mailed, start)
    timing = _timing(library, journey, ours, now)
    return Estimate(
        matching=counts[0],
        mailable=counts[1],
        entering=len(candidates),
        held_out=len(candidates) - len(mailed),
        mailed=len(mailed),
        **timing,
    )


def _candidates(version: Version, now: dt.datetime) -> list[tuple[int, dt.date | None, str]]:
    """(member, registered on, member id) of whom the next tick enrols: for a journey that
    starts on an event, one per event waiting (a member twice for two events), else the
    members the entry rule lets in."""
    if version.on_event:
        waiting = event_candidates(version, now).order_by("pk")
        return [
            (pk, None, member)
            for pk, member in waiting.values_list("member_id", "member__external_id")
        ]
    today = timezone.localdate(now)
    return list(entry_candidates(version, today).values_list("pk", "registered_on", "external_id"))


def anyone_mailed(journey: Journey, *, now: dt.datetime) -> bool:
    """Whether `estimate` would find a member to mail: the first candidate who is not held
    out answers it, without counting them all."""
    version = journey.current_version
    try:
        candidates = entry_candidates(version, timezone.localdate(now)).values_list(
            "external_id", flat=True
        )
        return any(
            not is_held_out(journey.library.code, journey.key, member, version.holdout_percent)
            for member in candidates.iterator(chunk_size=2000)
        )
    except InvalidAudience:
        return False


def _start(journey: Journey, version: Version, now: dt.datetime) -> dt.datetime:
    """When the members enter: a broadcast at its moment (or at the next tick when that has
    passed), a journey at the next tick."""
    if journey.kind == Journey.Kind.BROADCAST and version.send_at:
        return max(now, version.send_at)
    return now


def _first_mails(
    version: Version, mailed: list[tuple[int, dt.date]], start: dt.datetime
) -> list[tuple[int, dt.datetime]]:
    """(member, the moment the first mail is queued) for each mailed member: on entry plus
    the first step's wait, counted from the registration day for a journey for new members,
    as `enrol_eligible` does."""
    first = version.steps.order_by("position").first()
    if first is None:
        return []
    wait = dt.timedelta(days=first.wait_days)
    if version.on_event or not enters_on_registration(version.entry):
        moment = max(start, _start_of(timezone.localdate(start) + wait))
        return [(pk, moment) for pk, _ in mailed]
    return [(pk, max(start, _start_of(registered_on + wait))) for pk, registered_on in mailed]


def _entered_broadcast(journey: Journey, library: Library, now: dt.datetime) -> Estimate:
    """A broadcast whose audience entered: what went and when what waits will go."""
    enrolments = journey.enrolments.all()
    entering = enrolments.count()
    held_out = enrolments.filter(held_out=True).count()
    messages = Message.objects.filter(enrolment__journey=journey)
    waiting = list(
        messages.filter(status=Message.Status.QUEUED)
        .exclude(next_attempt_at=HELD_UNTIL)
        .values_list("enrolment__member_id", "due_on", "next_attempt_at")
    )
    ours = [
        (member, _earliest(now, due_on, next_attempt_at))
        for member, due_on, next_attempt_at in waiting
    ]
    return Estimate(
        matching=entering,
        mailable=entering,
        entering=entering,
        held_out=held_out,
        mailed=entering - held_out,
        entered=True,
        sent=messages.filter(
            status__in=[Message.Status.SENT, Message.Status.SENDING, Message.Status.UNCERTAIN]
        ).count(),
        waiting=messages.filter(status=Message.Status.QUEUED).count(),
        **_timing(library, journey, ours, now),
    )


@cache
def _start_of(day: dt.date) -> dt.datetime:
    """The first moment of `day` on the clock the outbox dates its mails by (the same for
    many members: kept)."""
    return timezone.make_aware(
        dt.datetime.combine(day, dt.time.min), timezone.get_default_timezone()
    )


def _earliest(
    now: dt.datetime, due_on: dt.date, next_attempt_at: dt.datetime | None
) -> dt.datetime:
    moment = max(now, _start_of(due_on))
    return max(moment, next_attempt_at) if next_attempt_at else moment


def _counted(since: dt.datetime) -> Q:
    """Mails that count against the caps, as the claim counts them: sent since, or claimed
    since and still being sent."""
    return Q(status=Message.Status.SENT, sent_at__gt=since) | Q(
        status=Message.Status.SENDING, claimed_at__gt=since
    )


def _timing(
    library: Library, journey: Journey, ours: list[tuple[int, dt.datetime]], now: dt.datetime
) -> dict:
    """When each of `ours` (member, earliest moment) leaves, replaying the claim from `now`:
    every queued mail of the library's other journeys first (they hold lower ids), each at
    the first moment it is due and the window is open, within the daily cap and the cap
    per member."""
    if not ours:
        return {"sending_paused": library.sending_paused_at is not None}
    window = library.send_window
    # Many mails share a moment: each moment's next opening is worked out once.
    opening = cache(window.next_opening)
    others = list(
        Message.objects.filter(library=library, status=Message.Status.QUEUED)
        .exclude(enrolment__journey=journey)
        .exclude(next_attempt_at=HELD_UNTIL)
        .order_by("id")
        .values_list("enrolment__member_id", "due_on", "next_attempt_at")
    )
    # The mails waiting, by the moment they may next be claimed: (order, member, ours). The
    # claim takes due mails in id order, and ours come after the others' (higher ids).
    waiting: dict[dt.datetime, list[tuple[int, int, bool]]] = {}
    moments: list[dt.datetime] = []
    shuffled: set[dt.datetime] = set()  # moments whose mails are no longer in id order

    def wait(moment: dt.datetime, mails: list[tuple[int, int, bool]]) -> None:
        if moment not in waiting:
            waiting[moment] = []
            heapq.heappush(moments, moment)
        elif waiting[moment] and mails and mails[0][0] < waiting[moment][-1][0]:
            shuffled.add(moment)
        waiting[moment].extend(mails)

    for order, (member, due_on, attempt) in enumerate(others):
        wait(opening(_earliest(now, due_on, attempt)), [(order, member, False)])
    by_moment: dict[dt.datetime, list[tuple[int, int, bool]]] = {}
    for order, (member, moment) in enumerate(ours, start=len(others)):
        by_moment.setdefault(moment, []).append((order, member, True))
    for moment, mails in by_moment.items():
        wait(opening(moment), mails)
    cap = library.member_weekly_cap
    sent_on: Counter[dt.date] = Counter()  # mails per local day, ours and the others
    history: dict[int, list[dt.datetime]] = {}  # each member's mails, for the cap
    counted = Message.objects.filter(_counted(now - WEEK), library=library).values_list(
        "enrolment__member_id", "status", "sent_at", "claimed_at"
    )
    for member, status, sent_at, claimed_at in counted:
        moment = sent_at if status == Message.Status.SENT else claimed_at
        history.setdefault(member, []).append(moment)
        sent_on[moment.astimezone(window.zone).date()] += 1
    ours_on: Counter[dt.date] = Counter()
    horizon = now + dt.timedelta(days=HORIZON_DAYS)
    first_send = None
    while moments and moments[0] <= horizon:
        moment = heapq.heappop(moments)
        due = waiting.pop(moment)
        if moment in shuffled:
            due.sort()
        day = moment.astimezone(window.zone).date()
        room = library.daily_cap - sent_on[day] if library.daily_cap else len(due)
        position = 0
        while position < len(due) and room > 0:
            order, member, mine = due[position]
            position += 1
            mails = history.get(member) if cap else None
            later = _member_room(cap, mails, moment) if mails else None
            if later is not None:
                wait(opening(later), [(order, member, mine)])
                continue
            room -= 1
            sent_on[day] += 1
            if cap:
                history.setdefault(member, []).append(moment)
            if mine:
                ours_on[day] += 1
                first_send = first_send or moment
        if position < len(due):  # the day's cap is reached: the rest wait for the next day
            wait(opening(local_day(moment, window.zone)[1]), due[position:])
    return {
        "first_send": first_send,
        "per_day": tuple(sorted(ours_on.items())),
        "beyond_horizon": sum(mine for mails in waiting.values() for _, _, mine in mails),
        "sending_paused": library.sending_paused_at is not None,
    }


def _member_room(
    cap: int | None, mails: list[dt.datetime] | None, moment: dt.datetime
) -> dt.datetime | None:
    """None when the member may get a mail at `moment`, else when they have room again:
    when the oldest of their last `cap` mails turns 7 days old."""
    if not cap or not mails or len(mails) < cap:
        return None
    recent = sorted(mail for mail in mails if mail > moment - WEEK)
    if len(recent) < cap:
        return None
    return recent[len(recent) - cap] + WEEK
