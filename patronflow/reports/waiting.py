"""How long until a journey's headline comparison can give a verdict: "not enough data yet,
about N more weeks" (docs/reports.md: How long to wait).

Two things decide it: how many members each group needs to tell an effect the journey can
plausibly have from chance (PLAUSIBLE_LIFT, with 80% power at the always-valid interval's
boundary, and the effect module's own minimums), and how fast members come in (the entries of
the last RECENT_WEEKS weeks), plus the measure's window, which must pass for the last of them. The
answer is rounded more coarsely the further off it lies, and is "more than a year" or "cannot
tell" (nobody came in lately) rather than a precise-looking number.
"""

import datetime as dt
import math
from dataclasses import dataclass

from scipy import optimize, stats

from patronflow.reports.estimators import Estimate

PLAUSIBLE_LIFT = 0.05  # five percentage points more members back, or with a profile
POWER = 0.8
RECENT_WEEKS = 8
ASSUMED_SHARE = 0.2  # the share that comes back on its own, until the control group says
A_YEAR = 52


@dataclass(frozen=True)
class Rules:
    """When the effect module gives a verdict (effect.py passes its own)."""

    confidence: float
    min_group: int
    min_expected: int


@dataclass(frozen=True)
class Wait:
    """About how many more weeks (rounded), or `beyond_a_year`; neither: cannot tell.
    `ready`: both groups already hold enough members with a complete window — had the mails
    a plausible effect, it would have shown. `period_over`: not ready, and the period has
    ended, so no member will come into it: waiting does not help."""

    weeks: int | None = None
    beyond_a_year: bool = False
    ready: bool = False
    period_over: bool = False

    @property
    def kind(self) -> str:
        if self.ready:
            return "ready"
        if self.period_over:
            return "period_over"
        if self.beyond_a_year:
            return "more_than_a_year"
        return "cannot_tell" if self.weeks is None else "weeks"


def members_needed(
    *, share: float, ratio: float, rules: Rules, lift: float = PLAUSIBLE_LIFT
) -> tuple[int, int]:
    """Members needed (mailed, held out) for the always-valid verdict (estimators.py) to find
    `lift` above a control share of `share` with POWER, `ratio` mailed members per held-out
    one: the held-out count n where lift = boundary + z_power * se, with the variance of the
    share difference V = (mailed share (1 − it) / ratio + control (1 − control)) / n; never
    fewer than the effect module asks before it gives a verdict."""
    control = min(max(share, 0.01), 0.99 - lift)
    mailed = control + lift
    pooled = (ratio * mailed + control) / (1 + ratio)
    z_power = stats.norm.ppf(POWER)
    per_member = mailed * (1 - mailed) / ratio + control * (1 - control)

    def surplus(held_out: float) -> float:
        variance = per_member / held_out
        boundary = Estimate(lift, variance, round(held_out * (1 + ratio))).half_width(
            1 - rules.confidence
        )
        return lift - boundary - z_power * math.sqrt(variance)

    held_out = optimize.brentq(surplus, 1, 1e9)
    floor = max(rules.min_group, rules.min_expected / min(pooled, 1 - pooled))
    held_out = max(held_out, floor, floor / ratio)
    return math.ceil(held_out * ratio), math.ceil(held_out)


def rounded_weeks(weeks: float) -> Wait:
    """Whole weeks up to eight, then to four weeks; beyond a year only that."""
    if weeks <= 0:
        return Wait(weeks=0, ready=True)
    if weeks > A_YEAR:
        return Wait(beyond_a_year=True)
    if weeks <= 8:
        return Wait(weeks=max(1, round(weeks)))
    return Wait(weeks=4 * round(weeks / 4))


def _group_wait(starts: list[dt.date], needed: int, window: int, as_of: dt.date) -> float | None:
    """Weeks until `needed` members of one group have a complete window; None: nobody came
    in lately, so it cannot be told."""
    starts = sorted(starts)
    if len(starts) >= needed:
        ready = starts[needed - 1] + dt.timedelta(days=window)
        return max((ready - as_of).days, 0) / 7
    recent_from = as_of - dt.timedelta(weeks=RECENT_WEEKS)
    recent = [day for day in starts if day > recent_from]
    if not recent:
        return None
    weeks_observed = max(min(RECENT_WEEKS, (as_of - starts[0]).days / 7), 1)
    per_week = len(recent) / weeks_observed
    return (needed - len(starts)) / per_week + window / 7


def weeks_to_verdict(
    *,
    mailed_starts: list[dt.date],
    held_out_starts: list[dt.date],
    window: int,
    share: float | None,
    holdout_percent: int,
    as_of: dt.date,
    rules: Rules,
    closed: bool = False,
) -> Wait:
    """About how long until both groups hold enough members with a complete `window` for a
    verdict on an effect of PLAUSIBLE_LIFT; `share`: the control group's share so far (None:
    too few to tell, ASSUMED_SHARE stands in). `closed`: the period ended before `as_of` —
    ready or over, never a number of weeks (its last windows may still be running, but a
    report of a past period is read for what it holds)."""
    if mailed_starts and held_out_starts:
        ratio = len(mailed_starts) / len(held_out_starts)
    elif 0 < holdout_percent < 100:
        ratio = (100 - holdout_percent) / holdout_percent
    else:
        return Wait()
    needed_mailed, needed_held_out = members_needed(
        share=ASSUMED_SHARE if share is None else share, ratio=ratio, rules=rules
    )
    waits = [
        _group_wait(mailed_starts, needed_mailed, window, as_of),
        _group_wait(held_out_starts, needed_held_out, window, as_of),
    ]
    if None not in waits and max(waits) == 0:
        return Wait(weeks=0, ready=True)
    if closed:
        return Wait(period_over=True)
    if None in waits:
        return Wait()
    return rounded_weeks(max(waits))
