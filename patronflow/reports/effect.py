"""Did the mails change what members did? Mailed members against the holdout group.

The holdout draw is random (journeys/docs: a hash of library, journey and member id), so the
difference between the groups is the effect of the mails. Everything here works on
`Outcome` rows — one per enrolment, no member named — so the same statistics run on the
database (`outcomes_of`) and on the demo's simulated network (demo/simulation.py), where
the true effect is known.

Choices (docs/reports.md):
- intention to treat: every enrolment drawn into the mailed group counts, also when its
  mail was never sent (suppressed, failed), so that the groups stay comparable;
- the clock starts at the first mail's `sent_at` for mailed members; for held-out members on
  the day the members who entered with them (same entry day) were first mailed, or where none
  was, the day the mail was due (entered_on + the first step's wait) — entries can be dated
  back (the welcome journey: to the registration day) and mails wait for the send window;
- a window counts only members whose window has fully passed on the report day; it holds
  the days after the start, not the start day itself: a loan on the day of the mail most
  likely came before it (a new member borrows at the desk as they register);
- rates: Newcombe's hybrid score interval for the difference, two-sided pooled z-test;
  means: Welch's t-test and its interval;
- no verdict below MIN_GROUP members per group or fewer than MIN_EXPECTED expected
  successes or failures in a group: "not enough data yet".
"""

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from scipy import stats

from patronflow.reports.waiting import Rules, Wait

WINDOWS = (30, 60, 90)
PRE_PERIOD_DAYS = 90
MIN_GROUP = 30
MIN_EXPECTED = 5
CONFIDENCE = 0.95
SIGNIFICANCE = 0.05


@dataclass(frozen=True, slots=True)
class Outcome:
    """One enrolment as the effect analysis sees it: its group, when its clock started and
    what the member did after, in days from that start (1: the day after)."""

    held_out: bool
    start: dt.date
    returned_after: int | None = None
    loan_days: tuple[int, ...] = ()
    has_profile: bool = False
    # The member's activity before entering (loans and visit days in the preceding
    # PRE_PERIOD_DAYS): what the adjusted comparison uses to narrow its interval.
    before: int = 0


# What each comparison measures, by its key: the report's words for it; `window` fills in the days.
OUTCOMES = {
    "returned": "borrowed or visited within {window} days",
    "loans": "loans per member in {window} days",
    "profile": "has an online profile",
}


@dataclass(frozen=True)
class Comparison:
    """One measure, mailed against held out, with the lift and how sure we can be of it.

    Every figure is a plain Python number (scipy hands back numpy ones): the report's JSON
    and the staff page's chart data must hold nothing a JSON encoder cannot write."""

    measure: str
    kind: str  # "rate" (a share of members) or "mean" (per member)
    mailed_n: int
    held_out_n: int
    mailed: float | None
    held_out: float | None
    lift: float | None
    low: float | None
    high: float | None
    p_value: float | None
    enough_data: bool
    # What the shares or the means are made of: the members who did it (a rate), or their
    # loans (a mean). Not shown; reports/published.py withholds the figures made of a small one.
    mailed_count: int
    held_out_count: int
    # Which of OUTCOMES it measures, and over how many days: for words in other languages.
    outcome: str = ""
    window: int | None = None

    @property
    def claimed(self) -> bool:
        """An effect is claimed only when the test and the interval both exclude chance."""
        return bool(
            self.enough_data
            and self.p_value is not None
            and self.p_value < SIGNIFICANCE
            and (self.low > 0 or self.high < 0)
        )

    @property
    def verdict(self) -> str:
        if not self.enough_data:
            return not_enough_data(self.mailed_n, self.held_out_n)
        size = _format_lift(self.lift, self.kind)
        interval = f"{_format_lift(self.low, self.kind)} to {_format_lift(self.high, self.kind)}"
        if self.claimed:
            direction = "more" if self.lift > 0 else "less"
            return (
                f"Mailed members did {direction}: {size} (95% interval {interval}); "
                f"unlikely to be chance (p = {self.p_value:.3f})."
            )
        return (
            f"No effect shown: the difference of {size} could be chance "
            f"(p = {self.p_value:.2f}); the true effect lies somewhere between {interval}."
        )


def not_enough_data(mailed_n: object, held_out_n: object) -> str:
    """The verdict without one; the group sizes as the report shows them."""
    return f"Not enough data yet ({mailed_n} mailed, {held_out_n} held out with a complete window)."


def no_control_group() -> str:
    """The verdict of a journey that holds no members out."""
    return "No control group: the journey holds no members out, so its effect cannot be measured."


def _format_lift(value: float, kind: str) -> str:
    if kind == "rate":
        return f"{value * 100:+.1f} points"
    return f"{value:+.2f}"


def _wilson(hits: int, n: int) -> tuple[float, float]:
    interval = stats.binomtest(hits, n).proportion_ci(CONFIDENCE, method="wilson")
    return float(interval.low), float(interval.high)


