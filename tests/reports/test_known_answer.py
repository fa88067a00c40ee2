"""Known-answer validation: on a simulated network where the true effect is set, the report's
holdout comparison finds it, and where there is none it does not claim one."""

import datetime as dt

import numpy as np
import pytest

from patronflow.demo.simulation import (
    ACTIVE,
    TrueEffect,
    as_outcomes,
    simulate_entries,
    simulate_holdout_outcomes,
    simulate_library_network,
)
from patronflow.journeys.models import Enrolment, Journey
from patronflow.mail.models import Message
from patronflow.members.models import Loan, Member
from patronflow.reports.effect import compare, effect_of
from patronflow.reports.estimators import difference_in_differences
from patronflow.reports.outcomes import effect_by_journey
from tests.factories import ItemFactory, JourneyFactory, StepFactory, VariantFactory, at

AS_OF = dt.date(2026, 6, 1)  # every simulated window has passed


def came_back_within_30_days(outcomes):
    rate, _loans = effect_of(outcomes, AS_OF, windows=(30,))
    return rate


def test_on_a_50000_member_network_the_interval_holds_the_true_effect_of_4_points():
    effect = TrueEffect(mailed=0.12, held_out=0.08)
    outcomes = simulate_holdout_outcomes(50_000, effect, seed=1)

    recovered = came_back_within_30_days(outcomes)

    assert recovered.low <= effect.lift <= recovered.high
    assert recovered.claimed
    assert recovered.lift == pytest.approx(effect.lift, abs=0.01)
    # Always-valid: about half as wide again as an interval for one look (under 0.02 here).
    assert recovered.high - recovered.low < 0.03
    assert "Mailed members did more" in recovered.verdict


def test_the_interval_holds_the_true_effect_in_at_least_95_of_150_networks():
    effect = TrueEffect(mailed=0.12, held_out=0.08)
    covered = 0
    for seed in range(150):
        recovered = came_back_within_30_days(simulate_holdout_outcomes(2000, effect, seed=seed))
        covered += recovered.low <= effect.lift <= recovered.high
    # At any one reading the always-valid interval holds it more often than 95%: its 5% is
    # the chance of ever missing, over every reading.
    assert covered / 150 >= 0.95


def test_without_a_true_effect_it_claims_one_in_at_most_5_percent_of_networks():
    no_effect = TrueEffect(mailed=0.08, held_out=0.08)
    claims = sum(
        came_back_within_30_days(simulate_holdout_outcomes(2000, no_effect, seed=seed)).claimed
        for seed in range(300)
    )
    assert claims / 300 <= 0.05


def test_a_small_library_gets_not_enough_data_yet_rather_than_a_verdict():
    outcomes = simulate_holdout_outcomes(150, TrueEffect(mailed=0.30, held_out=0.08), seed=3)

    recovered = came_back_within_30_days(outcomes)

    assert not recovered.enough_data
    assert not recovered.claimed
    assert recovered.verdict.startswith("Not enough data yet")


WEEKLY_LOOKS = [30 + 7 * week for week in range(1, 13)]


def test_read_every_week_for_12_weeks_without_an_effect_it_claims_one_in_at_most_5_percent():
    rng = np.random.default_rng(26)
    no_effect = TrueEffect(mailed=0.40, held_out=0.40)
    claimed = 0
    for _ in range(200):
        looks = simulate_entries(6000, no_effect, rng=rng).moments_by_look(WEEKLY_LOOKS)
        claimed += any(
            compare("returned", "rate", look[("returned", False)], look[("returned", True)]).claimed
            for look in looks
        )
    assert claimed / 200 <= 0.05


def test_on_members_with_a_habit_the_adjusted_interval_is_narrower_and_holds_the_effect():
    entries = simulate_entries(40_000, ACTIVE, rng=np.random.default_rng(7))

    came_back, loans = effect_of(as_outcomes(entries), AS_OF, windows=(30,))

    assert came_back.adjusted_low <= ACTIVE.lift <= came_back.adjusted_high
    assert came_back.claimed
    assert came_back.narrower > 0.03
    assert loans.narrower > 0.08  # loans before and after correlate more than coming back


