"""The paired gate (``--greenbudget-against``) against a plain measured run, on this machine.

Run: ``python benchmarks/bench_paired.py [--sessions N] [--rounds 2:10] [--pairs 4] [--unpaired]
[--scale N] [--heads A/A,+10% cpu,...]``.

A git repository in a temporary folder holds five workloads (each 60-150 ms, BLAS pinned to
one thread): two pure-Python CPU loops, a numpy MLP forward pass, and two memory-bound ones
(large array copies, a strided sum). Its one commit is the base. Heads, written into the
working tree in turn (never committed):

- ``A/A``: the base unchanged;
- ``+10% cpu``: 10% more iterations in the CPU loop (``test_cpu_loop`` and its twin) only;
- ``+30% mem``: 8 array copies instead of 6 (+33%) in ``test_mem_copy`` and its twin only;
- ``+60% cpu``: 60% more iterations in the CPU loop only (rounds to decide it);
- ``untouched``: a new module that no test imports (no file a test runs changes).

Each workload is tested twice (``test_X`` and ``test_X_twin``): ten tests, twice the
comparisons per session for the same process start-ups. A second repository, ``quiet``, runs
the same workloads measured by a meter with a 1% CV (standing in for NVML's counter), A/A: as
it is (no cost per window), with ``--greenbudget-against-pairs 1``, and waiting for 100 ms
counter ticks at each window's edges as the NVML meter does (about 0.2 s per measured window,
in the plain run as in the paired one; unmeasured runs wait for none).

Per session, for each head in an order that rotates: the paired gate
``pytest --greenbudget-against=<base sha>`` (one job), then a plain measured run of the base
(``--greenbudget-report base.json``, from a second checkout): the cost reference, measured
right beside each paired run. With ``--unpaired`` also today's unpaired gate (the head with
``--greenbudget-baseline base.json``). Every unchanged test of every head is an A/A
comparison; the changed tests are detections. A process spinning on one core
(``python -c "while 1: pass"``) loads the machine throughout, beside whatever the other users of
this machine run. Default meter (CPU-time model here).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from machine import print_machine

from pytest_greenbudget.paired.stats import DEFAULT_DESIGN

WORK = '''"""Benchmark workloads; the constants are what a head changes."""
import numpy as np

CPU_N = {cpu_n}
MEM_COPIES = {mem_copies}


def cpu_loop(n=CPU_N):
    total = 0
    for i in range(n):
        total += i * i % 7
    return total


def cpu_dict(n=300_000):
    table = {{}}
    for i in range(n):
        table[i % 1024] = table.get(i % 1024, 0) + i
    return len(table)


def mlp(steps=10):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((256, 256))
    w1, w2 = rng.standard_normal((256, 256)) / 16, rng.standard_normal((256, 10)) / 16
    for _ in range(steps):
        out = np.tanh(x @ w1) @ w2
    return float(out.sum())


def mem_copy(copies=MEM_COPIES):
    a = np.ones(4_000_000)
    for _ in range(copies):
        b = a.copy()
    return float(b[0])


def mem_strided(reps=6):
    a = np.ones(16_000_000, dtype=np.float32)
    return float(sum(a[::4].sum() for _ in range(reps)))
'''

TEST = """
@budget
def test_{name}{twin}():
    for _ in range(SCALE):
        assert work.{name}() {check}
