"""What a journey's holdout can find out: the smallest effect on members coming back that the
results page's verdict would find in 30, 60 and 90 days (reports.estimators.detectable_effect),
given how many members enter and how many of them come back without a mail — shown where
the marketer sets the holdout, so that a share too small to learn anything is noticed before
months of mails are spent on it."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, Min, OuterRef

from patronflow.journeys.audience_counts import audience_count
from patronflow.journeys.audiences import InvalidAudience
from patronflow.journeys.models import Enrolment, Journey
from patronflow.members.models import Loan, Visit
from patronflow.reports.estimators import detectable_effect

DAYS = (30, 60, 90)
# How far back the pace of entries is measured.
PACE_DAYS = 90
# Window and members for the base rate: the share of the journey's members (mailed or not)
# back with a loan or visit within 30 days, over its entries of the past year once at least
# BASE_MEMBERS have a complete window; before that DEFAULT_BASE_RATE, about the share seen in
# the pilot libraries.
BASE_WINDOW = 30
BASE_MEMBERS = 30
DEFAULT_BASE_RATE = 0.3
# Below this the holdout can show nothing a library would act on within 90 days.
USEFUL_EFFECT = 0.10


@dataclass(frozen=True)
class Horizon:
    days: int
    mailed: int
    held_out: int
    effect: float | None  # the smallest lift in a share (0.05 = 5 points); None: none shows

    @property
    def points(self) -> float | None:
        return None if self.effect is None else self.effect * 100


@dataclass(frozen=True)
class HoldoutPower:
    percent: int
    per_day: float | None  # members entering per day; None: a one-off group (audience)
    group: int  # the one-off group's size, or the entries counted for the pace
    base_rate: float
    base_from_past: bool
    horizons: tuple[Horizon, ...]

    @property
    def base_percent(self) -> float:
        return self.base_rate * 100

    @property
    def useful_points(self) -> float:
        return USEFUL_EFFECT * 100

    @property
    def too_small(self) -> bool:
        """No effect under USEFUL_EFFECT could show within the last horizon."""
        last = self.horizons[-1].effect if self.horizons else None
        return self.percent > 0 and (last is None or last > USEFUL_EFFECT)


def _came_back(window: int):
    """An enrolment whose member borrowed or visited within `window` days after entering."""

    def within(model, field: str):
        return Exists(
            model.objects.filter(
                member=OuterRef("member"),
                **{
                    f"{field}__gt": OuterRef("entered_on"),
                    f"{field}__lte": OuterRef("entered_on") + dt.timedelta(days=window),
                },
            )
        )

    return within(Loan, "loaned_on") | within(Visit, "visited_on")


def base_rate_of(journey: Journey, today: dt.date) -> tuple[float, bool]:
    """The share of the journey's members back within BASE_WINDOW days, and whether it comes
    from its own past (else DEFAULT_BASE_RATE)."""
    complete = Enrolment.objects.filter(
        journey=journey,
        entered_on__gte=today - dt.timedelta(days=365),
        entered_on__lte=today - dt.timedelta(days=BASE_WINDOW),
    )
    members = complete.count()
    if members < BASE_MEMBERS:
        return DEFAULT_BASE_RATE, False
    back = complete.filter(_came_back(BASE_WINDOW)).count()
    return back / members, True


def _audience(journey: Journey, today: dt.date) -> int:
    version = journey.current_version
    try:
        found = audience_count(journey.library, version.entry, today, journey.mailing_list)
    except InvalidAudience:
        return 0
    return found.mailable


def holdout_power(journey: Journey, *, percent: int, today: dt.date) -> HoldoutPower:
    """The smallest effect found after 30, 60 and 90 days with `percent` held out. A journey
    with entries in the past PACE_DAYS keeps their pace; a broadcast, or a journey nobody has
    entered lately, is its audience entering at once (a one-off group)."""
    base_rate, from_past = base_rate_of(journey, today)
    since = today - dt.timedelta(days=PACE_DAYS)
    recent = Enrolment.objects.filter(journey=journey, entered_on__gte=since, entered_on__lt=today)
    entries = recent.count()
    per_day = None
    if journey.kind == Journey.Kind.JOURNEY and entries:
        first = recent.aggregate(first=Min("entered_on"))["first"]
        per_day = entries / max((today - first).days, 1)
        group = entries
    elif journey.kind == Journey.Kind.BROADCAST and journey.enrolments.exists():
        group = journey.enrolments.count()
    else:
        group = _audience(journey, today)
    horizons = []
    for days in DAYS:
        entering = round(per_day * days) if per_day is not None else group
        held_out = round(entering * percent / 100)
        mailed = entering - held_out
        effect = detectable_effect(mailed=mailed, held_out=held_out, base_rate=base_rate)
        horizons.append(Horizon(days, mailed, held_out, effect))
    return HoldoutPower(percent, per_day, group, base_rate, from_past, tuple(horizons))
