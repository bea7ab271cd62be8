"""Which per-round figure keeps the paired gate's power on noise of two shapes (simulated).

Run: ``python benchmarks/bench_round_figure.py [--comparisons 600]``.

Each candidate round figure (benchmarks/bench_floor.py's) is played through the gate's own
sequential rule (paired/sequential.py: the default design, its looks, alpha spending and
futility) on simulated runs of two shapes seen on this project's 2-vCPU VMs:

- ``spiky``: each run a floor with 2% jitter, and one run in four 1.3-3x its floor while its
  pair partner is not (the shape measured when the floor was chosen; a process effect of sd
  3% per round);
- ``two-level``: runs in a fast or a slow state 1.55x apart, switching every few runs, the
  two runs of a pair in the same state 86% of the time, the fast state 47.5% of runs (fitted
  to the CPU-loop tests of bench_paired.py on 2026-12-04, when +10% was caught 8 times in 12);
- ``heavy``: neither: every run log-normal with an 8% spread, and a process effect of 6%.

Reported per shape and figure: A/A false alarms, mean rounds and measured pairs of an A/A test,
and the shares of +10% changes caught and of +60% changes caught (a quarter as many
comparisons): a figure that reads levels can mistake a large change for the noise's slow level.
The gate's own row: the floor, each round going on (up to twice its pairs) until both floors
stand on one level (PairedDesign.level_band, stats.level); the row before it: rounds cut at
their pairs, as until 0.1.0's last change. Pure simulation, so the figures do not depend on this
machine.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
from collections.abc import Callable

from bench_designs import cut
from bench_floor import FIGURES, Pairs, matched_pairs

import pytest_greenbudget.paired.sequential as sequential
import pytest_greenbudget.paired.stats as stats
from pytest_greenbudget.paired.stats import DEFAULT_DESIGN, PairedDesign

FLOOR = stats.round_effect  # the gate's own, kept before any candidate stands in for it
CUT = PairedDesign(level_band=None)  # rounds cut at their pairs, whatever their levels
ACROSS = "median of same-level pairs (each side's level from its lowest run in all rounds)"
GATED = "the same, only where a side's slow runs form a tight level of their own; else the floor"
GATE = "floor, each round going on until both floors stand on one level (the gate's)"
Shape = Callable[[float, random.Random], Callable[[int], list[tuple[float, float]]]]


def spiky(ratio: float, rng: random.Random) -> Callable[[int], list[tuple[float, float]]]:
    def run(level: float) -> float:
        jitter = level * math.exp(rng.gauss(0, 0.02))
        return jitter * (1 + rng.uniform(0.3, 2.0)) if rng.random() < 0.25 else jitter

    def one_round(pairs: int) -> list[tuple[float, float]]:
        layout = math.exp(rng.gauss(0, 0.03))
        return [(run(ratio * layout), run(1.0)) for _ in range(pairs)]

    return one_round


def two_level(ratio: float, rng: random.Random) -> Callable[[int], list[tuple[float, float]]]:
    def run(fast: bool) -> float:
        return (1.0 if fast else 1.55) * math.exp(rng.gauss(0, 0.02))

    def one_round(pairs: int) -> list[tuple[float, float]]:
        layout = math.exp(rng.gauss(0, 0.03))
        out = []
        for _ in range(pairs):
            first = rng.random() < 0.475
            second = first if rng.random() < 0.86 else not first
            head, base = (first, second) if rng.random() < 0.5 else (second, first)
            out.append((ratio * layout * run(head), run(base)))
        return out

    return one_round


Rounds = list[list[tuple[float, float]]]
FigureFor = Callable[[Rounds], Callable[[Pairs], float]]  # a test's rounds -> its round figure


def heavy(ratio: float, rng: random.Random) -> Callable[[int], list[tuple[float, float]]]:
    """Neither spikes nor levels: runs log-normal with 8% spread, a process effect of 6%."""

    def one_round(pairs: int) -> list[tuple[float, float]]:
        layout = math.exp(rng.gauss(0, 0.06))
        return [(ratio * layout * math.exp(rng.gauss(0, 0.08)), math.exp(rng.gauss(0, 0.08)))
                for _ in range(pairs)]  # fmt: skip

    return one_round


def compare(
    one_round: Callable[[int], list[tuple[float, float]]],
    design: PairedDesign,
    figure_for: FigureFor | None = None,
) -> tuple[str, int, int]:
    """One comparison as the schedule makes it (a quiet first round ends early; a round goes
    on while its floors stand on two levels); (verdict, rounds, measured pairs).
    ``figure_for``: the round figure from all the test's rounds so far, re-read at every look
    (a figure that learns from the other rounds); None: the gate's floor."""
    rounds: Rounds = []
    while True:
        rounds.append(cut(design, rounds, one_round(design.most_pairs(rounds))))
        figure = FLOOR if figure_for is None else _ignoring_planned(figure_for(rounds))
        # The looks read each round through these two names: the candidate stands in.
        sequential.round_effect = stats.round_effect = figure
        look = sequential.Look.at(rounds, 0.05, design)
        if look.stop:
            return look.verdict, len(rounds), sum(len(r) for r in rounds)


