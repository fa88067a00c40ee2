"""The estimators behind the results page, on sufficient statistics: a group is its
`Moments`, so the same code runs on one enrolment at a time, on the daily aggregates that the
tick keeps and on simulated networks, and no estimator needs to see a member.

Every interval here means what it says however often the report is read (docs/reports.md:
Statistics): the mailed-against-held-out difference has an always-valid interval (a
confidence sequence: the normal-mixture boundary of the asymptotic confidence sequences of
Waudby-Smith, Arbour, Sinha, Kennedy and Ramdas, the mixture SPRT of Johari, Pekelis and
Walsh), and the difference in differences spends its 5% over the monthly readings.
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from scipy import optimize, stats

ALPHA = 0.05  # the 95% of every interval: the chance it ever misses, however often read
POWER = 0.8
# The members (both groups, window complete) at which the always-valid interval is made
# narrowest; it is valid at every size, and only a little wider far from this one.
PLANNED_MEMBERS = 2000
# The mixture's spread (its rho squared times the planned members): the value that makes the
# interval narrowest at PLANNED_MEMBERS (Waudby-Smith et al., eq. for the optimal rho).
_LOG_ODDS = 2 * math.log(1 / ALPHA)
MIXTURE = _LOG_ODDS + math.log(1 + _LOG_ODDS)


@dataclass(frozen=True, slots=True)
class Moments:
    """Sums over a group of members of their activity before entering (x) and their outcome
    after (y): enough for means, variances and the covariance that adjusts one by the other."""

    n: int = 0
    x: float = 0
    y: float = 0
    xx: float = 0
    yy: float = 0
    xy: float = 0

    @classmethod
    def of(cls, pairs: Iterable[tuple[float, float]]) -> "Moments":
        n = x = y = xx = yy = xy = 0
        for before, after in pairs:
            n += 1
            x += before
            y += after
            xx += before * before
            yy += after * after
            xy += before * after
        return cls(n, x, y, xx, yy, xy)

    def __add__(self, other: "Moments") -> "Moments":
        return Moments(
            self.n + other.n,
            self.x + other.x,
            self.y + other.y,
            self.xx + other.xx,
            self.yy + other.yy,
            self.xy + other.xy,
        )

    @property
    def mean(self) -> float:
        return self.y / self.n

    @property
    def mean_before(self) -> float:
        return self.x / self.n

    # Sums of squares and products about the group's own means.
    @property
    def syy(self) -> float:
        return max(self.yy - self.y * self.y / self.n, 0.0)

    @property
    def sxx(self) -> float:
        return max(self.xx - self.x * self.x / self.n, 0.0)

    @property
    def sxy(self) -> float:
        return self.xy - self.x * self.y / self.n


@dataclass(frozen=True, slots=True)
class Estimate:
    """A difference between the groups, its variance, and the members it rests on."""

    value: float
    variance: float
    n: int

    def half_width(self, alpha: float = ALPHA) -> float:
        """Half the always-valid interval: the normal-mixture boundary
        sqrt(V (a+1)/a (2 log(1/alpha) + log(a+1))), a = n * MIXTURE / PLANNED_MEMBERS
        (the mixing variance in units of V: tau^2 = a V)."""
        if self.variance <= 0:
            return 0.0
        spread = self.n * MIXTURE / PLANNED_MEMBERS
        return math.sqrt(
            self.variance * (spread + 1) / spread * (2 * math.log(1 / alpha) + math.log(spread + 1))
        )

    @property
    def low(self) -> float:
        return self.value - self.half_width()

    @property
    def high(self) -> float:
        return self.value + self.half_width()

    @property
    def p_value(self) -> float:
        """The always-valid p-value, 1 / the mixture likelihood ratio against no difference:
        below ALPHA exactly when the interval leaves out 0."""
        if self.variance <= 0:
            return 1.0 if self.value == 0 else 0.0
        spread = self.n * MIXTURE / PLANNED_MEMBERS
        log_ratio = self.value**2 / (2 * self.variance) * spread / (spread + 1) - 0.5 * math.log(
            spread + 1
        )
        return min(1.0, math.exp(-log_ratio))


def difference(treated: Moments, control: Moments) -> Estimate | None:
    """Plain difference of the means (Welch: each group its own variance); None where a group
    has fewer than two members."""
    if treated.n < 2 or control.n < 2:
        return None
    variance = treated.syy / (treated.n - 1) / treated.n + control.syy / (control.n - 1) / control.n
    return Estimate(treated.mean - control.mean, variance, treated.n + control.n)


def adjusted_difference(treated: Moments, control: Moments) -> Estimate | None:
    """The difference adjusted by the members' activity before (CUPED, regression adjustment):
    theta = pooled within-group cov(x, y) / var(x); each group's mean minus theta times its
    distance from the pooled mean before, so the difference loses theta (x̄_t − x̄_c); its
    variance from each group's residual variance var(y − theta x). None where a group has
    fewer than two members or nobody's activity before differs (nothing to adjust by)."""
    if treated.n < 2 or control.n < 2:
        return None
    sxx = treated.sxx + control.sxx
    if sxx <= 0:
        return None
    theta = (treated.sxy + control.sxy) / sxx

    def residual(group: Moments) -> float:
        spread = group.syy - 2 * theta * group.sxy + theta * theta * group.sxx
        return max(spread, 0.0) / (group.n - 1) / group.n

    value = treated.mean - control.mean - theta * (treated.mean_before - control.mean_before)
    return Estimate(value, residual(treated) + residual(control), treated.n + control.n)