"""
CHECKS = {"cpu_loop": ">= 0", "cpu_dict": "== 1024", "mlp": "== work.mlp(10)",
          "mem_copy": "== 1.0", "mem_strided": "> 0"}  # fmt: skip
# Each workload twice: twice the comparisons per session for the same start-up costs.
HEADER = (
    'import pytest\nimport work\n\nSCALE = 1\nbudget = pytest.mark.greenbudget(energy="1 kJ")\n'
)
TESTS = HEADER + "".join(
    TEST.format(name=name, twin=twin, check=check)
    for name, check in CHECKS.items()
    for twin in ("", "_twin")
)

INI = "[pytest]\naddopts = -p no:cacheprovider -p no:hypothesispytest -p no:benchmark -q\n"
BASE = {"cpu_n": 600_000, "mem_copies": 6}
CPU_TESTS = ("test_cpu_loop", "test_cpu_loop_twin")
HEADS: dict[str, tuple[dict[str, int], tuple[str, ...]]] = {
    "A/A": (BASE, ()),
    "+10% cpu": ({**BASE, "cpu_n": 660_000}, CPU_TESTS),
    "+30% mem": ({**BASE, "mem_copies": 8}, ("test_mem_copy", "test_mem_copy_twin")),
    "+60% cpu": ({**BASE, "cpu_n": 960_000}, CPU_TESTS),
    "untouched": (BASE, ()),  # a new module that no test imports
}
# The quiet meter: the energy a test declares, times exp(N(0, 1%)); wall and CPU are real.
# With QUIET_TICK_S set, each window also waits for the counter's ticks as the NVML meter does
# (meters/nvml_window.py): the start at the next tick, the stop for the next tick and one
# more, outside the window; about 0.2 s per window at an H200's 100 ms ticks.
QUIET_METER = """import math, os, random, time
import pytest
from pytest_greenbudget.meters.base import (
    ComponentChoice, ComponentReading, MeterDescription, Reading)

LEDGER = [0.0]
TICK = float(os.environ.get("QUIET_TICK_S") or 0)

def burn(joules):
    LEDGER[0] += joules

