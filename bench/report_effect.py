"""Known answers for the results page's statistics: simulated networks with a set effect, and
what the report recovers — the holdout comparison read every week, its adjustment by the
members' activity before, and the difference in differences against comparison libraries
read every month. Prints figures side by side; not a timed test.

    .venv/bin/python bench/report_effect.py [--networks 500] [--members 20000]
        [--did-networks 2000] [--seed 0]
"""

import argparse
import datetime as dt
import math
import os
import statistics
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "patronflow.settings")
django.setup()

import numpy as np  # noqa: E402
from scipy import stats  # noqa: E402

from patronflow.demo.simulation import (  # noqa: E402
    ACTIVE,
    HABIT,
    TrueEffect,
    simulate_entries,
    simulate_holdout_outcomes,
    simulate_library_network,
)
from patronflow.reports.effect import compare, effect_of  # noqa: E402
from patronflow.reports.estimators import (  # noqa: E402
    ALPHA,
    difference,
    difference_in_differences,
)

AS_OF = dt.date(2026, 6, 1)
WEEKS = 12
LOOK_DAYS = [30 + 7 * week for week in range(1, WEEKS + 1)]  # each week's reading
MONTHS = 12
COMPARISON_LIBRARIES = 10
DID_EFFECTS = (0.10, 0.25, 0.0)  # more loans in the library running the journey
Z = float(stats.norm.ppf(1 - ALPHA / 2))


def fixed_sample(mailed, held_out):
    """The interval for one planned look (lift ± 1.96 se): what the report gave before."""
    plain = difference(mailed, held_out)
    margin = Z * math.sqrt(plain.variance)
    return plain.value - margin, plain.value + margin


def weekly_readings(networks, members, effect, habit, rng):
    """Per network, per weekly look: (always-valid plain interval, adjusted interval or None,
    fixed-sample interval, claimed as published, enough data, narrower) of coming back
    within 30 days; and the loans' narrower at the last look."""
    runs = []
    for _ in range(networks):
        entries = simulate_entries(members, effect, rng=rng, habit=habit)
        looks = []
        for groups in entries.moments_by_look(LOOK_DAYS):
            mailed, held = groups[("returned", False)], groups[("returned", True)]
            c = compare("returned", "rate", mailed, held)
            adjusted = (c.adjusted_low, c.adjusted_high) if c.adjusted else None
            fixed = fixed_sample(mailed, held)
            looks.append(((c.low, c.high), adjusted, fixed, c.claimed, c.enough_data, c.narrower))
        loans = compare("loans", "mean", groups[("loans", False)], groups[("loans", True)])
        runs.append((looks, loans.narrower))
    return runs


def holds(interval, truth):
    return bool(interval is not None and interval[0] <= truth <= interval[1])


def excludes_0(interval):
    return bool(interval[0] > 0 or interval[1] < 0)


def percent(share):
    return f"{share * 100:5.1f}%"


def holdout_figures(networks, members, rng):
    print(f"Mailed against held out: {networks} networks of {members} members entering over "
          f"{WEEKS} weeks (10% held out), coming back within 30 days, read every week")  # fmt: skip
    lift = ACTIVE.lift
    runs = weekly_readings(networks, members, ACTIVE, HABIT, rng)
    last = [looks[-1] for looks, _ in runs]
    print(f"  with a true lift of {lift * 100:+.0f} points ({ACTIVE.held_out:.0%} → "
          f"{ACTIVE.mailed:.0%}), activity before correlated as members' loans are:")  # fmt: skip
    print(f"  {'':44}{'always-valid':>14}{'adjusted':>10}{'one look':>10}")
    print(f"  {'interval holds the truth at the last look':44}"
          f"{percent(statistics.mean(holds(r[0], lift) for r in last)):>14}"
          f"{percent(statistics.mean(holds(r[1], lift) for r in last)):>10}"
          f"{percent(statistics.mean(holds(r[2], lift) for r in last)):>10}")  # fmt: skip
    every = [[all(holds(look[i], lift) for look in looks) for looks, _ in runs] for i in (0, 1, 2)]
    print(f"  {'... at every one of the 12 weekly looks':44}"
          f"{percent(statistics.mean(every[0])):>14}{percent(statistics.mean(every[1])):>10}"
          f"{percent(statistics.mean(every[2])):>10}")  # fmt: skip
    claimed = statistics.mean(r[3] for r in last)
    fixed_claimed = statistics.mean(r[4] and excludes_0(r[2]) for r in last)
    print(f"  {'effect claimed at the last look (power)':44}{percent(claimed):>24}"
          f"{percent(fixed_claimed):>10}")  # fmt: skip
    widths = [(r[0][1] - r[0][0], r[2][1] - r[2][0]) for r in last]
    print(f"  always-valid interval {statistics.mean(w[0] / w[1] for w in widths):.2f} times as "
          f"wide as the one-look interval at the last look")  # fmt: skip
    print(f"  adjustment narrows the interval by {statistics.mean(r[5] for r in last):.1%} "
          f"(coming back) and {statistics.mean(n for _, n in runs):.1%} (loans per member), "
          f"mean over the networks")  # fmt: skip
    print("  false claims with no effect, reading every week for 12 weeks (any look claims):")
    for name, effect, habit in (
        ("members with activity before", TrueEffect(mailed=0.40, held_out=0.40), HABIT),
        ("dormant members (nothing before)", TrueEffect(mailed=0.08, held_out=0.08), 0.0),
    ):
        runs = weekly_readings(networks, members, effect, habit, rng)
        valid = statistics.mean(any(look[3] for look in looks) for looks, _ in runs)
        once = statistics.mean(looks[-1][3] for looks, _ in runs)
        fixed = statistics.mean(
            any(look[4] and excludes_0(look[2]) for look in looks) for looks, _ in runs
        )
        fixed_once = statistics.mean(looks[-1][4] and excludes_0(looks[-1][2]) for looks, _ in runs)
        print(f"    {name:36} always-valid {percent(valid)} (last look alone "
              f"{percent(once)}); one-look interval {percent(fixed)} (last look alone "
              f"{percent(fixed_once)})")  # fmt: skip


