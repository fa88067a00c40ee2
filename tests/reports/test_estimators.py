"""The estimators pinned to examples worked by hand (the arithmetic in each test's comment)."""

import math

import pytest

from patronflow.reports.effect import compare
from patronflow.reports.estimators import (
    MIXTURE,
    Change,
    Estimate,
    Moments,
    adjusted_difference,
    detectable_effect,
    difference,
    difference_in_differences,
    look_alpha,
)


def test_the_mixture_is_tuned_to_be_narrowest_at_the_planned_size():
    # 2 ln 20 + ln(1 + 2 ln 20) = 5.991465 + ln 6.991465 = 5.991465 + 1.944691.
    assert pytest.approx(7.936155, abs=1e-6) == MIXTURE

    # Against what one look would need (1.96 sqrt(V)), the interval is widest far from the
    # planned 2000 members and narrowest there.
    def against_one_look(n):
        return Estimate(0, 1 / n, n).half_width() / (1.959964 * (1 / n) ** 0.5)

    assert against_one_look(200) > against_one_look(1000) > against_one_look(2000)
    assert against_one_look(20_000) > against_one_look(4000) > against_one_look(2000)


def test_the_always_valid_half_width_for_a_given_variance_and_size():
    # V = 0.0004 on 2000 members: a = 2000 * 7.936155 / 2000 = 7.936155; half-width =
    # sqrt(0.0004 * (a + 1) / a * (2 ln 20 + ln(a + 1))) = sqrt(0.0004 * 1.126007 * 8.181568)
    # = sqrt(0.000368502) = 0.060704 — against 1.96 * 0.02 = 0.0392 for one look.
    estimate = Estimate(0.1, 0.0004, 2000)

    assert estimate.half_width() == pytest.approx(0.060704, abs=1e-6)
    assert (estimate.low, estimate.high) == pytest.approx((0.039296, 0.160704), abs=1e-6)


def test_the_always_valid_p_value_is_5_percent_exactly_at_the_interval_edge():
    at_edge = Estimate(0.060704179807525, 0.0004, 2000)
    # Mixture likelihood ratio at 0.03: exp(0.03^2 / 0.0008 * a/(a+1)) / sqrt(a+1) =
    # exp(1.125 * 0.888099) / 2.989340 = 2.715855 / 2.989340 = 0.908513; p = 1 / it, capped at 1.
    assert at_edge.p_value == pytest.approx(0.05, abs=1e-9)
    assert Estimate(0.03, 0.0004, 2000).p_value == 1.0
    assert Estimate(0.1, 0.0004, 2000).p_value < 0.05


def test_the_interval_narrows_as_members_come_in_but_never_to_one_looks_width():
    one_look = 1.959964 * 0.02
    widths = [Estimate(0, 0.0004 * 2000 / n, n).half_width() for n in (500, 2000, 8000)]

    assert widths[0] > widths[1] > widths[2] > one_look * 2000**0.5 / 8000**0.5


# Six members: mailed (before, after) (0, 0), (2, 1), (4, 3); held out (1, 0), (3, 1), (5, 2).
MAILED = Moments.of([(0, 0), (2, 1), (4, 3)])
HELD_OUT = Moments.of([(1, 0), (3, 1), (5, 2)])


def test_the_plain_difference_of_six_members():
    # Means 4/3 and 1; sums of squares about them 14/3 and 2: V = 14/3/2/3 + 2/2/3 = 10/9.
    plain = difference(MAILED, HELD_OUT)

    assert plain.value == pytest.approx(1 / 3)
    assert plain.variance == pytest.approx(10 / 9)
    assert plain.n == 6


def test_the_adjusted_difference_of_six_members():
    # Mailed: x̄ 2, Sxx 8, Sxy (-2)(-4/3) + 0 + 2(5/3) = 6; held out: x̄ 3, Sxx 8, Sxy 2 + 2 = 4.
    # theta = (6 + 4) / (8 + 8) = 0.625; adjusted = 1/3 - 0.625 (2 - 3) = 0.958333.
    # Residual sums y - theta x: mailed 14/3 - 2(0.625)(6) + 0.625^2 (8) = 7/24, held out
    # 2 - 5 + 3.125 = 1/8; V = 7/24/2/3 + 1/8/2/3 = 7/144 + 3/144 = 5/72.
    adjusted = adjusted_difference(MAILED, HELD_OUT)

    assert adjusted.value == pytest.approx(0.958333, abs=1e-6)
    assert adjusted.variance == pytest.approx(5 / 72)


def test_a_comparison_says_how_much_narrower_the_adjusted_interval_is():
    # Same members, so the widths differ only by sqrt(V): 1 - sqrt((5/72) / (10/9)) = 1 - 1/4.
    result = compare("loans", "mean", MAILED, HELD_OUT)

    assert result.adjusted_lift == pytest.approx(0.958333, abs=1e-6)
    assert result.narrower == pytest.approx(0.75)
    assert not result.enough_data  # six members are far too few for a verdict


def test_without_activity_before_there_is_nothing_to_adjust_by():
    nothing_before = Moments.of([(0, 1), (0, 0), (0, 1)])

    assert adjusted_difference(nothing_before, nothing_before) is None
    result = compare("came back", "rate", nothing_before, nothing_before)
    assert (result.adjusted_lift, result.adjusted_low, result.narrower) == (None, None, None)


def test_a_lift_that_the_plain_interval_calls_chance_shows_once_activity_before_explains_it():
    # Loans after are loans before plus one for mailed members, plus a little noise in both.
    noise = [0, 1, 1, 0] * 10
    mailed = Moments.of((x % 10, x % 10 + 1 + e) for x, e in zip(range(40), noise, strict=True))
    held_out = Moments.of((x % 10, x % 10 + e) for x, e in zip(range(40), noise, strict=True))

    result = compare("loans", "mean", mailed, held_out)

    assert result.low < 0 < result.high
    assert result.adjusted_low > 0
    assert result.narrower > 0.5
    assert result.claimed
    assert "adjusted for their activity before" in result.verdict