def _ignoring_planned(figure: Callable[[Pairs], float]) -> Callable[..., float]:
    """A candidate figure as the looks call the floor: with the design's pairs beside the
    round, which a candidate does not read (it is played with rounds cut at their pairs)."""
    return lambda pairs, planned=None: figure(pairs)


def same_level_across_rounds(rounds: Rounds, within: float = 1.3) -> Callable[[Pairs], float]:
    """bench_floor.matched_pairs with each side's fast level read from its lowest run over
    all the test's rounds so far: a round in which one side has no fast run still finds its
    slow-slow pairs, and a large change moves that side's level with it."""
    low_h = min(h for pairs in rounds for h, _ in pairs)
    low_b = min(b for pairs in rounds for _, b in pairs)
    return lambda pairs: matched_pairs(pairs, within=within, lows=(low_h, low_b))


def same_level_where_levels(
    rounds: Rounds, within: float = 1.3, tight: float = 0.05, least: int = 3
) -> Callable[[Pairs], float]:
    """same_level_across_rounds only where a side's slow runs form a level of their own: at
    least ``least`` runs above ``within`` of its lowest run, their logs' SD under ``tight``
    (two levels: one tight cluster; spikes: spread out); else the floor."""
    lows = (
        min(h for pairs in rounds for h, _ in pairs),
        min(b for pairs in rounds for _, b in pairs),
    )

    def leveled(values: list[float], low: float) -> bool:
        slow = [math.log(v) for v in values if v >= low * within]
        return len(slow) >= least and statistics.pstdev(slow) < tight

    heads = [h for pairs in rounds for h, _ in pairs]
    bases = [b for pairs in rounds for _, b in pairs]
    if leveled(heads, lows[0]) or leveled(bases, lows[1]):
        return lambda pairs: matched_pairs(pairs, within=within, lows=lows)
    return FLOOR


def play(
    figure_for: FigureFor | None, design: PairedDesign, shape: Shape, n: int
) -> tuple[float, float, float, float, float]:
    rng = random.Random(11)
    aa = [compare(shape(1.0, rng), design, figure_for) for _ in range(n)]
    hits = [compare(shape(1.10, rng), design, figure_for) for _ in range(n)]
    large = [compare(shape(1.60, rng), design, figure_for) for _ in range(max(1, n // 4))]
    false = sum(v == "regressed" for v, _, _ in aa) / n
    rounds = sum(r for _, r, _ in aa) / n
    pairs = sum(p for _, _, p in aa) / n
    caught = sum(v == "regressed" for v, _, _ in hits) / n
    return false, rounds, pairs, caught, sum(v == "regressed" for v, _, _ in large) / len(large)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--comparisons", type=int, default=600, help="per shape, figure and case")
    args = parser.parse_args()
    print(f"{args.comparisons} A/A and {args.comparisons} +10% comparisons per cell\n")
    print("| shape | round figure | A/A false alarms | A/A rounds (mean) | A/A pairs (mean) | "
          "+10% caught | +60% caught |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    for shape_name, shape in (("spiky", spiky), ("two-level", two_level), ("heavy", heavy)):
        candidates: list[tuple[str, FigureFor | None, PairedDesign]] = [
            (f"{name}, rounds cut at their pairs", lambda _rounds, figure=figure: figure, CUT)
            for name, figure in FIGURES.items()
        ]
        candidates.append((ACROSS, same_level_across_rounds, CUT))
        candidates.append((GATED, same_level_where_levels, CUT))
        candidates.append((GATE, None, DEFAULT_DESIGN))
        for name, figure_for, design in candidates:
            false, rounds, pairs, caught, large = play(figure_for, design, shape, args.comparisons)
            print(f"| {shape_name} | {name} | {false:.1%} | {rounds:.2f} | {pairs:.1f} | "
                  f"{caught:.1%} | {large:.0%} |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
