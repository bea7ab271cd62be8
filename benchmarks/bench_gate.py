"""False alarms and detections of the regression gate, on the example suite, on this machine.

Run: ``python benchmarks/bench_gate.py [--rounds N] [--default-rounds M] [--base-runs K]``
(6-7 minutes with the defaults on a busy 2-vCPU VM).

Three variants of ``examples/``, each copied to a temporary directory:

- ``A``: the suite as it is, through the same shim with nothing extra to do;
- ``B+10%`` and ``B+30%``: the same suite with a known change. A shim appended to the copy's
  ``tinyml.py`` reads ``GB_BENCH_EXTRA`` and repeats exactly that fraction of the training
  steps (with learning rate 0, so the same arithmetic runs and the model is unchanged) and of
  the ``predict`` calls. Every measured test spends its time in those two loops, so its work
  grows by that fraction; the measured ratio is printed to check it.

Each round measures a fresh baseline (``A`` with ``--greenbudget-report``), then for each
variant, in an order that rotates round by round:

- the gate inside pytest: ``--greenbudget-baseline base.json`` (a flagged test is measured
  once more and only fails when that confirms it);
- the CI workflow: a plain run writing ``head.json``, then ``greenbudget compare base head``
  (one measurement, no confirmation).

With ``--base-runs K`` the baseline is a history instead: the newest K base runs (each round
adds its fresh one; K - 1 are measured before the first round), given to the gate as K
``--greenbudget-baseline`` flags and to ``compare`` as one ``greenbudget merge --keep-runs K``
file, so each test is judged by its own noise between those runs.

A/A rounds count false alarms (``regressed`` verdicts where nothing changed); A/B rounds count
detections. Each pytest run is a fresh subprocess with ``-p no:cacheprovider``, on the default
meter. The machine is shared: other jobs run beside this one, and that noise is part of what
is measured, not something filtered out.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from machine import print_machine

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
VARIANTS: dict[str, str] = {"A": "0", "B+10%": "0.10", "B+30%": "0.30"}
SCENARIOS: dict[str, str] = {"A/A": "A", "A/B +10%": "B+10%", "A/B +30%": "B+30%"}
GATE_REPEATS = 5
BASES: list[Path] = []  # every base run so far, oldest first
HISTORY = [1]  # base runs a baseline holds (--base-runs); a list so main can set it
CONFIRMED = "confirmed by a second measurement"
NOT_CONFIRMED = "a second one did not confirm"

# Appended to the copy of tinyml.py. Module-level names are rebound, so fit() (which looks up
# _step at call time) and every model's predict() pick the wrapped versions up.
SHIM = '''

# ---- added by benchmarks/bench_gate.py: a known change, proportional to the work ----
import os as _os
from fractions import Fraction as _Fraction

_EXTRA = _Fraction(_os.environ.get("GB_BENCH_EXTRA", "0"))


class _Share:
    """Extra calls owed after each call: exactly _EXTRA of all calls, evenly spread.
    Integer arithmetic only: this runs in A too and must cost next to nothing."""

    def __init__(self) -> None:
        self.owed, self.num, self.den = 0, _EXTRA.numerator, _EXTRA.denominator

    def __call__(self) -> int:
        self.owed += self.num
        due = self.owed // self.den
        self.owed -= due * self.den
        return due


# Wrapped in every variant, A (GB_BENCH_EXTRA=0) included, so the wrapper's own cost is the
# same on both sides and only the repeated work differs.
_plain_step, _plain_predict = _step, MLP.predict
_step_share, _predict_share = _Share(), _Share()


def _step(model: MLP, x: np.ndarray, y: np.ndarray, lr: float) -> None:
    for _ in range(_step_share()):
        _plain_step(model, x, y, 0.0)  # the same arithmetic; lr 0 leaves the model as is
    _plain_step(model, x, y, lr)


def _predict(self: MLP, x: np.ndarray) -> np.ndarray:
    for _ in range(_predict_share()):
        _plain_predict(self, x)
    return _plain_predict(self, x)


MLP.predict = _predict
'''


@dataclass
class Tally:
    """What one scenario at one repeats setting produced, over all rounds."""

    trials: int = 0
    gate_regressed: int = 0
    gate_first_flags: int = 0
    gate_cleared: int = 0
    compare_regressed: int = 0
    compare_inconclusive: int = 0  # could not have seen a change of the tolerance
    compare_exit_1: int = 0
    rounds: int = 0
    ratios: dict[str, list[float]] = field(default_factory=dict)
    base_cvs: dict[str, list[float]] = field(default_factory=dict)
    detectable: list[float] = field(default_factory=list)
    other_verdicts: list[str] = field(default_factory=list)
    alarms: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- machine


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def print_machine_and_load() -> None:
    print_machine(
        f"load:   {load_average()} (1/5/15 min) at start",
        "note:   a shared VM: other engineers' test runs ran beside this benchmark, which is",
        "        the noise a real CI runner sees; the figures include it.",
    )


# ---------------------------------------------------------------- variants and runs


def make_variants(tmp: Path) -> dict[str, Path]:
    """One copy of examples/ per variant, each with the shim; GB_BENCH_EXTRA picks the change."""
    ignore = shutil.ignore_patterns("__pycache__", ".pytest_cache", "*.json")
    copies: dict[str, Path] = {}
    for index, name in enumerate(VARIANTS):
        # Same directory name length for every copy: nothing path-dependent differs.
        target = tmp / f"variant{index}" / "examples"
        shutil.copytree(EXAMPLES, target, ignore=ignore)
        with (target / "tinyml.py").open("a", encoding="utf-8") as out:
            out.write(SHIM)
        copies[name] = target
    return copies


def child_env(extra: str, pycache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update(GB_BENCH_EXTRA=extra, PYTHONHASHSEED="0", PYTHONPYCACHEPREFIX=str(pycache))
    return env


def run_pytest(cwd: Path, extra: str, args: Sequence[str], pycache: Path) -> int:
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args]
    done = subprocess.run(
        cmd, cwd=cwd, env=child_env(extra, pycache), capture_output=True, text=True, check=False
    )
    # 1 is the gate failing a test, as it should whenever it flags one. Anything else is broken.
    if done.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(cmd)} in {cwd} exited {done.returncode}:\n{done.stdout}")
    return done.returncode


def greenbudget_compare(base: Path, head: Path) -> tuple[int, dict[str, dict]]:
    program = "import sys; from pytest_greenbudget.cli import main; sys.exit(main())"
    cmd = [sys.executable, "-c", program, "compare", "--json", str(base), str(head)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode not in (0, 1):
        raise RuntimeError(f"greenbudget compare exited {done.returncode}: {done.stderr}")
    return done.returncode, tests_of(json.loads(done.stdout))


def tests_of(report: dict) -> dict[str, dict]:
    """Measured tests only: entries with samples (skipped and unmeasured ones have none)."""
    return {t["nodeid"]: t for t in report["tests"] if t.get("samples_j")}


def read_tests(path: Path) -> dict[str, dict]:
    return tests_of(json.loads(path.read_text(encoding="utf-8")))


# ---------------------------------------------------------------- one round


def one_round(
    copies: dict[str, Path], order: Sequence[str], repeats: list[str], work: Path
) -> dict[str, tuple[dict[str, dict], int, dict[str, dict]]]:
    """A fresh baseline, then the gate and a plain run + compare per variant."""
    base, newest = base_history(copies, repeats, work)
    out: dict[str, tuple[dict[str, dict], int, dict[str, dict]]] = {}
    for name in order:
        gated, head = work / f"gated-{name}.json", work / f"head-{name}.json"
        gate_args = [
            *(f"--greenbudget-baseline={b}" for b in newest),
            f"--greenbudget-report={gated}",
        ]
        run_pytest(copies[name], VARIANTS[name], [*repeats, *gate_args], work)
        run_pytest(copies[name], VARIANTS[name], [*repeats, f"--greenbudget-report={head}"], work)
        code, compared = greenbudget_compare(base, head)
        out[name] = (read_tests(gated), code, compared)
    return out


def base_run(copies: dict[str, Path], repeats: list[str], work: Path) -> Path:
    base = work / f"base-{len(BASES)}.json"
    run_pytest(copies["A"], VARIANTS["A"], [*repeats, f"--greenbudget-report={base}"], work)
    BASES.append(base)
    return base


def base_history(
    copies: dict[str, Path], repeats: list[str], work: Path
) -> tuple[Path, list[Path]]:
    """A fresh base run; the baseline file for compare and the runs for the gate's flags."""
    base_run(copies, repeats, work)
    newest = BASES[-HISTORY[0] :]
    if len(newest) == 1:
        return newest[0], newest
    merged = work / "history.json"
    program = "import sys; from pytest_greenbudget.cli import main; sys.exit(main())"
    cmd = [sys.executable, "-c", program, "merge", f"--keep-runs={HISTORY[0]}", str(merged)]
    subprocess.run([*cmd, *map(str, newest)], capture_output=True, text=True, check=True)
    return merged, newest