def test_read_monthly_without_an_effect_the_difference_in_differences_claims_nothing_in_95():
    rng = np.random.default_rng(8)
    claimed = 0
    for _ in range(300):
        network = simulate_library_network(10, rng=rng)
        claimed += any(
            difference_in_differences(measure="loans", own=own, others=others, look=month).claimed
            for month in range(1, 13)
            for own, others in [network.changes(month)]
        )
    assert claimed / 300 <= 0.05


def test_the_difference_in_differences_interval_holds_an_injected_rise_of_10_percent():
    rng = np.random.default_rng(9)
    covered = 0
    for _ in range(300):
        own, others = simulate_library_network(10, rng=rng, effect=0.10).changes(3)
        did = difference_in_differences(measure="loans", own=own, others=others)
        covered += did.low <= 0.10 <= did.high
    assert covered / 300 >= 0.95


def store(outcomes) -> Journey:
    """The simulated network as rows, as the journeys, the outbox and the loans import leave
    them: a dormant journey, its enrolments, a sent mail for each mailed one, and the loans."""
    journey = JourneyFactory(key="dormant", version__entry={"inactive_for_days": 365})
    library, version = journey.library, journey.current_version
    variant = VariantFactory(step=StepFactory(journey=journey, position=1, wait_days=0))
    item = ItemFactory(library=library)
    members = Member.objects.bulk_create(
        Member(
            library=library,
            external_id=f"S{number:06d}",
            first_name="Lezer",
            registered_on=dt.date(2020, 1, 1),
            last_activity_on=dt.date(2024, 12, 1),
        )
        for number in range(len(outcomes))
    )
    enrolments = Enrolment.objects.bulk_create(
        Enrolment(
            journey=journey,
            version=version,
            member=member,
            entered_on=outcome.start,
            held_out=outcome.held_out,
        )
        for member, outcome in zip(members, outcomes, strict=True)
    )
    Message.objects.bulk_create(
        Message(
            library=library,
            enrolment=enrolment,
            step=variant.step,
            variant=variant,
            status=Message.Status.SENT,
            due_on=outcome.start,
            sent_at=at(outcome.start),
        )
        for enrolment, outcome in zip(enrolments, outcomes, strict=True)
        if not outcome.held_out
    )
    Loan.objects.bulk_create(
        Loan(
            library=library,
            external_id=f"L{member.pk}-{number}",
            member=member,
            item=item,
            loaned_on=outcome.start + dt.timedelta(days=day),
        )
        for member, outcome in zip(members, outcomes, strict=True)
        for number, day in enumerate(outcome.loan_days)
    )
    return journey


def recovered_from_the_database(members: int, effect: TrueEffect, seed: int):
    store(simulate_holdout_outcomes(members, effect, seed=seed))
    [journey_effect] = effect_by_journey(as_of=AS_OF)
    return journey_effect.comparisons[0]


@pytest.mark.django_db
def test_the_report_queries_recover_the_true_effect_from_stored_rows():
    effect = TrueEffect(mailed=0.12, held_out=0.08)

    recovered = recovered_from_the_database(6000, effect, seed=11)

    assert recovered.measure == "borrowed or visited within 30 days"
    assert recovered.low <= effect.lift <= recovered.high
    assert recovered.lift == pytest.approx(effect.lift, abs=0.025)


@pytest.mark.slow
@pytest.mark.django_db
def test_on_50000_stored_members_the_report_finds_the_effect_and_its_size():
    effect = TrueEffect(mailed=0.12, held_out=0.08)

    recovered = recovered_from_the_database(50_000, effect, seed=1)

    assert recovered.low <= effect.lift <= recovered.high
    assert recovered.claimed
