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
- every interval is always-valid (estimators.py): it holds the true difference with 95%
  however often the report is read, and the verdict claims an effect only where it leaves
  out 0; beside the plain difference, the one adjusted by the members' activity before
  entering (CUPED), whose interval is narrower and which the verdict uses where there is one;
- no verdict below MIN_GROUP members per group or fewer than MIN_EXPECTED expected
  successes or failures in a group: "not enough data yet".
"""

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from patronflow.reports.estimators import ALPHA, Moments, adjusted_difference, difference
from patronflow.reports.waiting import Rules, Wait

WINDOWS = (30, 60, 90)
PRE_PERIOD_DAYS = 90
MIN_GROUP = 30
MIN_EXPECTED = 5
CONFIDENCE = 1 - ALPHA


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

    `low`/`high`: the always-valid 95% interval of the plain difference; `adjusted_*`: the
    difference adjusted by the members' activity before entering and its interval (None
    where nobody's activity before differs); `narrower`: how much narrower the adjusted
    interval is (0.2: 20%). `p_value`: always-valid, of the estimate the verdict uses.

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
    adjusted_lift: float | None = None
    adjusted_low: float | None = None
    adjusted_high: float | None = None
    narrower: float | None = None

    @property
    def adjusted(self) -> bool:
        """Whether the verdict rests on the adjusted difference (the better estimate)."""
        return self.adjusted_lift is not None

    @property
    def claimed(self) -> bool:
        """An effect is claimed only when the always-valid interval leaves out 0: the
        adjusted one where there is one."""
        if not self.enough_data or self.low is None:
            return False
        low, high = (
            (self.adjusted_low, self.adjusted_high) if self.adjusted else (self.low, self.high)
        )
        return low > 0 or high < 0

    @property
    def verdict(self) -> str:
        if not self.enough_data:
            return not_enough_data(self.mailed_n, self.held_out_n)
        if self.adjusted:
            lift, low, high = self.adjusted_lift, self.adjusted_low, self.adjusted_high
            basis = ", adjusted for their activity before"
        else:
            lift, low, high = self.lift, self.low, self.high
            basis = ""
        size = _format_lift(lift, self.kind)
        bounds = (_format_lift(low, self.kind), _format_lift(high, self.kind))
        valid = f"{basis}, valid however often the report is read"
        if self.claimed:
            direction = "more" if lift > 0 else "less"
            return (
                f"Mailed members did {direction}: {size} (95% interval {bounds[0]} to "
                f"{bounds[1]}{valid}); unlikely to be chance (p = {self.p_value:.3f})."
            )
        return (
            f"No effect shown: the difference of {size} could be chance "
            f"(p = {self.p_value:.2f}); the true effect lies somewhere between {bounds[0]} "
            f"and {bounds[1]} (95%{valid})."
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


def _enough(kind: str, mailed: Moments, held_out: Moments) -> bool:
    """The normal approximations behind the intervals need MIN_GROUP members a group and
    MIN_EXPECTED expected to act (and, for a share, not to act) in each. For a mean the
    members with a non-zero value are counted as (sum y)^2 / sum y^2, which never exceeds
    their true number (Cauchy-Schwarz) and equals it for 0/1 values."""
    smallest = min(mailed.n, held_out.n)
    if smallest < MIN_GROUP:
        return False
    both = mailed + held_out
    if kind == "rate":
        pooled = both.y / both.n
        return smallest * min(pooled, 1 - pooled) >= MIN_EXPECTED
    acting = both.y * both.y / both.yy / both.n if both.yy else 0.0
    return smallest * acting >= MIN_EXPECTED


def compare(measure: str, kind: str, mailed: Moments, held_out: Moments, **about) -> Comparison:
    """Mailed against held out on one measure, from each group's Moments (`kind`: "rate" for
    0/1 outcomes, "mean" per member): the plain difference and the adjusted one, each with
    its always-valid interval. `about`: the comparison's outcome and window."""
    groups = (
        measure,
        kind,
        mailed.n,
        held_out.n,
        float(mailed.mean) if mailed.n else None,
        float(held_out.mean) if held_out.n else None,
    )
    counts = {"mailed_count": _plain(mailed.y), "held_out_count": _plain(held_out.y), **about}
    plain = difference(mailed, held_out)
    if plain is None:
        return Comparison(*groups, None, None, None, None, False, **counts)
    # No spread at all (every member alike) is no certainty: the interval would have no width.
    enough = _enough(kind, mailed, held_out) and plain.variance > 0
    adjusted = adjusted_difference(mailed, held_out)
    if adjusted is not None and adjusted.variance <= 0:
        adjusted = None
    best = adjusted or plain
    if adjusted is not None:
        width = plain.high - plain.low
        counts |= {
            "adjusted_lift": adjusted.value,
            "adjusted_low": adjusted.low,
            "adjusted_high": adjusted.high,
            "narrower": 1 - (adjusted.high - adjusted.low) / width if width else None,
        }
    return Comparison(*groups, plain.value, plain.low, plain.high, best.p_value, enough, **counts)


