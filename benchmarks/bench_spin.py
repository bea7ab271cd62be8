"""The spin signature: CPU/wall ratio and spread of test-like bodies, with and without a
thread limit. The thresholds in pytest_greenbudget/measure/threads.py come from this script.

    python benchmarks/bench_spin.py [--sessions 3] [--runs 5] [--load]

Each body runs in a fresh interpreter per session (so pools start cold, as in a pytest run):
one warm-up, then ``--runs`` measured runs, each timed like the CPU-time meter times a window
(process user+sys seconds and wall seconds). Printed per body and limit: the median CPU/wall
ratio of the runs and the CV of their CPU seconds (the CPU-time model's energy is proportional
to it), per session. ``--load`` keeps one core busy with a spinning process meanwhile.
Needs numpy.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

from machine import print_machine

BODIES = {
    "matmul 256": "a = np.random.default_rng(0).random((256, 256))\n"
    "def body():\n    for _ in range(40): a @ a\n",
    "matmul 64": "a = np.random.default_rng(0).random((64, 64))\n"
    "def body():\n    for _ in range(2000): a @ a\n",
    "mlp predict 4096": "import sys; sys.path.insert(0, 'examples')\n"
    "from tinyml import fit, two_moons\nm = fit(*two_moons(4000), epochs=10)\n"
    "x, _ = two_moons(4096, seed=7)\ndef body():\n    for _ in range(20): m.predict(x)\n",
    "python loop": "def body():\n    sum(i * i for i in range(300_000))\n",
}

CHILD = """
import json, os, resource, sys, time
import numpy as np
from pytest_greenbudget.measure.threads import thread_limit
{setup}
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
threads = int(sys.argv[1]) or None
out = []
for i in range({runs} + 1):
    with thread_limit(threads):
        w0, c0 = time.perf_counter(), cpu()
        body()
        out.append((cpu() - c0, time.perf_counter() - w0))
print(json.dumps(out[1:]))
"""


def session(body: str, threads: int, runs: int) -> list[tuple[float, float]]:
    code = CHILD.format(setup=BODIES[body], runs=runs)
    root = Path(__file__).parent.parent
    out = subprocess.run(
        [sys.executable, "-c", code, str(threads)],
        capture_output=True, text=True, check=True, cwd=root,
    )  # fmt: skip
    return [tuple(x) for x in json.loads(out.stdout)]  # type: ignore[misc]


def summary(runs: list[tuple[float, float]]) -> tuple[float, float]:
    ratio = statistics.median(c / w for c, w in runs)
    cpus = [c for c, _ in runs]
    return ratio, statistics.stdev(cpus) / statistics.fmean(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=3)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--load", action="store_true", help="keep one core busy meanwhile")
    args = parser.parse_args()
    spinner = subprocess.Popen([sys.executable, "-c", "while 1: pass"]) if args.load else None
    try:
        print_machine(f"load:   {'one spinning process' if args.load else 'none added'}")
        print("| body | threads | CPU/wall per session | CV of CPU s per session |")
        print("|---|---|---|---|")
        for body in BODIES:
            for threads in (0, 1):
                rows = [summary(session(body, threads, args.runs)) for _ in range(args.sessions)]
                ratios = " ".join(f"{r:.2f}" for r, _ in rows)
                cvs = " ".join(f"{cv:.1%}" for _, cv in rows)
                print(f"| {body} | {threads or 'unlimited'} | {ratios} | {cvs} |", flush=True)
    finally:
        if spinner is not None:
            spinner.kill()
            spinner.wait()


if __name__ == "__main__":
    main()
