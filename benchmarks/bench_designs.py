"""Which paired design (pairs per round, cap) buys a verdict for the fewest runs, on this machine.

Run: ``python benchmarks/bench_designs.py [--runs 2] [--rounds 10] [--reps 300]``.

Measures, then resamples. First it measures A/A rounds: bench_paired.py's ten tests, the base
unchanged, ``--runs`` paired runs of ``--rounds`` forced rounds of 12 pairs each (no look stops
them), one core spinning. Then each candidate design is played ``--reps`` times per test by
drawing whole measured rounds at random (a round is a fresh pair of processes, the unit the
t-test needs) and keeping each drawn round's first ``pairs`` pairs, through the gate's own
looks (paired/sequential.py), each round keeping the pairs the design asks for (fewer after a
quiet first round, where the design says so). A change is the head's readings times 1.10 (or
1.075, 1.60) for the two CPU-loop tests, whose energy scales with their work.

Per design: A/A false alarms, the mean rounds and measured runs per A/A test (the cost a team
pays on a pull request that changes nothing), +10% caught and its rounds, how often +7.5% read
"unchanged" (the miss near the 5% tolerance), and the rounds +60% took. Runs per test is the
machine-free cost; a wall time also needs start-ups (bench_paired.py measures those).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from bench_paired import BASE, THREADS, WORK, make_repo
from machine import print_machine

from pytest_greenbudget.paired.sequential import Look
from pytest_greenbudget.paired.stats import DEFAULT_DESIGN, PairedDesign

Round = list[tuple[float, float]]
MEASURED_PAIRS = 12
CPU = ("test_cpu_loop", "test_cpu_loop_twin")
# (pairs, cap, pairs after a quiet first round; None: the same in every round)
DESIGNS = [(6, 10, None), (4, 10, None), (4, 8, None), (4, 10, 1), (4, 10, 2), (3, 10, None),
           (2, 10, None)]  # fmt: skip


def measure(runs: int, rounds: int, tmp: Path, keep: Path | None) -> list[Path]:
    """The reports of ``runs`` forced A/A paired runs (kept in ``keep`` when given)."""
    repo = tmp / "repo"
    sha = make_repo(repo)
    (repo / "work.py").write_text(WORK.format(**BASE) + "\n# touched by the head\n")
    reports = []
    for run in range(runs):
        report = (keep or tmp) / f"designs-aa{run + 1}.json"
        subprocess.run(
            [sys.executable, "-m", "pytest", f"--greenbudget-against={sha}",
             f"--greenbudget-against-rounds={rounds}:{rounds}",
             f"--greenbudget-against-pairs={MEASURED_PAIRS}", f"--greenbudget-report={report}"],
            cwd=repo, env={**os.environ, **THREADS}, capture_output=True, check=False,
        )  # fmt: skip
        reports.append(report)
        print(f"  measured run {run + 1}/{runs}", flush=True)
    return reports


def rounds_of(reports: list[Path]) -> dict[str, list[Round]]:
    found: dict[str, list[Round]] = {}
    for report in reports:
        for test in json.loads(report.read_text())["tests"]:
            pairs = [(float(h), float(b)) for h, b in test["baseline"]["pairs"]]
            name = test["nodeid"].split("::")[-1]
            for at in range(0, len(pairs), MEASURED_PAIRS):
                found.setdefault(name, []).append(pairs[at : at + MEASURED_PAIRS])
    return found


def play(
    rounds: list[Round], design: PairedDesign, change: float, rng: random.Random
) -> tuple[Look, int]:
    """One comparison, as the schedule makes it: a drawn round, a look, until the test leaves;
    with the measured runs it took."""
    seen: list[Round] = []
    while True:
        drawn = rng.choice(rounds)[: design.pairs_for(seen)]  # fewer after a quiet first
        seen.append(cut(design, seen, [(head * change, base) for head, base in drawn]))
        look = Look.at(seen, 0.05, design)
        if look.stop:
            return look, 2 * sum(len(r) for r in seen)


def cut(design: PairedDesign, seen: list[Round], drawn: Round) -> Round:
    """The pairs the schedule would have measured: a quiet first round ends after two."""
    for n in range(1, len(drawn) + 1):
        if design.round_done(seen, drawn[:n]):
            return drawn[:n]
    return drawn


def row(data: dict[str, list[Round]], design: PairedDesign, reps: int) -> str:
    rng = random.Random(20261203)
    aa = [play(r, design, 1.0, rng) for r in data.values() for _ in range(reps)]
    hit = [play(data[t], design, 1.10, rng)[0] for t in CPU for _ in range(reps)]
    near = [play(data[t], design, 1.075, rng)[0] for t in CPU for _ in range(reps)]
    big = [play(data[t], design, 1.60, rng)[0] for t in CPU for _ in range(reps // 3)]
    verdicts = Counter(look.verdict for look, _ in aa)
    rounds = statistics.mean(look.result.rounds for look, _ in aa)
    runs = statistics.mean(n for _, n in aa)
    caught = sum(look.verdict == "regressed" for look in hit) / len(hit)
    missed = sum(look.verdict == "unchanged" for look in near) / len(near)
    quiet = "-" if design.quiet_pairs is None else str(design.quiet_pairs)
    return (
        f"| {design.pairs} | {quiet} | {design.max_rounds} | {verdicts['regressed']}/{len(aa)} "
        f"| {rounds:.2f} | {runs:.1f} | {caught:.0%} "
        f"(rounds {statistics.median(look.result.rounds for look in hit):g}) | {missed:.1%} "
        f"| {statistics.median(look.result.rounds for look in big):g} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=2, help="forced A/A paired runs to measure")
    parser.add_argument("--rounds", type=int, default=10, help="rounds per measured run")
    parser.add_argument("--reps", type=int, default=300, help="comparisons per test and design")
    parser.add_argument("--keep", type=Path, help="a folder to keep the measured reports in")
    parser.add_argument("--reports", type=Path, nargs="+", help="resample these; measure none")
    args = parser.parse_args()
    print_machine("load:   one process spinning on a core, plus the machine's other users")
    reports = args.reports
    if not reports:
        spinner = subprocess.Popen([sys.executable, "-c", "while 1: pass"])
        try:
            with tempfile.TemporaryDirectory(prefix="bench-designs-") as tmp:
                reports = measure(args.runs, args.rounds, Path(tmp), args.keep)
                data = rounds_of(reports)
        finally:
            spinner.kill()
    else:
        data = rounds_of(reports)
    d = DEFAULT_DESIGN
    print(f"\n{sum(len(r) for r in data.values())} measured rounds of {MEASURED_PAIRS} pairs "
          f"({len(data)} tests); default design: {d.pairs} pairs, {d.quiet_pairs} after a "
          f"quiet first round, cap {d.max_rounds}\n")  # fmt: skip
    print(
        "| pairs | after a quiet first round | cap | A/A false alarms | A/A rounds per test "
        "| A/A runs per test | +10% caught | +7.5% read unchanged | +60%: rounds |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for pairs, cap, quiet in DESIGNS:
        design = PairedDesign(pairs=pairs, max_rounds=cap, quiet_pairs=quiet)
        print(row(data, design, args.reps), flush=True)


if __name__ == "__main__":
    main()
