"""How long until a verdict: enough members for a plausible effect, at the pace they come in,
rounded so that it claims no precision it does not have (docs/reports.md: How long to wait)."""

import datetime as dt

from patronflow.reports.effect import RULES
from patronflow.reports.waiting import members_needed, rounded_weeks, weeks_to_verdict

TODAY = dt.date(2026, 12, 6)


def weekly(per_week: int, weeks: int) -> list[dt.date]:
    """`per_week` members a week over the last `weeks` weeks."""
    return [
        TODAY - dt.timedelta(weeks=w, days=d % 7) for w in range(weeks) for d in range(per_week)
    ]


def test_a_five_point_lift_needs_two_thousand_members_per_group_at_a_one_in_five_share():
    # 2123 a group: V = (0.25 * 0.75 + 0.2 * 0.8) / 2123 = 0.00016368; a = 4246 * 7.936155 /
    # 2000 = 16.848; boundary sqrt(V * 1.059354 * (5.991465 + ln 17.848)) = 0.039225; plus
    # 0.841621 sqrt(V) = 0.010768: 0.049993, just under 5 points. One planned look (the
    # textbook's 20% against 25%) needs some 1100: the price of reading it every week.
    mailed, held_out = members_needed(share=0.2, ratio=1, rules=RULES)
    assert mailed == held_out == 2123


def test_a_small_control_group_needs_fewer_of_its_own_but_more_mailed():
    mailed, held_out = members_needed(share=0.2, ratio=9, rules=RULES)
    even, _ = members_needed(share=0.2, ratio=1, rules=RULES)
    assert held_out < even < mailed
    assert mailed >= 9 * held_out - 9  # the journey's own ratio


def test_far_waits_are_rounded_coarsely_and_beyond_a_year_says_only_that():
    assert rounded_weeks(0.3).weeks == 1
    assert rounded_weeks(5.4).weeks == 5
    assert rounded_weeks(13.9).weeks == 12
    assert rounded_weeks(53).kind == "more_than_a_year"


def test_a_journey_nobody_entered_lately_cannot_tell_how_long():
    old = [TODAY - dt.timedelta(days=200)] * 20
    wait = weeks_to_verdict(
        mailed_starts=old, held_out_starts=old[:5], window=30, share=None,
        holdout_percent=10, as_of=TODAY, rules=RULES,
    )  # fmt: skip
    assert wait.kind == "cannot_tell"


def test_the_wait_grows_as_the_pace_slows():
    def wait(per_week: int):
        return weeks_to_verdict(
            mailed_starts=weekly(per_week * 9, 8), held_out_starts=weekly(per_week, 8),
            window=30, share=0.2, holdout_percent=10, as_of=TODAY, rules=RULES,
        )  # fmt: skip

    fast, slow = wait(100), wait(4)
    assert fast.kind == "weeks" and fast.weeks < 20
    assert slow.kind == "more_than_a_year"


def test_enough_members_already_in_wait_only_for_their_window():
    starts = [TODAY - dt.timedelta(days=10)] * 3000
    wait = weeks_to_verdict(
        mailed_starts=starts, held_out_starts=starts, window=30, share=0.2,
        holdout_percent=50, as_of=TODAY, rules=RULES,
    )  # fmt: skip
    assert wait.weeks == 3  # 20 of the 30 days left


def test_groups_that_already_hold_enough_members_are_ready():
    starts = [TODAY - dt.timedelta(days=60)] * 3000
    wait = weeks_to_verdict(
        mailed_starts=starts, held_out_starts=starts, window=30, share=0.2,
        holdout_percent=50, as_of=TODAY, rules=RULES,
    )  # fmt: skip
    assert wait.kind == "ready"


def test_a_period_that_has_ended_gives_no_weeks_to_wait_but_says_it_is_over():
    def wait(closed: bool):
        return weeks_to_verdict(
            mailed_starts=weekly(360, 8), held_out_starts=weekly(40, 8),
            window=30, share=0.2, holdout_percent=10, as_of=TODAY, rules=RULES, closed=closed,
        )  # fmt: skip

    assert wait(closed=False).kind == "weeks"
    assert wait(closed=True).kind == "period_over" and wait(closed=True).weeks is None


def test_a_period_that_has_ended_with_enough_members_is_still_ready():
    starts = [TODAY - dt.timedelta(days=60)] * 3000
    wait = weeks_to_verdict(
        mailed_starts=starts, held_out_starts=starts, window=30, share=0.2,
        holdout_percent=50, as_of=TODAY, rules=RULES, closed=True,
    )  # fmt: skip
    assert wait.kind == "ready"
