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
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from scipy import stats

from patronflow.journeys.models import Enrolment, Journey, Step, Version
from patronflow.mail.models import Message
from patronflow.members.models import Library, Loan
from patronflow.reports.metrics import sent_statuses
from patronflow.reports.waiting import Rules, Wait, weeks_to_verdict

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


def outcomes_of(journey: Journey, longest: int = max(WINDOWS)) -> list[Outcome]:
    """The journey's enrolments as Outcome rows: each one's start, and the member's loans and
    last visit after it (visits are only known as the member's last activity day, so a visit
    followed by a later one is only seen through the later one)."""
    first_sent = (
        Message.objects.filter(enrolment=OuterRef("pk"), status__in=sent_statuses())
        .exclude(sent_at=None)
        .order_by("sent_at")
        .values("sent_at")[:1]
    )
    first_wait = (
        Step.objects.filter(version=OuterRef("version")).order_by("position").values("wait_days")
    )[:1]
    rows = list(
        Enrolment.objects.filter(journey=journey)
        .annotate(first_sent_at=Subquery(first_sent), first_wait=Subquery(first_wait))
        .values_list(
            "member_id",
            "held_out",
            "entered_on",
            "first_sent_at",
            "first_wait",
            "member__last_activity_on",
            "member__has_online_profile",
        )
    )
    if not rows:
        return []
    # A journey may date an entry back (the welcome journey: to the registration day), and a
    # mail may wait for the send window; a held-out member's clock starts when the members who
    # entered with them were first mailed, so that both groups are measured from the same day.
    cohort_mailed: dict[tuple, dt.date] = {}
    for _member, held_out, entered_on, sent_at, wait, *_ in rows:
        if not held_out and sent_at is not None:
            day = timezone.localdate(sent_at)
            key = (entered_on, wait)
            cohort_mailed[key] = min(day, cohort_mailed.get(key, day))
    starts = []
    for _member, held_out, entered_on, sent_at, wait, *_ in rows:
        due = entered_on + dt.timedelta(days=wait or 0)
        if held_out:
            starts.append(max(due, cohort_mailed.get((entered_on, wait), due)))
        else:
            starts.append(due if sent_at is None else timezone.localdate(sent_at))
    loans: dict[int, list[dt.date]] = defaultdict(list)
    member_ids = sorted({row[0] for row in rows})
    for chunk in range(0, len(member_ids), 5000):
        for member_id, loaned_on in Loan.objects.filter(
            member_id__in=member_ids[chunk : chunk + 5000], loaned_on__gte=min(starts)
        ).values_list("member_id", "loaned_on"):
            loans[member_id].append(loaned_on)
    outcomes = []
    for (member_id, held_out, _, _, _, last_activity, profile), start in zip(
        rows, starts, strict=True
    ):
        days = sorted(
            (day - start).days for day in loans.get(member_id, ()) if (day - start).days > 0
        )
        activity = [days[0]] if days else []
        if last_activity and last_activity > start:
            activity.append((last_activity - start).days)
        outcomes.append(
            Outcome(
                held_out=held_out,
                start=start,
                returned_after=min(activity) if activity else None,
                loan_days=tuple(day for day in days if day <= longest),
                has_profile=profile,
            )
        )
    return outcomes


def headline_of(comparisons: Sequence) -> object | None:
    """The comparison a results card leads with (a Comparison or its published row)."""
    for c in comparisons:
        if c.outcome == "profile":
            return c
    first = [c for c in comparisons if c.outcome == "returned" and c.window == WINDOWS[0]]
    return first[0] if first else None


RULES = Rules(confidence=CONFIDENCE, min_group=MIN_GROUP, min_expected=MIN_EXPECTED)


def wait_for(
    outcomes: list[Outcome],
    headline: Comparison | None,
    holdout_percent: int,
    as_of: dt.date,
    *,
    closed: bool = False,
) -> Wait | None:
    """How long until the headline comparison can give a verdict (reports/waiting.py); None
    where it has one, or never can. `closed`: the period ended before the report day."""
    if headline is None or headline.claimed:
        return None
    if not holdout_percent and not any(o.held_out for o in outcomes):
        return None
    share = headline.held_out if headline.held_out_n >= MIN_GROUP else None
    return weeks_to_verdict(
        mailed_starts=[o.start for o in outcomes if not o.held_out],
        held_out_starts=[o.start for o in outcomes if o.held_out],
        window=headline.window or 0,
        share=share,
        holdout_percent=holdout_percent,
        as_of=as_of,
        rules=RULES,
        closed=closed,
    )


def _aims_at_profiles(version: Version | None) -> bool:
    """Journeys for new members (the welcome journey) aim at the online profile."""
    return version is not None and "registered_within_days" in (version.entry or {})


def effect_by_journey(
    library: Library | None = None,
    as_of: dt.date | None = None,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> list[JourneyEffect]:
    """Mailed against held out for every journey that runs or ever took in members — also one
    without a holdout group, so that no report leaves a journey out without a word. Of the
    enrolments whose clock started from `since` to `until` (both included) where given: the
    members who came in during the period, each followed for their whole window (also past
    `until`) where it has passed by the report day. A period that ended before the report day
    takes in no one more, so its wait says so rather than counting on members to come."""
    as_of = as_of or timezone.localdate()
    last_start = as_of if until is None else min(as_of, until)
    running = (Journey.Status.ACTIVE, Journey.Status.PAUSED)
    journeys = Journey.objects.filter(Q(status__in=running) | Q(enrolments__isnull=False))
    if library is not None:
        journeys = journeys.filter(library=library)
    effects = []
    for journey in journeys.distinct().select_related("library").order_by("library__code", "key"):
        outcomes = [
            o
            for o in outcomes_of(journey)
            if o.start <= last_start and (since is None or o.start >= since)
        ]
        version = journey.current_version
        holdout_percent = version.holdout_percent if version else 0
        comparisons = effect_of(outcomes, as_of, profiles=_aims_at_profiles(version))
        effects.append(
            JourneyEffect(
                library=journey.library.code,
                journey=journey.key,
                journey_name=journey.name,
                kind=journey.kind,
                enrolments=len(outcomes),
                held_out=sum(o.held_out for o in outcomes),
                holdout_percent=holdout_percent,
                comparisons=comparisons,
                wait=wait_for(
                    outcomes,
                    headline_of(comparisons),
                    holdout_percent,
                    as_of,
                    closed=last_start < as_of,
                ),
            )
        )
    return effects