def next_tick():
    if TICK:
        target = (time.monotonic() // TICK + 1) * TICK
        while time.monotonic() < target:
            time.sleep(0.001)

class QuietMeter:
    name = "quiet"
    def start(self):
        next_tick()
        return LEDGER[0], time.perf_counter(), time.process_time()
    def stop(self, token):
        energy = (LEDGER[0] - token[0]) * math.exp(random.gauss(0.0, 0.01))
        comp = ComponentReading(energy, "measured", self.name)
        reading = Reading({"gpu:0": comp}, time.perf_counter() - token[1],
                          time.process_time() - token[2])
        next_tick()  # the window's end tick
        next_tick()  # the idle tick after it
        return reading
    def describe(self):
        return MeterDescription(self.name, {"gpu:0": ComponentChoice(self.name, "measured", "")})
    def close(self):
        pass

@pytest.hookimpl(optionalhook=True)
def pytest_greenbudget_make_meter(config, name):
    return QuietMeter() if name == "auto" else None
"""
QUIET_TESTS = TESTS.replace("import work\n", "import work\nimport quietmeter\n").replace(
    "        assert work.", "        quietmeter.burn(1.0)\n        assert work."
)
NVML_TICK_S = 0.1  # an H200's energy counter (docs/architecture.md)
THREADS = {v: "1" for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def make_repo(path: Path, quiet: bool = False, scale: int = 1) -> str:
    """``scale``: each test runs its workload that many times (1: 40-110 ms a test here)."""
    path.mkdir()
    (path / "work.py").write_text(WORK.format(**BASE))
    tests = QUIET_TESTS if quiet else TESTS
    (path / "test_work.py").write_text(tests.replace("SCALE = 1\n", f"SCALE = {scale}\n"))
    (path / "pytest.ini").write_text(INI)
    (path / "README.md").write_text("# bench\n")
    if quiet:
        (path / "quietmeter.py").write_text(QUIET_METER)
        (path / "conftest.py").write_text("pytest_plugins = ['quietmeter']\n")
    git(path, "init", "-q")
    git(path, "add", "-A")
    git(path, "-c", "user.name=bench", "-c", "user.email=b@x", "commit", "-qm", "base")
    return git(path, "rev-parse", "HEAD")


def pytest_run(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> tuple[dict[str, dict[str, Any]], float]:
    report = cwd.parent / f"report-{cwd.name}.json"
    began = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "pytest", f"--greenbudget-report={report}", *args],
        cwd=cwd,
        env={**os.environ, **THREADS, **(env or {})},
        capture_output=True,
        check=False,
    )
    wall = time.monotonic() - began
    data = json.loads(report.read_text())
    tests = {t["nodeid"]: t for t in data["tests"]}
    for note in data["environment"]["notes"]:
        if "side by side" in note:  # the paired run's cost: rounds and seconds
            tests["__cost__"] = {"note": note}
    return tests, wall


@dataclass
class Tally:
    verdicts: Counter[str] = field(default_factory=Counter)
    ratios: list[float] = field(default_factory=list)
    rounds: list[int] = field(default_factory=list)  # rounds a paired comparison took


@dataclass
class Results:
    aa: dict[str, Tally] = field(default_factory=dict)  # gate -> A/A comparisons
    hit: dict[tuple[str, str], Tally] = field(default_factory=dict)  # (gate, head)
    cost: dict[str, list[float]] = field(default_factory=dict)  # head -> paired / plain wall
    startup: list[float] = field(default_factory=list)  # per paired run: s per round
    notes: list[str] = field(default_factory=list)

    def add(self, gate: str, head: str, changed: tuple[str, ...], tests: dict, pairs: int) -> None:
        cost = tests.pop("__cost__", None)
        if cost:
            self.notes.append(cost["note"])
            found = re.search(r"([0-9.]+) s of it starting", cost["note"])
            if found:
                self.startup.append(float(found.group(1)))
        for nodeid, entry in tests.items():
            if entry.get("verdict") == "unaffected":
                continue  # not compared at all (no file it runs changed): not an A/A comparison
            base = entry.get("baseline") or {}
            is_change = nodeid.split("::")[-1] in changed
            if is_change:
                tally = self.hit.setdefault((gate, head), Tally())
            else:
                tally = self.aa.setdefault(gate, Tally())
            tally.verdicts[str(entry.get("verdict"))] += 1
            if is_change != (entry.get("verdict") == "regressed"):  # say what it read, and why
                what = "missed" if is_change else "false alarm"
                print(f"    {what} ({gate}, {head}): {nodeid}: {entry.get('message')}")
            if base.get("ratio"):
                tally.ratios.append(float(base["ratio"]))
            if base.get("pairs"):
                tally.rounds.append(len(base.get("floors") or ()) or len(base["pairs"]) // pairs)


def against(sha: str, args: argparse.Namespace) -> list[str]:
    flags = [f"--greenbudget-against={sha}"]
    if args.rounds:
        flags.append(f"--greenbudget-against-rounds={args.rounds}")
    if args.pairs:
        flags.append(f"--greenbudget-against-pairs={args.pairs}")
    return flags


def session(repo: Path, base_copy: Path, sha: str, head: str, args: argparse.Namespace,
            results: Results) -> None:  # fmt: skip
    values, changed = HEADS[head]
    # A/A still edits the file every test runs (a comment), so that test impact pairs them all.
    touched = "\n# touched by the head\n" if head == "A/A" else ""
    (repo / "work.py").write_text(WORK.format(**values) + touched)
    # untouched: a new module no test imports (a README change counts against every test).
    unused = repo / "unused.py"
    unused.unlink(missing_ok=True)
    if head == "untouched":
        unused.write_text("VALUE = 1\n")
    pairs = args.pairs or DEFAULT_DESIGN.pairs
    tests, paired = pytest_run(repo, *against(sha, args))
    results.add("paired", head, changed, tests, pairs)
    _, plain = pytest_run(base_copy)  # a plain measured run: the cost reference, right beside
    results.cost.setdefault(head, []).append(paired / plain)
    if args.unpaired:
        base_report = base_copy.parent / f"report-{base_copy.name}.json"
        tests, _ = pytest_run(repo, f"--greenbudget-baseline={base_report}")
        results.add("unpaired", head, changed, tests, pairs)
    print(f"  {head:9} paired {paired:5.1f} s, plain {plain:5.1f} s: {paired / plain:.1f}x",
          flush=True)  # fmt: skip


def quiet_session(quiet: Path, quiet_base: Path, sha: str, args: argparse.Namespace,
                  results: Results, pairs: int | None = None,
                  tick: float = 0.0) -> None:  # fmt: skip
    """The quiet meter's A/A, with the default pairs per round, or with ``pairs``; ``tick``:
    the counter's tick (s) each measured window waits for, as NVML's (0: none)."""
    (quiet / "work.py").write_text(WORK.format(**BASE) + "\n# touched by the head\n")
    flags = against(sha, args) + ([f"--greenbudget-against-pairs={pairs}"] if pairs else [])
    env = {"QUIET_TICK_S": str(tick)}
    tests, paired = pytest_run(quiet, *flags, env=env)
    name = f"quiet A/A, {pairs} pair" if pairs else "quiet A/A"
    name += ", ticks" if tick else ""
    results.add(name, name, (), tests, pairs or args.pairs or DEFAULT_DESIGN.pairs)
    _, plain = pytest_run(quiet_base, env=env)
    results.cost.setdefault(name, []).append(paired / plain)
    print(f"  {name} paired {paired:5.1f} s, plain {plain:5.1f} s: {paired / plain:.1f}x",
          flush=True)  # fmt: skip


def show(results: Results, args: argparse.Namespace, took: float, sessions: int) -> None:
    print(f"\n## Results after {sessions} of {args.sessions} sessions")
    d = DEFAULT_DESIGN
    rounds = args.rounds or f"{d.rounds}:{d.max_rounds}"
    print(f"paired design: rounds {rounds}, {args.pairs or d.pairs} pair(s) per round, "
          f"{d.warmup} warm-up, {d.spending} spending; total {took / 60:.1f} min\n")  # fmt: skip
    aa = results.aa.get("paired", Tally())
    n = sum(aa.verdicts.values())
    rows = [
        (f"A/A false alarms ({n} comparisons)", "<= 1%",
         f"{aa.verdicts['regressed']}/{n} ({_counts(aa.verdicts)}; rounds {_spread(aa.rounds)})"),
        ("+10% single-thread CPU caught", ">= 90%", _caught(results, "+10% cpu")),
        ("+33% memory-bound caught", ">= 90%", _caught(results, "+30% mem")),
        ("a change to no file a test runs: whole run vs a plain measured run", "<= 1.3x",
         _ratio(results, "untouched")),
        ("+60% on one test: rounds to decide it", "<= 2",
         _spread(results.hit.get(("paired", "+60% cpu"), Tally()).rounds)),
        ("A/A, all tests affected: wall vs a plain measured run", "<= 6x", _ratio(results, "A/A")),
        ("+10% caught: wall vs a plain measured run", "<= 10x", _ratio(results, "+10% cpu")),
        ("quiet meter (1% CV), A/A: wall vs a plain measured run", "<= 3x", _quiet(results, "")),
        ("the same with --greenbudget-against-pairs 1", "<= 3x", _quiet(results, ", 1 pair")),
        ("the quiet meter waiting for NVML's 100 ms ticks (about 0.2 s per window), A/A",
         "-", _quiet(results, ", ticks")),
        ("process start-up + collection per round (both sides at once)", "-",
         f"{_median(results.startup, '{:.2f}')} s (median over paired runs)"),
    ]  # fmt: skip
    print("| case | target | measured |\n|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    if args.unpaired:
        un = results.aa.get("unpaired", Tally())
        print(f"\nunpaired gate: A/A {un.verdicts['regressed']}/{sum(un.verdicts.values())}, "
              f"+10% {_caught(results, '+10% cpu', 'unpaired')}, "
              f"+33% {_caught(results, '+30% mem', 'unpaired')}")  # fmt: skip
    for note in results.notes[-3:]:
        print(f"  a paired run: {note.split(' in this job: ')[-1]}")


def _caught(results: Results, head: str, gate: str = "paired") -> str:
    hit = results.hit.get((gate, head), Tally())
    n = sum(hit.verdicts.values())
    return (f"{hit.verdicts['regressed']}/{n} (median ratio {_median(hit.ratios)}, "
            f"rounds {_spread(hit.rounds)})")  # fmt: skip


def _quiet(results: Results, variant: str) -> str:
    tally = results.aa.get(f"quiet A/A{variant}", Tally())
    where = f"{_counts(tally.verdicts)}; rounds {_spread(tally.rounds)}"
    return f"{_ratio(results, f'quiet A/A{variant}')} ({where})"


def _ratio(results: Results, head: str) -> str:
    values = results.cost.get(head, [])
    if not values:
        return "-"
    return f"{statistics.median(values):.1f}x (runs: {', '.join(f'{v:.1f}' for v in values)})"


def _spread(values: list[int]) -> str:
    if not values:
        return "-"
    return f"median {statistics.median(values):g}, {min(values)}-{max(values)}"


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counter.items()))


def _median(values: list[float], form: str = "{:.3f}") -> str:
    return form.format(statistics.median(values)) if values else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=3, help="sessions (each runs every head)")
    parser.add_argument("--rounds", help="--greenbudget-against-rounds (default: the plugin's)")
    parser.add_argument(
        "--pairs", type=int, help="--greenbudget-against-pairs (default: the plugin's)"
    )
    parser.add_argument("--unpaired", action="store_true", help="also the unpaired gate")
    parser.add_argument(
        "--scale", type=int, default=1, help="run each test's workload N times (longer tests)"
    )
    parser.add_argument(
        "--heads",  # argparse %-formats help: the heads' names hold "%"
        help=f"a comma-separated subset of: {', '.join(HEADS)}, quiet (default: all)".replace(
            "%", "%%"
        ),
    )
    args = parser.parse_args()
    chosen = args.heads.split(",") if args.heads else [*HEADS, "quiet"]
    unknown = sorted(set(chosen) - {*HEADS, "quiet"})
    if unknown:
        parser.error(f"unknown heads {unknown} (valid: {', '.join(HEADS)}, quiet)")
    print_machine("load:   one process spinning on a core, plus the machine's other users")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the spinner is stopped too
    load = subprocess.Popen([sys.executable, "-c", "while 1: pass"])
    began = time.monotonic()
    results = Results()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-paired-") as tmp:
            repo, quiet = Path(tmp, "repo"), Path(tmp, "quiet")
            sha = make_repo(repo, scale=args.scale)
            quiet_sha = make_repo(quiet, quiet=True, scale=args.scale)
            base_copy, quiet_base = Path(tmp, "base"), Path(tmp, "quietbase")
            git(repo, "worktree", "add", "--detach", "-q", str(base_copy), sha)
            git(quiet, "worktree", "add", "--detach", "-q", str(quiet_base), quiet_sha)
            heads = [head for head in HEADS if head in chosen]
            for number in range(args.sessions):
                print(f"session {number + 1}/{args.sessions}", flush=True)
                shift = number % len(heads) if heads else 0
                for head in heads[shift:] + heads[:shift]:
                    session(repo, base_copy, sha, head, args, results)
                if "quiet" in chosen:
                    quiet_session(quiet, quiet_base, quiet_sha, args, results)
                    quiet_session(quiet, quiet_base, quiet_sha, args, results, pairs=1)
                    quiet_session(quiet, quiet_base, quiet_sha, args, results, tick=NVML_TICK_S)
                show(results, args, time.monotonic() - began, number + 1)  # so far
    finally:
        load.kill()


if __name__ == "__main__":
    main()