def compare_rates(
    measure: str,
    mailed_hits: int,
    mailed_n: int,
    held_hits: int,
    held_n: int,
    **about,
) -> Comparison:
    """Difference of two shares: Newcombe's hybrid score interval (method 10), which keeps its
    coverage for small shares where the plain Wald interval does not, and the pooled z-test.
    `about`: the comparison's outcome and window."""
    mailed = mailed_hits / mailed_n if mailed_n else None
    held_out = held_hits / held_n if held_n else None
    pooled = (mailed_hits + held_hits) / (mailed_n + held_n) if mailed_n + held_n else 0.0
    expected = [n * share for n in (mailed_n, held_n) for share in (pooled, 1 - pooled)]
    enough = min(mailed_n, held_n) >= MIN_GROUP and min(expected) >= MIN_EXPECTED
    groups = (measure, "rate", mailed_n, held_n, mailed, held_out)
    counts = {"mailed_count": mailed_hits, "held_out_count": held_hits, **about}
    if not mailed_n or not held_n:
        return Comparison(*groups, None, None, None, None, False, **counts)
    lift = mailed - held_out
    mailed_low, mailed_high = _wilson(mailed_hits, mailed_n)
    held_low, held_high = _wilson(held_hits, held_n)
    low = lift - math.hypot(mailed - mailed_low, held_high - held_out)
    high = lift + math.hypot(mailed_high - mailed, held_out - held_low)
    error = math.sqrt(pooled * (1 - pooled) * (1 / mailed_n + 1 / held_n))
    p_value = float(2 * stats.norm.sf(abs(lift) / error)) if error else 1.0
    return Comparison(*groups, lift, low, high, p_value, enough, **counts)


def compare_means(
    measure: str, mailed: Sequence[float], held_out: Sequence[float], **about
) -> Comparison:
    """Difference of two means with Welch's t-test: no equal variances assumed (a mail may
    make some members borrow a lot and leave others as they were). `about`: the
    comparison's outcome and window."""
    mailed_n, held_n = len(mailed), len(held_out)
    mailed_mean = sum(mailed) / mailed_n if mailed_n else None
    held_mean = sum(held_out) / held_n if held_n else None
    # As for rates: with mostly zeros (few members borrowing at all) the t-test's normal
    # approximation fails, so enough members must be expected to have a non-zero value.
    acting = sum(1 for value in [*mailed, *held_out] if value) / ((mailed_n + held_n) or 1)
    enough = min(mailed_n, held_n) >= MIN_GROUP and min(mailed_n, held_n) * acting >= MIN_EXPECTED
    groups = (measure, "mean", mailed_n, held_n, mailed_mean, held_mean)
    counts = {"mailed_count": sum(mailed), "held_out_count": sum(held_out), **about}
    if mailed_n < 2 or held_n < 2:
        return Comparison(*groups, None, None, None, None, False, **counts)
    lift = mailed_mean - held_mean
    if len(set(mailed)) == 1 and len(set(held_out)) == 1:  # no spread: no test to run
        p_value = 1.0 if lift == 0 else 0.0
        low = high = lift
    else:
        result = stats.ttest_ind(mailed, held_out, equal_var=False)
        interval = result.confidence_interval(CONFIDENCE)
        p_value, low, high = float(result.pvalue), float(interval.low), float(interval.high)
    return Comparison(*groups, lift, low, high, p_value, enough, **counts)


def effect_of(
    outcomes: Iterable[Outcome],
    as_of: dt.date,
    *,
    windows: Sequence[int] = WINDOWS,
    profiles: bool = False,
) -> list[Comparison]:
    """Per window: the share that borrowed or visited, and loans per member; with `profiles`,
    the share that has an online profile (the welcome journey's aim)."""
    outcomes = list(outcomes)
    comparisons = []
    for window in windows:
        complete = [o for o in outcomes if o.start + dt.timedelta(days=window) <= as_of]
        groups: dict[bool, list[Outcome]] = {False: [], True: []}
        for outcome in complete:
            groups[outcome.held_out].append(outcome)
        mailed, held = groups[False], groups[True]

        def came_back(group: list[Outcome], window=window) -> int:
            return sum(o.returned_after is not None and o.returned_after <= window for o in group)

        def loans(group: list[Outcome], window=window) -> list[int]:
            return [sum(day <= window for day in o.loan_days) for o in group]

        returned = {"outcome": "returned", "window": window}
        comparisons.append(
            compare_rates(
                OUTCOMES["returned"].format(window=window),
                came_back(mailed),
                len(mailed),
                came_back(held),
                len(held),
                **returned,
            )
        )
        comparisons.append(
            compare_means(
                OUTCOMES["loans"].format(window=window),
                loans(mailed),
                loans(held),
                outcome="loans",
                window=window,
            )
        )
    if profiles:
        mailed = [o for o in outcomes if not o.held_out]
        held = [o for o in outcomes if o.held_out]
        comparisons.append(
            compare_rates(
                OUTCOMES["profile"],
                sum(o.has_profile for o in mailed),
                len(mailed),
                sum(o.has_profile for o in held),
                len(held),
                outcome="profile",
            )
        )
    return comparisons


@dataclass(frozen=True)
class JourneyEffect:
    library: str
    journey: str  # the key
    enrolments: int
    held_out: int
    comparisons: list[Comparison]
    journey_name: str = ""
    holdout_percent: int = 0  # of the journey's current version
    kind: str = "journey"  # or "broadcast" (Journey.Kind)
    # About how long until the headline comparison can tell an effect from chance; None
    # where it has told one, or cannot ever (no control group).
    wait: Wait | None = None

    @property
    def headline(self) -> "Comparison | None":
        """The comparison a results card leads with: the journey's aim — the online profile
        for a welcome journey, else members back within the first window."""
        return headline_of(self.comparisons)

    @property
    def has_control_group(self) -> bool:
        """Whether the journey holds members out, or ever did: without them there is nothing
        to compare the mailed members with, now or later."""
        return bool(self.held_out or self.holdout_percent)


def headline_of(comparisons: Sequence) -> object | None:
    """The comparison a results card leads with (a Comparison or its published row)."""
    for c in comparisons:
        if c.outcome == "profile":
            return c
    first = [c for c in comparisons if c.outcome == "returned" and c.window == WINDOWS[0]]
    return first[0] if first else None


RULES = Rules(confidence=CONFIDENCE, min_group=MIN_GROUP, min_expected=MIN_EXPECTED)
