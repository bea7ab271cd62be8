"""The paired gate (``--greenbudget-against``) against today's unpaired gate, on this machine.

Run: ``python benchmarks/bench_paired.py [--sessions N] [--rounds 5:10] [--pairs 6]``.

A git repository in a temporary folder holds five workloads (each 60-150 ms, BLAS pinned to
one thread): two pure-Python CPU loops, a numpy MLP forward pass, and two memory-bound ones
(large array copies, a strided sum). Its one commit is the base. Three heads, written into the
working tree in turn (never committed):

- ``A/A``: the base unchanged;
- ``+10% cpu``: 10% more iterations in the CPU loop (``test_cpu_loop`` and its twin) only;
- ``+30% mem``: 8 array copies instead of 6 (+33%) in ``test_mem_copy`` and its twin only.

Each workload is tested twice (``test_X`` and ``test_X_twin``): ten tests, twice the
comparisons per session for the same process start-ups.

Per session, for each head in an order that rotates: the paired gate
``pytest --greenbudget-against=<base sha>`` (one job), then today's unpaired gate as CI runs it:
a plain measured run of the base in a separate session (``--greenbudget-report base.json``,
from a second checkout) and one of the head with ``--greenbudget-baseline base.json``. Every
unchanged test of every head is an A/A comparison; the changed test is a detection. A process
spinning on one core (``python -c "while 1: pass"``) loads the machine throughout, beside
whatever the other users of this machine run. Default meter (CPU-time model here).
"""

from __future__ import annotations

import argparse
import json
import os
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
    assert work.{name}() {check}
