"""Known answer for the holdout comparison: simulated networks of dormant members with a set
effect of the mails, and what the report recovers. Prints figures; not a timed test.

    .venv/bin/python bench/report_effect.py [--members 50000] [--seeds 200]
"""

import argparse
import datetime as dt
import os
import statistics

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "patronflow.settings")
django.setup()

from patronflow.demo.simulation import TrueEffect, simulate_holdout_outcomes  # noqa: E402
from patronflow.reports.effect import effect_of  # noqa: E402

AS_OF = dt.date(2026, 6, 1)


def recover(members: int, effect: TrueEffect, seed: int):
    outcomes = simulate_holdout_outcomes(members, effect, seed=seed)
    rate, _loans = effect_of(outcomes, AS_OF, windows=(30,))
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=50_000)
    parser.add_argument("--seeds", type=int, default=200)
    options = parser.parse_args()
    with_effect = TrueEffect(mailed=0.12, held_out=0.08)
    one = recover(options.members, with_effect, seed=1)
    print(f"{options.members} members, true lift {with_effect.lift * 100:+.1f} points:")
    print(f"  seed 1: {one.mailed:.2%} mailed vs {one.held_out:.2%} held out, lift "
          f"{one.lift * 100:+.2f} points (95% CI {one.low * 100:+.2f} to {one.high * 100:+.2f}), "
          f"p = {one.p_value:.2g}")  # fmt: skip
    runs = [recover(options.members // 10, with_effect, seed) for seed in range(options.seeds)]
    covered = sum(r.low <= with_effect.lift <= r.high for r in runs) / len(runs)
    claimed = sum(r.claimed for r in runs) / len(runs)
    print(f"  {options.seeds} networks of {options.members // 10}: mean lift "
          f"{statistics.mean(r.lift for r in runs) * 100:+.2f} points, interval holds the truth "
          f"in {covered:.1%}, effect claimed in {claimed:.1%}")  # fmt: skip
    none = TrueEffect(mailed=0.08, held_out=0.08)
    runs = [recover(options.members // 10, none, seed) for seed in range(options.seeds)]
    print(f"  no true effect: effect claimed in {sum(r.claimed for r in runs) / len(runs):.1%} "
          f"of {options.seeds} networks (false positives; 5% expected)")  # fmt: skip


if __name__ == "__main__":
    main()
