"""The example suite's margin: how much of each budget the README's first command uses.

    python benchmarks/bench_examples.py [--sessions 5] [--load] [--threads N]

Runs ``python -m pytest examples`` (as the README's first command does, report included)
``--sessions`` times, each in a fresh interpreter, and prints per budgeted test the median
and the worst budget use over the sessions, then the worst of all: the headroom left is
100% minus that. ``--load`` keeps one core busy with a spinning process meanwhile, as a
neighbour on a shared runner would. ``--threads N`` overrides examples/greenbudget.yaml's
thread limit (``unlimited`` shows what the limit buys). Exit status 1 when a session failed.
Needs numpy (the examples' own requirement).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

from machine import print_machine

from pytest_greenbudget.meters.cputime import CpuInfo, watts_for
from pytest_greenbudget.report.io import read_report

ROOT = Path(__file__).parent.parent


def session(report: Path, threads: str | None) -> tuple[int, dict[str, float]]:
    """Exit status of one run of the example suite and each budgeted test's budget use."""
    extra = ["--greenbudget-threads", threads] if threads else []
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "examples", "-q", "-p", "no:cacheprovider",
         "--greenbudget-report", str(report), *extra],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    if out.returncode:
        print(out.stdout[-2000:], out.stderr[-2000:], sep="\n")
    used = {t.nodeid: t.budget_used for t in read_report(report).tests}
    return out.returncode, {k: v for k, v in used.items() if v is not None}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=5)
    parser.add_argument("--load", action="store_true", help="keep one core busy meanwhile")
    parser.add_argument("--threads", help="override the examples' thread limit")
    args = parser.parse_args()
    watts, why = watts_for(CpuInfo.from_proc())
    print_machine(
        f"load:   {'one spinning process' if args.load else 'none added'}",
        f"model:  {watts} W per vCPU ({why})",
        f"limit:  {args.threads or 'as examples/greenbudget.yaml says'}",
    )
    spinner = subprocess.Popen([sys.executable, "-c", "while 1: pass"]) if args.load else None
    uses: dict[str, list[float]] = defaultdict(list)
    failed = 0
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for i in range(args.sessions):
                code, used = session(Path(tmp) / f"r{i}.json", args.threads)
                failed += code != 0
                for nodeid, value in used.items():
                    uses[nodeid].append(value)
                print(f"session {i + 1}: exit {code}", flush=True)
    finally:
        if spinner is not None:
            spinner.kill()
            spinner.wait()
    print("\n| test | median budget use | worst | per session |\n|---|---|---|---|")
    for nodeid, values in sorted(uses.items()):
        each = " ".join(f"{v:.0%}" for v in values)
        print(f"| {nodeid} | {statistics.median(values):.0%} | {max(values):.0%} | {each} |")
    worst = max(max(v) for v in uses.values())
    middle = statistics.median(v for values in uses.values() for v in values)
    print(f"\nmedian budget use {middle:.0%}, worst {worst:.0%}; sessions failed: {failed}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