def did_figures(networks, rng):
    print(f"Difference in differences: {networks} networks of 1 + {COMPARISON_LIBRARIES} "
          f"libraries (common trend, each library its own lasting deviation and monthly noise), "
          f"read every month for {MONTHS} months")  # fmt: skip
    for effect in DID_EFFECTS:
        covered_first = covered_every = claimed_any = naive_any = claimed_last = claimed_first = 0
        for _ in range(networks):
            network = simulate_library_network(COMPARISON_LIBRARIES, rng=rng, effect=effect)
            readings = []
            for month in range(1, MONTHS + 1):
                own, others = network.changes(month)
                did = difference_in_differences(measure="loans", own=own, others=others, look=month)
                naive = _one_look_did(own, others)
                readings.append((did, naive))
            inside = [did.low <= effect <= did.high for did, _ in readings]
            covered_first += inside[0]
            covered_every += all(inside)
            claimed_any += any(did.claimed for did, _ in readings)
            claimed_last += readings[-1][0].claimed
            claimed_first += readings[0][0].claimed
            naive_any += any(naive for _, naive in readings)
        if effect:
            print(f"  injected {effect:+.0%}: interval holds it at the first reading in "
                  f"{percent(covered_first / networks)}, at every one of 12 in "
                  f"{percent(covered_every / networks)}; claimed at the first reading in "
                  f"{percent(claimed_first / networks)}, at the 12th in "
                  f"{percent(claimed_last / networks)}")  # fmt: skip
        else:
            print(f"  no effect: no claim at any of 12 monthly readings in "
                  f"{percent(1 - claimed_any / networks)} (an effect claimed in "
                  f"{percent(claimed_any / networks)}); a 95% interval for one look, read "
                  f"monthly, claims one in {percent(naive_any / networks)}")  # fmt: skip


def _one_look_did(own, others):
    """Whether the same estimate with the whole 5% at every reading claims an effect."""
    changes = [o.log_change for o in others]
    mean = statistics.mean(changes)
    se = statistics.stdev(changes) * math.sqrt(1 + 1 / len(changes))
    margin = stats.t.ppf(1 - ALPHA / 2, len(changes) - 1) * se
    return bool(abs(own.log_change - mean) > margin)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--networks", type=int, default=500)
    parser.add_argument("--members", type=int, default=20_000)
    # More networks for the difference in differences: each is cheap, and its false claims
    # lie close to 5% by design (every reading gets its share), so few networks blur them.
    parser.add_argument("--did-networks", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    options = parser.parse_args()
    started = time.perf_counter()
    rng = np.random.default_rng(options.seed)
    dormant = TrueEffect(mailed=0.12, held_out=0.08)
    [one, _] = effect_of(simulate_holdout_outcomes(50_000, dormant, seed=1), AS_OF, windows=(30,))
    print(f"One network of 50000 dormant members, true lift {dormant.lift * 100:+.1f} points: "
          f"{one.mailed:.2%} mailed vs {one.held_out:.2%} held out, lift "
          f"{one.lift * 100:+.2f} points (always-valid 95% interval {one.low * 100:+.2f} to "
          f"{one.high * 100:+.2f}), p = {one.p_value:.2g}")  # fmt: skip
    holdout_figures(options.networks, options.members, rng)
    did_figures(options.did_networks, rng)
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
