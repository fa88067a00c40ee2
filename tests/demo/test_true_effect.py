"""The demo's simulated members carry a known effect of the mails, for the report to find."""

import pytest

from patronflow.demo.simulation import CLICK_RATE, TrueEffect, simulate_holdout_outcomes


def test_clickers_come_back_more_often_and_mailed_members_at_the_set_rate_on_average():
    effect = TrueEffect(mailed=0.12, held_out=0.08)

    clicked = effect.chance(clicked=True, click_rate=CLICK_RATE)
    unclicked = effect.chance(clicked=False, click_rate=CLICK_RATE)

    assert clicked == pytest.approx(2 * unclicked)
    assert CLICK_RATE * clicked + (1 - CLICK_RATE) * unclicked == pytest.approx(0.12)
    assert effect.lift == pytest.approx(0.04)


def test_simulated_network_draws_the_holdout_and_the_return_rates_it_was_given():
    outcomes = simulate_holdout_outcomes(40_000, TrueEffect(mailed=0.12, held_out=0.08), seed=5)
    held = [o for o in outcomes if o.held_out]
    mailed = [o for o in outcomes if not o.held_out]

    def back(group):
        return sum(o.returned_after is not None for o in group) / len(group)

    assert len(held) / len(outcomes) == pytest.approx(0.10, abs=0.01)
    assert back(mailed) == pytest.approx(0.12, abs=0.01)
    assert back(held) == pytest.approx(0.08, abs=0.015)
    assert all(1 <= o.returned_after <= 30 for o in outcomes if o.returned_after)
    assert all(o.loan_days[0] == o.returned_after for o in outcomes if o.returned_after)


def test_the_same_seed_simulates_the_same_network():
    effect = TrueEffect()
    assert simulate_holdout_outcomes(500, effect, seed=9) == simulate_holdout_outcomes(
        500, effect, seed=9
    )