"""
CHECKS = {"cpu_loop": ">= 0", "cpu_dict": "== 1024", "mlp": "== work.mlp(10)",
          "mem_copy": "== 1.0", "mem_strided": "> 0"}  # fmt: skip
# Each workload twice: twice the comparisons per session for the same start-up costs.
TESTS = 'import pytest\nimport work\n\nbudget = pytest.mark.greenbudget(energy="1 kJ")\n' + "".join(
    TEST.format(name=name, twin=twin, check=check)
    for name, check in CHECKS.items()
    for twin in ("", "_twin")
)

INI = "[pytest]\naddopts = -p no:cacheprovider -p no:hypothesispytest -p no:benchmark -q\n"
BASE = {"cpu_n": 600_000, "mem_copies": 6}
HEADS: dict[str, tuple[dict[str, int], tuple[str, ...]]] = {
    "A/A": (BASE, ()),
    "+10% cpu": ({**BASE, "cpu_n": 660_000}, ("test_cpu_loop", "test_cpu_loop_twin")),
    "+30% mem": ({**BASE, "mem_copies": 8}, ("test_mem_copy", "test_mem_copy_twin")),
}
THREADS = {v: "1" for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def make_repo(path: Path) -> str:
    path.mkdir()
    (path / "work.py").write_text(WORK.format(**BASE))
    (path / "test_work.py").write_text(TESTS)
    (path / "pytest.ini").write_text(INI)
    git(path, "init", "-q")
    git(path, "add", "-A")
    git(path, "-c", "user.name=bench", "-c", "user.email=b@x", "commit", "-qm", "base")
    return git(path, "rev-parse", "HEAD")


def pytest_run(cwd: Path, *args: str) -> tuple[dict[str, dict[str, Any]], float]:
    report = cwd.parent / f"report-{cwd.name}.json"
    began = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "pytest", f"--greenbudget-report={report}", *args],
        cwd=cwd,
        env={**os.environ, **THREADS},
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


@dataclass
class Results:
    aa: dict[str, Tally] = field(default_factory=dict)  # design -> A/A comparisons
    hit: dict[tuple[str, str], Tally] = field(default_factory=dict)  # (design, head)
    wall: dict[str, list[float]] = field(default_factory=dict)
    rounds: list[int] = field(default_factory=list)
    costs: list[str] = field(default_factory=list)

    def add(self, design: str, head: str, changed: tuple[str, ...], tests: dict[str, dict]) -> None:
        cost = tests.pop("__cost__", None)
        if cost:
            self.costs.append(cost["note"])
        for nodeid, entry in tests.items():
            base = entry.get("baseline") or {}
            if nodeid.split("::")[-1] in changed:
                tally = self.hit.setdefault((design, head), Tally())
            else:
                tally = self.aa.setdefault(design, Tally())
            tally.verdicts[str(entry.get("verdict"))] += 1
            if base.get("ratio"):
                tally.ratios.append(float(base["ratio"]))
            if design == "paired" and base.get("pairs"):
                self.rounds.append(len(base["pairs"]))


def session(repo: Path, base_copy: Path, sha: str, head: str, args: argparse.Namespace,
            results: Results) -> None:  # fmt: skip
    values, changed = HEADS[head]
    (repo / "work.py").write_text(WORK.format(**values))
    against = [f"--greenbudget-against={sha}"]
    if args.rounds:
        against.append(f"--greenbudget-against-rounds={args.rounds}")
    if args.pairs:
        against.append(f"--greenbudget-against-pairs={args.pairs}")
    tests, paired = pytest_run(repo, *against)
    results.add("paired", head, changed, tests)
    results.wall.setdefault("paired", []).append(paired)
    _, plain = pytest_run(base_copy)  # a plain measured run: the cost reference
    results.wall.setdefault("plain", []).append(plain)
    base_report = base_copy.parent / f"report-{base_copy.name}.json"
    tests, _ = pytest_run(repo, f"--greenbudget-baseline={base_report}")
    results.add("unpaired", head, changed, tests)
    print(f"  {head:9} paired {paired:5.1f} s, plain {plain:5.1f} s", flush=True)


def show(results: Results, args: argparse.Namespace, took: float, sessions: int) -> None:
    print(f"\n## Results after {sessions} of {args.sessions} sessions per head")
    d = DEFAULT_DESIGN
    rounds = args.rounds or f"{d.rounds}:{d.max_rounds}"
    print(f"paired design: rounds {rounds}, {args.pairs or d.pairs} pair(s) per round, "
          f"{d.warmup} warm-up; total {took / 60:.1f} min")  # fmt: skip
    print("\n| gate | A/A false alarms | A/A verdicts | +10% cpu caught | +30% mem caught |")
    print("|---|---|---|---|---|")
    for design in ("paired", "unpaired"):
        aa = results.aa.get(design, Tally())
        n = sum(aa.verdicts.values())
        cells = [f"{aa.verdicts['regressed']}/{n}", _counts(aa.verdicts)]
        for head in ("+10% cpu", "+30% mem"):
            hit = results.hit.get((design, head), Tally())
            cells.append(f"{hit.verdicts['regressed']}/{sum(hit.verdicts.values())}"
                         f" (median ratio {_median(hit.ratios)})")  # fmt: skip
        print(f"| {design} | " + " | ".join(cells) + " |")
    paired, plain = results.wall.get("paired", []), results.wall.get("plain", [])
    if paired and plain:
        mp, ml = statistics.median(paired), statistics.median(plain)
        print(f"\nwall time, median per session: paired {mp:.1f} s, plain measured run "
              f"{ml:.1f} s: {mp / ml:.1f}x")  # fmt: skip
    if results.rounds:
        print(f"pairs per paired comparison: {dict(sorted(Counter(results.rounds).items()))}")
    for note in results.costs[-3:]:
        print(f"  last paired runs: {note.split(' in this job: ')[-1]}")


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counter.items()))


def _median(values: list[float]) -> str:
    return f"{statistics.median(values):.3f}" if values else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=4, help="sessions per head")
    parser.add_argument("--rounds", help="--greenbudget-against-rounds (default: the plugin's)")
    parser.add_argument(
        "--pairs", type=int, help="--greenbudget-against-pairs (default: the plugin's)"
    )
    args = parser.parse_args()
    print_machine("load:   one process spinning on a core, plus the machine's other users")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the spinner is stopped too
    load = subprocess.Popen([sys.executable, "-c", "while 1: pass"])
    began = time.monotonic()
    results = Results()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-paired-") as tmp:
            repo = Path(tmp, "repo")
            sha = make_repo(repo)
            base_copy = Path(tmp, "base")
            git(repo, "worktree", "add", "--detach", "-q", str(base_copy), sha)
            heads = list(HEADS)
            for number in range(args.sessions):
                print(f"session {number + 1}/{args.sessions}", flush=True)
                for head in heads[number % 3 :] + heads[: number % 3]:
                    session(repo, base_copy, sha, head, args, results)
                show(results, args, time.monotonic() - began, number + 1)  # so far
    finally:
        load.kill()


if __name__ == "__main__":
    main()