def add_round(tally: Tally, gated: dict[str, dict], code: int, compared: dict[str, dict]) -> None:
    tally.rounds += 1
    tally.compare_exit_1 += code == 1
    for nodeid, entry in gated.items():
        message = entry.get("message") or ""
        tally.trials += 1
        tally.gate_regressed += entry["verdict"] == "regressed"
        tally.gate_first_flags += CONFIRMED in message or NOT_CONFIRMED in message
        tally.gate_cleared += NOT_CONFIRMED in message
        if entry["verdict"] == "regressed":
            tally.alarms.append(f"gate round {tally.rounds}: {nodeid}: {message}")
        if entry["verdict"] not in ("regressed", "unchanged", "improved", "inconclusive"):
            tally.other_verdicts.append(f"gate {nodeid}: {entry['verdict']}")
    for nodeid, entry in compared.items():
        tally.compare_regressed += entry["verdict"] == "regressed"
        tally.compare_inconclusive += entry["verdict"] == "inconclusive"
        if entry["baseline"].get("detectable") is not None:
            tally.detectable.append(entry["baseline"]["detectable"])
        if entry["verdict"] == "regressed":
            tally.alarms.append(f"compare round {tally.rounds}: {nodeid}: {entry['message']}")
        # Ratios from the plain run: unbiased by the gate's second look at flagged tests.
        tally.ratios.setdefault(nodeid, []).append(entry["baseline"]["ratio"])
        tally.base_cvs.setdefault(nodeid, []).append(cv(entry["baseline"]["samples_j"]))


