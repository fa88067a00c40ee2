"""The effect of the mails: mailed members against the holdout group, with honest verdicts."""

import datetime as dt

import pytest

from patronflow.reports.effect import Outcome, compare, effect_of
from patronflow.reports.estimators import Moments
from patronflow.reports.outcomes import effect_by_journey, outcomes_of
from tests.factories import (
    EnrolmentFactory,
    JourneyFactory,
    LoanFactory,
    MessageFactory,
    StepFactory,
    VariantFactory,
    at,
)

ENTERED = dt.date(2026, 3, 2)
AS_OF = dt.date(2026, 6, 30)


def rates(mailed_hits, mailed_n, held_hits, held_n):
    """A share compared: members who did it (y = 1) and who did not, nothing known before."""
    return compare(
        "came back",
        "rate",
        Moments(mailed_n, 0, mailed_hits, 0, mailed_hits, 0),
        Moments(held_n, 0, held_hits, 0, held_hits, 0),
    )


def means(mailed, held_out):
    return compare(
        "loans",
        "mean",
        Moments.of((0, value) for value in mailed),
        Moments.of((0, value) for value in held_out),
    )


def test_a_rate_interval_is_always_valid_and_wide_on_few_members():
    # 56/70 against 48/80 (Newcombe's example): lift 0.2. Variances (n - 1 divisor):
    # 0.16 * 70/69 / 70 + 0.24 * 80/79 / 80 = 0.0053568; 150 members, a = 150 * 7.93615 /
    # 2000 = 0.595211; half-width sqrt(V (a+1)/a (2 ln 20 + ln(a+1))) = sqrt(0.0053568 *
    # 2.68008 * 6.458468) = 0.30450: the interval holds 0, however large the lift looks.
    result = rates(56, 70, 48, 80)

    assert result.lift == pytest.approx(0.2)
    assert (result.low, result.high) == pytest.approx((0.2 - 0.30450, 0.2 + 0.30450), abs=1e-4)
    assert result.p_value > 0.05
    assert not result.claimed
    assert "valid however often the report is read" in result.verdict


def test_the_same_shares_on_ten_times_the_members_are_claimed():
    # 560/700 against 480/800: V = 0.16 * 700/699 / 700 + 0.24 * 800/799 / 800 = 0.00052927;
    # a = 1500 * 7.93615 / 2000 = 5.95211; half-width sqrt(0.00052927 * 1.168008 * 7.93050)
    # = 0.070019.
    result = rates(560, 700, 480, 800)

    assert (result.low, result.high) == pytest.approx((0.2 - 0.070019, 0.2 + 0.070019), abs=1e-5)
    assert result.p_value < 0.05
    assert result.claimed
    assert result.adjusted_lift is None and result.narrower is None  # nothing known before


def test_equal_groups_claim_nothing():
    for result in (rates(40, 400, 40, 400), means([0, 1, 2, 3] * 10, [0, 1, 2, 3] * 10)):
        assert result.lift == pytest.approx(0)
        assert result.p_value == pytest.approx(1)
        assert not result.claimed
        assert result.verdict.startswith("No effect shown")


def test_the_interval_of_a_difference_of_means_holds_it_and_leaves_out_0():
    # 36 each; mailed 3.5 (sum of squares about the mean 33, variance 33/35), held out 5/3
    # (20, 20/35): V = 33/35/36 + 20/35/36 = 0.042063; a = 72 * 7.93615 / 2000 = 0.285701;
    # half-width sqrt(0.042063 * 4.50016 * 6.242764) = 1.08706.
    result = means([2, 3, 4, 5, 3, 4] * 6, [1, 2, 1, 2, 3, 1] * 6)

    assert result.lift == pytest.approx(3.5 - 5 / 3)
    assert (result.low, result.high) == pytest.approx(
        (3.5 - 5 / 3 - 1.08706, 3.5 - 5 / 3 + 1.08706), abs=1e-4
    )
    assert result.claimed
    assert "Mailed members did more" in result.verdict


def test_too_few_members_get_not_enough_data_yet():
    assert not rates(9, 20, 1, 20).enough_data
    # Enough members, but too few came back for the normal approximation.
    assert not rates(2, 500, 0, 50).enough_data
    assert rates(9, 20, 1, 20).verdict.startswith("Not enough data yet")


def test_groups_without_any_spread_give_no_verdict_rather_than_certainty():
    # Every mailed member borrowed 2 and every held-out member 1: a difference of exactly 1
    # with no spread, which says nothing about how sure the difference is.
    result = means([2] * 40, [1] * 40)

    assert result.lift == pytest.approx(1)
    assert not result.enough_data and not result.claimed
    assert result.verdict.startswith("Not enough data yet")


def test_only_members_whose_window_has_passed_count():
    outcomes = [Outcome(False, AS_OF - dt.timedelta(days=45)), Outcome(True, AS_OF)]

    thirty, _, sixty, *_ = effect_of(outcomes, AS_OF)

    assert (thirty.mailed_n, thirty.held_out_n) == (1, 0)
    assert (sixty.mailed_n, sixty.held_out_n) == (0, 0)