def _plain(value: float) -> float | int:
    """A whole number as an int (counts read as counts), else a float."""
    return int(value) if float(value).is_integer() else float(value)


GroupKey = tuple[str, int | None, bool]


def moments_of(
    outcomes: Iterable[Outcome],
    as_of: dt.date,
    *,
    windows: Sequence[int] = WINDOWS,
    profiles: bool = False,
) -> dict[GroupKey, Moments]:
    """Each group's Moments, x the member's activity before entering: ("returned", window,
    held_out), y 1 if back within the window; ("loans", window, held_out), y the loans in it;
    ("profile", None, held_out), y has a profile (with `profiles`). A window counts only the
    members whose window has passed on `as_of`."""
    outcomes = list(outcomes)
    sums: dict[GroupKey, list[tuple[float, float]]] = {}
    for window in windows:
        for held_out in (False, True):
            sums[("returned", window, held_out)] = []
            sums[("loans", window, held_out)] = []
        for o in outcomes:
            if o.start + dt.timedelta(days=window) > as_of:
                continue
            back = o.returned_after is not None and o.returned_after <= window
            sums[("returned", window, o.held_out)].append((o.before, int(back)))
            loans = sum(day <= window for day in o.loan_days)
            sums[("loans", window, o.held_out)].append((o.before, loans))
    if profiles:
        for held_out in (False, True):
            sums[("profile", None, held_out)] = [
                (o.before, int(o.has_profile)) for o in outcomes if o.held_out == held_out
            ]
    return {key: Moments.of(pairs) for key, pairs in sums.items()}


def comparisons_of(
    groups: Mapping[GroupKey, Moments],
    *,
    windows: Sequence[int] = WINDOWS,
    profiles: bool = False,
) -> list[Comparison]:
    """Per window: the share that borrowed or visited, and loans per member; with `profiles`,
    the share that has an online profile (the welcome journey's aim)."""

    def pair(outcome: str, window: int | None) -> tuple[Moments, Moments]:
        return groups.get((outcome, window, False), Moments()), groups.get(
            (outcome, window, True), Moments()
        )

    comparisons = []
    for window in windows:
        about = {"window": window}
        comparisons.append(
            compare(
                OUTCOMES["returned"].format(window=window),
                "rate",
                *pair("returned", window),
                outcome="returned",
                **about,
            )
        )
        comparisons.append(
            compare(
                OUTCOMES["loans"].format(window=window),
                "mean",
                *pair("loans", window),
                outcome="loans",
                **about,
            )
        )
    if profiles:
        comparisons.append(
            compare(OUTCOMES["profile"], "rate", *pair("profile", None), outcome="profile")
        )
    return comparisons


def effect_of(
    outcomes: Iterable[Outcome],
    as_of: dt.date,
    *,
    windows: Sequence[int] = WINDOWS,
    profiles: bool = False,
) -> list[Comparison]:
    """The comparisons of enrolments' outcomes (comparisons_of on moments_of)."""
    groups = moments_of(outcomes, as_of, windows=windows, profiles=profiles)
    return comparisons_of(groups, windows=windows, profiles=profiles)


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