def detectable_effect(*, mailed: int, held_out: int, base_rate: float) -> float | None:
    """The smallest lift in a share (0.05 = 5 points) above `base_rate` that the always-valid
    verdict finds with POWER: lift = boundary + z_power * se, with the variance of the share
    difference at that lift. None where a group is empty, or not even the largest possible
    lift would be found."""
    if mailed < 1 or held_out < 1 or not 0 <= base_rate < 1:
        return None
    z_power = stats.norm.ppf(POWER)

    def shortfall(lift: float) -> float:
        share = base_rate + lift
        variance = share * (1 - share) / mailed + base_rate * (1 - base_rate) / held_out
        estimate = Estimate(lift, variance, mailed + held_out)
        return lift - estimate.half_width() - z_power * math.sqrt(variance)

    largest = 1 - base_rate
    if shortfall(largest) < 0:
        return None
    return float(optimize.brentq(shortfall, 1e-9, largest, xtol=1e-7))


@dataclass(frozen=True, slots=True)
class Change:
    """One library's total of a measure in the baseline period and the measured period."""

    before: float
    after: float

    @property
    def log_change(self) -> float | None:
        """log(after / before); None where either is nothing (no change to measure)."""
        if self.before <= 0 or self.after <= 0:
            return None
        return math.log(self.after / self.before)

    @property
    def counting_noise(self) -> float:
        """The variance of log_change from counting alone (totals as Poisson counts)."""
        return 1 / self.before + 1 / self.after


MIN_COMPARISON_LIBRARIES = 2


def look_alpha(look: int) -> float:
    """The share of the 5% spent on the look-th monthly reading: ALPHA * 6 / (pi^2 look^2),
    which over all readings adds up to ALPHA (the sum of 1/k^2 is pi^2/6)."""
    return ALPHA * 6 / (math.pi**2 * look**2)


@dataclass(frozen=True)
class DidEstimate:
    """This library's change against its comparison libraries' over the same months, as
    relative changes (0.12 = +12%), with an interval that holds however often it is read."""

    measure: str  # "loans" | "borrowers" | "visits"
    own: Change
    others: tuple[Change, ...]
    own_change: float | None
    others_change: float | None
    difference: float | None
    low: float | None
    high: float | None
    enough_data: bool

    @property
    def claimed(self) -> bool:
        return bool(self.enough_data and (self.low > 0 or self.high < 0))

    @property
    def verdict(self) -> str:
        if self.own.log_change is None:
            return (
                f"Not enough data: this library has no {self.measure} in the baseline period "
                f"or in the measured period."
            )
        usable = sum(other.log_change is not None for other in self.others)
        if not self.enough_data:
            return (
                f"Not enough data: at least {MIN_COMPARISON_LIBRARIES} comparison libraries "
                f"with {self.measure} in both periods are needed, and {usable} have them."
            )
        changes = (
            f"this library's {self.measure} changed by {_percent(self.own_change)}, its "
            f"comparison libraries' by {_percent(self.others_change)}"
        )
        interval = (
            f"95% interval {_percent(self.low)} to {_percent(self.high)}, valid however often "
            f"the report is read"
        )
        if self.claimed:
            direction = "more" if self.difference > 0 else "less"
            return (
                f"This library did {direction} than its comparison libraries: {changes}, a "
                f"difference of {_percent(self.difference)} ({interval})."
            )
        return (
            f"No difference shown: {changes}; the difference of {_percent(self.difference)} "
            f"could be chance ({interval})."
        )


def _percent(value: float) -> str:
    return f"{value * 100:+.1f}%"


def difference_in_differences(
    *, measure: str, own: Change, others: Sequence[Change], look: int = 1
) -> DidEstimate:
    """Own change against the comparison libraries', on the log scale: d = log(after /
    before) per library, estimate d_own − mean(d_others), its uncertainty a library-level
    prediction interval from the spread of the others' d (t with K − 1 degrees of freedom,
    se = sqrt(s²/K + max(s², c_own)), s² the others' variance of d but at least their mean
    counting noise, c_own this library's own: Change.counting_noise), at the look-th
    monthly reading's share of the 5% (`look_alpha`), so that reading it every month claims
    nothing false more than 5% of the time. Needs MIN_COMPARISON_LIBRARIES with the measure
    in both periods."""
    others = tuple(others)
    changes = [d for d in (other.log_change for other in others) if d is not None]
    own_d = own.log_change
    empty = DidEstimate(measure, own, others, None, None, None, None, None, False)
    if own_d is None:
        return empty
    own_change = math.expm1(own_d)
    if len(changes) < MIN_COMPARISON_LIBRARIES:
        return DidEstimate(measure, own, others, own_change, None, None, None, None, False)
    count = len(changes)
    others_d = sum(changes) / count
    # The libraries' spread is never taken as less than the counting noise of one library's
    # change (1/before + 1/after on the log scale): comparison libraries that happened to
    # change alike would otherwise give an interval of no width, and claim any difference.
    counted = [other for other in others if other.log_change is not None]
    noise = sum(other.counting_noise for other in counted) / count
    variance = max(sum((d - others_d) ** 2 for d in changes) / (count - 1), noise)
    standard_error = math.sqrt(variance / count + max(variance, own.counting_noise))
    estimate = own_d - others_d
    margin = stats.t.ppf(1 - look_alpha(max(look, 1)) / 2, count - 1) * standard_error
    return DidEstimate(
        measure,
        own,
        others,
        own_change,
        math.expm1(others_d),
        math.expm1(estimate),
        math.expm1(estimate - float(margin)),
        math.expm1(estimate + float(margin)),
        True,
    )
