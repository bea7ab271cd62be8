"""How well the history chart's change-point detector marks a step, and how often it marks none.

Synthetic histories: N runs (default 30), each run's energy log-normal around its level with
the given CV, a step of the given size from run STEP (1-based) on. For each CV it prints how
often a marker lands within 2 runs of the step, how many other markers appear, and in
histories without a step how many get any marker at all (false markers). Pure arithmetic:
no machine noise is involved, the figures depend only on the seeds.

    python benchmarks/bench_changepoint.py [--runs 30] [--step-at 18] [--step 1.2] [--trials 200]
"""

from __future__ import annotations

import argparse
import random

from pytest_greenbudget.gate.changepoint import change_points


def series(rng: random.Random, runs: int, at: int, step: float, cv: float) -> list[float]:
    return [(step if i + 1 >= at else 1.0) * rng.lognormvariate(0, cv) for i in range(runs)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--step-at", type=int, default=18)
    parser.add_argument("--step", type=float, default=1.2)
    parser.add_argument("--trials", type=int, default=200)
    args = parser.parse_args()
    print(f"{args.runs} runs, x{args.step} from run {args.step_at}, {args.trials} seeds each")
    for cv in (0.02, 0.05, 0.08, 0.12):
        hits = others = false = 0
        for seed in range(args.trials):
            rng = random.Random(seed)
            steps = change_points(series(rng, args.runs, args.step_at, args.step, cv))
            near = [s for s in steps if abs(s.index + 1 - args.step_at) <= 2]
            hits += bool(near)
            others += len(steps) - len(near)
            false += bool(change_points(series(rng, args.runs, args.step_at, 1.0, cv)))
        print(
            f"CV {cv:4.0%}: marker within 2 runs {hits}/{args.trials}, other markers {others}, "
            f"no-step histories with a marker {false}/{args.trials}"
        )


if __name__ == "__main__":
    main()