@pytest.fixture
def dormant(db):
    journey = JourneyFactory(key="dormant", version__entry={"inactive_for_days": 365})
    VariantFactory(step=StepFactory(journey=journey, position=1, wait_days=2))
    return journey


def mail(enrolment, **fields):
    step = enrolment.journey.current_version.steps.get()
    return MessageFactory(enrolment=enrolment, step=step, variant=step.variants.get(), **fields)


def test_mailed_members_clock_starts_at_sending_held_out_members_at_the_day_due(dormant):
    mailed = EnrolmentFactory(journey=dormant, entered_on=ENTERED)
    mail(mailed, sent_at=at(ENTERED + dt.timedelta(days=5)))
    # Nobody who entered with this one was mailed: the clock starts on the due day.
    held = EnrolmentFactory(
        journey=dormant, entered_on=ENTERED - dt.timedelta(days=1), held_out=True
    )
    LoanFactory(member=mailed.member, loaned_on=ENTERED + dt.timedelta(days=4))  # before the mail
    LoanFactory(member=mailed.member, loaned_on=ENTERED + dt.timedelta(days=15))
    held.member.last_activity_on = ENTERED + dt.timedelta(days=39)  # a visit, no loan
    held.member.save()

    outcomes = {o.held_out: o for o in outcomes_of(dormant)}

    assert outcomes[False].start == ENTERED + dt.timedelta(days=5)
    assert outcomes[False].returned_after == 10
    assert outcomes[False].loan_days == (10,)
    assert outcomes[True].start == ENTERED + dt.timedelta(days=1)
    assert outcomes[True].returned_after == 38
    assert outcomes[True].loan_days == ()


def test_a_mailed_member_whose_mail_never_left_still_counts_as_mailed(dormant):
    enrolment = EnrolmentFactory(journey=dormant, entered_on=ENTERED)
    mail(enrolment, status="failed")

    [outcome] = outcomes_of(dormant)

    assert not outcome.held_out
    assert outcome.start == ENTERED + dt.timedelta(days=2)


def test_effect_by_journey_finds_a_clear_effect_on_coming_back(dormant):
    for number in range(80):
        enrolment = EnrolmentFactory(journey=dormant, entered_on=ENTERED)
        mail(enrolment, sent_at=at(ENTERED + dt.timedelta(days=2)))
        if number % 2:
            LoanFactory(member=enrolment.member, loaned_on=ENTERED + dt.timedelta(days=12))
    for number in range(60):
        enrolment = EnrolmentFactory(journey=dormant, entered_on=ENTERED, held_out=True)
        if number % 10 == 0:
            LoanFactory(member=enrolment.member, loaned_on=ENTERED + dt.timedelta(days=12))

    [effect] = effect_by_journey(as_of=AS_OF)
    came_back = effect.comparisons[0]

    assert (effect.journey, effect.enrolments, effect.held_out) == ("dormant", 140, 60)
    assert came_back.measure == "borrowed or visited within 30 days"
    assert (came_back.mailed, came_back.held_out) == pytest.approx((0.5, 0.1))
    assert came_back.claimed


def test_held_out_members_clock_starts_when_those_who_entered_with_them_were_mailed(dormant):
    # Entry dated back to the registration day; the mails left a week later.
    mailed = EnrolmentFactory(journey=dormant, entered_on=ENTERED)
    mail(mailed, sent_at=at(ENTERED + dt.timedelta(days=7)))
    held = EnrolmentFactory(
        journey=dormant, entered_on=ENTERED, held_out=True, member__last_activity_on=ENTERED
    )
    LoanFactory(member=held.member, loaned_on=ENTERED + dt.timedelta(days=3))  # before: not counted

    outcomes = {o.held_out: o for o in outcomes_of(dormant)}

    assert outcomes[True].start == outcomes[False].start == ENTERED + dt.timedelta(days=7)
    assert outcomes[True].returned_after is None


def test_a_period_counts_the_members_who_came_in_until_its_last_day_for_their_whole_window(
    dormant,
):
    dormant.versions.update(holdout_percent=10)
    for entered, count in ((ENTERED, 3), (ENTERED + dt.timedelta(days=20), 2)):
        for _ in range(count):
            enrolment = EnrolmentFactory(journey=dormant, entered_on=entered)
            mail(enrolment, sent_at=at(entered + dt.timedelta(days=2)))
            # Back after the period ended, within the 30-day window: it counts.
            LoanFactory(member=enrolment.member, loaned_on=entered + dt.timedelta(days=25))

    [effect] = effect_by_journey(as_of=AS_OF, since=ENTERED, until=ENTERED + dt.timedelta(days=10))

    assert effect.enrolments == 3  # the two who came in after the last day are left out
    assert (effect.comparisons[0].mailed_n, effect.comparisons[0].mailed) == (3, 1.0)
    assert effect.wait.kind == "period_over"