def test_the_difference_in_differences_of_a_library_and_three_others():
    # d = ln(after / before): own ln 1.2 = 0.182322; others ln 1.05 = 0.048790, ln 1.1 =
    # 0.095310, ln 1 = 0: mean 0.048033, variance 0.047660^2 = 0.0022714 (K = 3). Counting
    # noise 1/before + 1/after: others 0.0097619, 0.0190909, 0.04, mean 0.0229509, which is
    # larger, so s^2 = 0.0229509; own 1/100 + 1/120 = 0.0183333 < s^2.
    # se = sqrt(s^2 / 3 + s^2) = sqrt(0.0306012) = 0.174932.
    # First reading: alpha = 0.05 * 6 / pi^2 = 0.030396; t with 2 df at 1 - alpha/2 =
    # (2p - 1) / sqrt(2p(1 - p)), p = 0.984802: 0.969604 / 0.173014 = 5.6041.
    # Estimate 0.134289, margin 5.6041 * 0.174932 = 0.980336: exp(0.134289) - 1 = +14.37%,
    # exp(-0.846047) - 1 = -57.09%, exp(1.114625) - 1 = +204.84%.
    did = difference_in_differences(
        measure="loans",
        own=Change(100, 120),
        others=[Change(200, 210), Change(100, 110), Change(50, 50)],
    )

    assert did.own_change == pytest.approx(0.2)
    assert did.others_change == pytest.approx(math.exp(0.048033) - 1, abs=1e-6)
    assert did.difference == pytest.approx(0.143722, abs=1e-6)
    assert (did.low, did.high) == pytest.approx((-0.570896, 2.048448), abs=1e-5)
    assert did.enough_data and not did.claimed
    assert did.verdict.startswith("No difference shown")
    assert "valid however often the report is read" in did.verdict


def test_later_readings_get_a_smaller_share_of_the_5_percent_and_it_adds_up():
    # alpha_k = 0.05 * 6 / (pi^2 k^2): the k-th term of a series that sums to 0.05.
    assert look_alpha(1) == pytest.approx(0.030396, abs=1e-6)
    assert look_alpha(2) == pytest.approx(look_alpha(1) / 4)
    assert sum(look_alpha(k) for k in range(1, 100_000)) == pytest.approx(0.05, abs=1e-6)
    first, later = (
        difference_in_differences(
            measure="loans", own=Change(100, 130), others=[Change(100, 100), Change(100, 110)],
            look=look,
        )
        for look in (1, 6)
    )  # fmt: skip
    assert later.low < first.low and later.high > first.high


def test_a_clear_rise_against_steady_libraries_is_claimed():
    steady = [Change(1000, 1000 + step) for step in (-20, -10, 0, 10, 20)]

    did = difference_in_differences(measure="visits", own=Change(1000, 1300), others=steady)

    assert did.claimed
    assert did.low > 0
    assert did.verdict.startswith("This library did more than its comparison libraries")


def test_comparison_libraries_that_changed_alike_still_leave_room_for_chance():
    # Three libraries of 100 loans each, unchanged: no spread at all between them, but each
    # total could have come out 10 higher or lower by chance (counting noise 0.02).
    alike = [Change(100, 100)] * 3

    did = difference_in_differences(measure="loans", own=Change(100, 130), others=alike)

    assert did.low < 0 < did.high
    assert not did.claimed


def test_the_difference_in_differences_needs_two_comparison_libraries_with_the_measure():
    one_left = [Change(100, 110), Change(0, 40), Change(30, 0)]

    did = difference_in_differences(measure="borrowers", own=Change(50, 60), others=one_left)
    nothing_own = difference_in_differences(
        measure="borrowers", own=Change(0, 60), others=[Change(1, 2)] * 3
    )

    assert not did.enough_data and not did.claimed
    assert (did.difference, did.low, did.high) == (None, None, None)
    assert "at least 2 comparison libraries" in did.verdict and "1 have them" in did.verdict
    assert not nothing_own.enough_data
    assert "this library has no borrowers" in nothing_own.verdict


def test_the_detectable_effect_meets_the_power_equation_at_the_always_valid_boundary():
    # 900 mailed, 100 held out, 20% back on their own. At lift 0.169229: V = 0.369229 *
    # 0.630771 / 900 + 0.16 / 100 = 0.00185878; a = 1000 * 7.936155 / 2000 = 3.968077;
    # boundary = sqrt(V * 1.252013 * (5.991465 + ln 4.968077)) = sqrt(V * 1.252013 * 7.594525)
    # = 0.132945; z(0.8) sqrt(V) = 0.841621 * 0.043114 = 0.036285; sum 0.169230.
    lift = detectable_effect(mailed=900, held_out=100, base_rate=0.2)

    assert lift == pytest.approx(0.16923, abs=1e-5)
    # For one planned look the normal formula would promise (1.96 + 0.84) sqrt(V) = 0.1208.
    assert lift > (1.959964 + 0.841621) * math.sqrt(0.00185878)


def test_more_members_detect_smaller_effects_and_an_empty_group_none():
    sizes = [detectable_effect(mailed=n, held_out=n, base_rate=0.2) for n in (100, 1000, 10_000)]

    assert sizes[0] > sizes[1] > sizes[2]
    assert detectable_effect(mailed=500, held_out=0, base_rate=0.2) is None
    assert detectable_effect(mailed=3, held_out=1, base_rate=0.2) is None  # nothing findable