def run_setting(
    copies: dict[str, Path], repeats: list[str], rounds: int, work: Path, label: str
) -> dict[str, Tally]:
    tallies = {scenario: Tally() for scenario in SCENARIOS}
    names = list(VARIANTS)
    BASES.clear()
    for _ in range(HISTORY[0] - 1):  # the history the first round compares with
        base_run(copies, repeats, work)
    for r in range(rounds):
        started = time.perf_counter()
        # Rotate the order, so no variant always runs right after the baseline.
        order = names[r % len(names) :] + names[: r % len(names)]
        results = one_round(copies, order, repeats, work)
        for scenario, variant in SCENARIOS.items():
            add_round(tallies[scenario], *results[variant])
        took = time.perf_counter() - started
        print(f"  {label} round {r + 1}/{rounds}: {took:.0f} s, load {load_average()}")
    return tallies


# ---------------------------------------------------------------- figures


def cv(samples: Sequence[float]) -> float:
    return statistics.stdev(samples) / statistics.mean(samples) if len(samples) > 1 else 0.0


def wilson(hits: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% interval of a rate: with 0 of 24 seen, the true rate may still be ~14%."""
    if n == 0:
        return 0.0, 1.0
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def rate(hits: int, n: int) -> str:
    low, high = wilson(hits, n)
    return f"{hits / n:.0%} ({low:.0%}-{high:.0%})" if n else "-"


def all_ratios(tally: Tally) -> list[float]:
    return [r for ratios in tally.ratios.values() for r in ratios]


def print_table(results: dict[str, dict[str, Tally]]) -> None:
    print(
        "| scenario | repeats | tests x rounds | gate: regressed | gate rate (95% CI) "
        "| gate: first-pass flags (cleared) | compare: regressed | compare rate (95% CI) "
        "| compare: inconclusive | median detectable change | median measured ratio |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for repeats, tallies in results.items():
        for scenario, t in tallies.items():
            ratios = all_ratios(t)
            ratio = f"{statistics.median(ratios):.3f}" if ratios else "-"
            print(
                f"| {scenario} | {repeats} | {t.trials // max(t.rounds, 1)} x {t.rounds} "
                f"| {t.gate_regressed} | {rate(t.gate_regressed, t.trials)} "
                f"| {t.gate_first_flags} ({t.gate_cleared}) | {t.compare_regressed} "
                f"| {rate(t.compare_regressed, len(ratios))} | {t.compare_inconclusive} "
                f"| {_median_change(t.detectable)} | {ratio} |"
            )
    print()


def _median_change(values: Sequence[float]) -> str:
    return f"+{statistics.median(values):.0%}" if values else "-"


def spread(values: Sequence[float]) -> str:
    return f"{statistics.median(values):.3f} [{min(values):.2f}-{max(values):.2f}]"


def print_per_test(results: dict[str, dict[str, Tally]]) -> None:
    """Per test: does the measured ratio match the injected change, and how does the noise
    within one run (the CV the statistics see) compare with the drift between runs?"""
    print("Per test: median within-run CV of the base samples; measured ratio head/base from")
    print("the plain runs, median [min-max] over rounds.")
    for repeats, tallies in results.items():
        print(f"  repeats {repeats}:")
        for nodeid in sorted({n for t in tallies.values() for n in t.ratios}):
            cvs = [c for t in tallies.values() for c in t.base_cvs.get(nodeid, [])]
            cells = [
                f"{s} {spread(t.ratios[nodeid])}"
                for s, t in tallies.items()
                if t.ratios.get(nodeid)
            ]
            print(f"    {nodeid}: CV {statistics.median(cvs):.1%}")
            print(f"      {'; '.join(cells)}")
    print()


def print_notes(results: dict[str, dict[str, Tally]]) -> None:
    for repeats, tallies in results.items():
        for scenario, t in tallies.items():
            # In A/A every regressed verdict is a false alarm: show what it saw.
            for note in t.alarms if scenario == "A/A" else ():
                print(f"  repeats {repeats}, false alarm, {note}")
            for note in t.other_verdicts:
                print(f"  repeats {repeats}, {scenario}: {note}")
            print(
                f"  repeats {repeats}, {scenario}: greenbudget compare exited 1 in "
                f"{t.compare_exit_1} of {t.rounds} rounds"
            )


def cpu_ticks() -> tuple[int, int]:
    """(steal, total) jiffies from /proc/stat: time the hypervisor gave to other guests."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    return (fields[7] if len(fields) > 7 else 0), sum(fields)


# ---------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help=f"rounds at repeats {GATE_REPEATS}")
    parser.add_argument(
        "--changes",
        default="0.10,0.30",
        help="the A/B changes to inject, as fractions of the work (default 0.10,0.30)",
    )
    parser.add_argument(
        "--default-rounds",
        type=int,
        default=2,
        help="rounds at the example's own repeats (greenbudget.yaml); 0 skips",
    )
    parser.add_argument(
        "--base-runs",
        type=int,
        default=1,
        help="base runs in the baseline: 1 is one report; from 3 each test's own noise counts",
    )
    args = parser.parse_args(argv)
    set_changes([c.strip() for c in args.changes.split(",") if c.strip()])
    return args


def set_changes(changes: list[str]) -> None:
    """Rebuild the variants: A, then one B per injected change."""
    VARIANTS.clear()
    SCENARIOS.clear()
    VARIANTS["A"], SCENARIOS["A/A"] = "0", "A"
    for change in changes:
        label = f"+{float(change) * 100:.0f}%"
        VARIANTS[f"B{label}"], SCENARIOS[f"A/B {label}"] = change, f"B{label}"


def print_settings(args: argparse.Namespace) -> None:
    print("## Settings")
    print("suite:     examples/ (copied; measured tests as in examples/greenbudget.yaml)")
    print("meter:     the default (auto; cputime on a VM without RAPL, see report below)")
    print(
        f"repeats:   {GATE_REPEATS} (--greenbudget-repeats) for {args.rounds} rounds; the "
        f"example's own (3) for {args.default_rounds} rounds"
    )
    print("warmup, tolerance: the example's (1 run, 5%); gate p < 0.01 one-sided")
    print("per round: a fresh baseline; per variant a gated run and a plain run + compare")
    print(f"baseline:  the newest {HISTORY[0]} base run(s) (--base-runs)")
    changes = " / ".join(name.split()[-1] for name in SCENARIOS if name != "A/A")
    print(f"changes:   {changes} of training steps and predict calls (GB_BENCH_EXTRA)")
    print()


def meter_of() -> str:
    report = json.loads(BASES[-1].read_text(encoding="utf-8"))
    meters = report["environment"].get("meters", {})
    return ", ".join(f"{c}: {m.get('meter')}" for c, m in meters.items()) or "unknown"


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    HISTORY[0] = args.base_runs
    print_machine_and_load()
    print_settings(args)
    started, ticks = time.perf_counter(), cpu_ticks()
    results: dict[str, dict[str, Tally]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-gate-") as tmp:
        work = Path(tmp)
        copies = make_variants(work)
        if args.rounds:
            gate = [f"--greenbudget-repeats={GATE_REPEATS}"]
            results[str(GATE_REPEATS)] = run_setting(copies, gate, args.rounds, work, "repeats 5")
        if args.default_rounds:
            results["3 (yaml)"] = run_setting(copies, [], args.default_rounds, work, "repeats 3")
        meter = meter_of()
    print()
    print(
        f"## Results (meter {meter}; {time.perf_counter() - started:.0f} s; "
        f"load at end {load_average()})"
    )
    steal, total = (end - start for end, start in zip(cpu_ticks(), ticks, strict=True))
    print(f"steal: {steal / max(total, 1):.1%} of the VM's CPU time during the benchmark")
    print()
    print_table(results)
    print_per_test(results)
    print_notes(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
