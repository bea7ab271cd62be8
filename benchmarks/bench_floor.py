"""Which per-round figure the paired gate should use, and how many runs per side a round needs.

Run: ``python benchmarks/bench_floor.py [--rounds 6] [--pairs 12] [--head "+10% cpu"]``.

One A/A paired run (``--greenbudget-against``, the base unchanged) of bench_paired.py's ten
tests, with many pairs per round and no extension, a core spinning as in bench_paired.py. From
the pairs it measured, per test, the standard deviation over rounds of each candidate round
figure, computed on the first n pairs of every round (so all candidates see the same runs):

- ``mean log ratio``: the mean of the pairs' log(head / base), the figure used before;
- ``floor``: log(head floor / base floor), a floor being the mean of the lowest quarter of a
  side's n runs (at least one), the figure the gate uses now;
- ``median log ratio``: the median of the pairs' log(head / base): a candidate for runners
  whose noise has two levels that switch every few runs (a pair's two runs mostly share one);
- ``floor, or the median where most pairs agree with it``: the median of the pairs' log
  ratios when more pairs lie within 5% of it than of the floor's figure and they are over
  half the pairs, else the floor (a candidate that keeps the floor on spiky runs).

A/A, so every figure's true value is 0 and its SD over rounds is the noise the t-test faces;
the smallest rise the gate could see grows in proportion to it. With ``--head`` one of
bench_paired.py's changed heads instead, only its changed tests, and each figure's t over all
rounds (its mean over its standard error): how clearly the figure shows the change.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bench_paired import HEADS, THREADS, WORK, make_repo
from machine import print_machine

from pytest_greenbudget.paired.stats import round_effect

Pairs = Sequence[tuple[float, float]]


def mean_log_ratio(pairs: Pairs) -> float:
    return statistics.fmean(math.log(h / b) for h, b in pairs)


def median_log_ratio(pairs: Pairs) -> float:
    return statistics.median(math.log(h / b) for h, b in pairs)


def floor_or_agreed_median(pairs: Pairs, within: float = 0.05) -> float:
    """Symmetric under swapping the sides, as the t-test needs: both figures change sign."""
    ratios = [math.log(h / b) for h, b in pairs]
    floor, median = round_effect(pairs), statistics.median(ratios)
    near_floor = sum(abs(r - floor) <= within for r in ratios)
    near_median = sum(abs(r - median) <= within for r in ratios)
    agreed = near_median > near_floor and 2 * near_median > len(ratios)
    return median if agreed else floor


def matched_pairs(
    pairs: Pairs,
    per_side: bool = False,
    within: float = 1.3,
    lows: tuple[float, float] | None = None,
) -> float:
    """The median log ratio of the pairs whose two runs sit at the same level (both within
    ``within`` of the lowest run, else both above it), else the floor. Levels are read from
    the lowest run of both sides together or, ``per_side``, of each side, or are given
    (``lows``: head's, base's). Symmetric under swapping the sides either way."""
    heads, bases = [h for h, _ in pairs], [b for _, b in pairs]
    low_h = min(heads) if per_side else min(heads + bases)
    low_b = min(bases) if per_side else low_h
    if lows is not None:
        low_h, low_b = lows
    ratios = [(h < low_h * within, b < low_b * within, math.log(h / b)) for h, b in pairs]
    for level in (True, False):
        same = [r for hl, bl, r in ratios if hl == level and bl == level]
        if same:
            return statistics.median(same)
    return round_effect(pairs)


FIGURES: dict[str, Callable[[Pairs], float]] = {
    "mean log ratio": mean_log_ratio,
    "floor": round_effect,
    "median log ratio": median_log_ratio,
    "floor, or the median where most pairs agree with it": floor_or_agreed_median,
    "median of same-level pairs (levels from both sides' lowest run)": matched_pairs,
    "median of same-level pairs (levels from each side's lowest run)": lambda pairs: matched_pairs(
        pairs, per_side=True
    ),
}


Rounds = Sequence[Pairs]


def across_rounds(rounds: Rounds) -> list[float]:
    """Same-level pairs, each side's fast level read from its lowest run over all the rounds
    (bench_round_figure.py's candidate): a figure per round that learns from the others."""
    lows = (min(h for r in rounds for h, _ in r), min(b for r in rounds for _, b in r))
    return [matched_pairs(r, lows=lows) for r in rounds]


# Every figure as a series: a test's rounds -> one figure per round.
SERIES: dict[str, Callable[[Rounds], list[float]]] = {
    **{name: (lambda rounds, f=f: [f(r) for r in rounds]) for name, f in FIGURES.items()},
    "median of same-level pairs (each side's level from its lowest run in all rounds)": (
        across_rounds
    ),
}


def measure(rounds: int, pairs: int, head: str) -> dict[str, list[list[tuple[float, float]]]]:
    """Per test, the pairs of each round, from one paired run of ``head`` (bench_paired.py's)."""
    load = subprocess.Popen([sys.executable, "-c", "while 1: pass"])
    try:
        with tempfile.TemporaryDirectory(prefix="bench-floor-") as tmp:
            repo = Path(tmp, "repo")
            sha = make_repo(repo)
            # A comment in the module every test runs: an identical tree would leave every test
            # unaffected (not paired), and this A/A must pair them all, as bench_paired.py's does.
            values, _ = HEADS[head]
            (repo / "work.py").write_text(WORK.format(**values) + "\n# touched by the head\n")
            report = Path(tmp, "report.json")
            subprocess.run(
                [sys.executable, "-m", "pytest", f"--greenbudget-report={report}",
                 f"--greenbudget-against={sha}", f"--greenbudget-against-rounds={rounds}:{rounds}",
                 f"--greenbudget-against-pairs={pairs}"],
                cwd=repo, env={**os.environ, **THREADS}, capture_output=True,
                check=False,
            )  # fmt: skip
            data = json.loads(report.read_text())
    finally:
        load.kill()
    out = {}
    for test in data["tests"]:
        flat = [tuple(p) for p in (test.get("baseline") or {}).get("pairs") or []]
        if len(flat) == rounds * pairs:
            out[test["nodeid"]] = [flat[i : i + pairs] for i in range(0, len(flat), pairs)]
    return out


def bare_loop(runs: int = 40) -> None:
    """The noise's shape, before any plugin: CPU seconds of one fixed loop, run after run, in
    this process (no spinner yet). A floor with spikes above it, or a spread around a centre?"""
    times = []
    for _ in range(runs):
        began = time.process_time()
        total = 0
        for i in range(600_000):
            total += i * i % 7
        times.append(1000 * (time.process_time() - began))
    times.sort()
    print(f"a bare 600k-step loop, {runs} runs: min {times[0]:.0f} ms, median "
          f"{statistics.median(times):.0f} ms, 90th percentile {times[int(0.9 * runs)]:.0f} ms, "
          f"max {times[-1]:.0f} ms\n")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--pairs", type=int, default=12)
    parser.add_argument(
        "--head",  # argparse %-formats help: the heads' names hold "%"
        default="A/A",
        help=f"the head (default A/A): {', '.join(HEADS)}".replace("%", "%%"),
    )
    args = parser.parse_args()
    if args.head not in HEADS:
        sys.exit(f"bench_floor.py: --head {args.head!r} is none of: {', '.join(HEADS)}")
    print_machine("load:   one process spinning on a core, plus the machine's other users")
    bare_loop()
    tests = measure(args.rounds, args.pairs, args.head)
    changed = HEADS[args.head][1]
    if changed:  # a real change: its tests' figures, and how far each stands from zero
        tests = {k: v for k, v in tests.items() if k.rpartition("::")[2] in changed}
    if not tests:
        sys.exit("bench_floor.py: the paired run compared no test (see its report)")
    print(f"{len(tests)} tests, {args.rounds} rounds of {args.pairs} pairs, {args.head}\n")
    print("| runs per side per round | figure | SD over rounds, median of tests | mean | max "
          "| t over all rounds, median of tests |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    for n in sorted({3, 4, 6, 8, args.pairs}):
        if n > args.pairs:
            continue
        for name, series in SERIES.items():
            figures = [series([r[:n] for r in rounds]) for rounds in tests.values()]
            sds = [statistics.stdev(f) for f in figures]
            ts = [statistics.fmean(f) * math.sqrt(len(f)) / sd
                  for f, sd in zip(figures, sds, strict=True)]  # fmt: skip
            print(f"| {n} | {name} | {100 * statistics.median(sds):.1f}% | "
                  f"{100 * statistics.fmean(sds):.1f}% | {100 * max(sds):.1f}% | "
                  f"{statistics.median(ts):+.1f} |")  # fmt: skip


if __name__ == "__main__":
    main()
