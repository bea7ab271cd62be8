"""A pull request that changes no file a budgeted test runs: the paired gate's whole run
against a plain measured run of the same suite, side by side.

    python benchmarks/bench_impact.py [--sessions 5] [--load]

Copies examples/ into a fresh git repository (base commit), then changes, uncommitted, a
Python module that no budgeted test imports (the pull request). Each session runs, in a
random order, a plain measured run (``pytest``) and ``pytest --greenbudget-against=main``
in fresh interpreters, and times both from the outside; the paired run must read every test
``unaffected``. Prints each pair's ratio and the median. ``--load`` keeps one core busy.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import print_machine

ROOT = Path(__file__).parent.parent


def git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=b", "-c", "user.email=b@example.com", *args],
        cwd=cwd, check=True, capture_output=True,
    )  # fmt: skip


def make_repo(where: Path) -> Path:
    repo = where / "suite"
    shutil.copytree(ROOT / "examples", repo, ignore=shutil.ignore_patterns("__pycache__"))
    (repo / ".gitignore").write_text("*.json\n__pycache__/\n")
    (repo / "plotting.py").write_text("def plot(losses):\n    return len(losses)\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    (repo / "plotting.py").write_text("def plot(losses):\n    return max(losses)\n")  # the PR
    return repo


def timed(repo: Path, *extra: str) -> tuple[float, str]:
    report = repo / f"r{random.randrange(10**9)}.json"
    began = time.monotonic()
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         f"--greenbudget-report={report}", *extra],
        cwd=repo, capture_output=True, text=True,
    )  # fmt: skip
    took = time.monotonic() - began
    if out.returncode:
        print(out.stdout[-3000:], out.stderr[-2000:], sep="\n")
        raise SystemExit(f"a run failed (exit {out.returncode})")
    verdicts = sorted({t["verdict"] for t in json.loads(report.read_text())["tests"]})
    return took, ",".join(verdicts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=5)
    parser.add_argument("--load", action="store_true", help="keep one core busy meanwhile")
    args = parser.parse_args()
    print_machine(f"load:   {'one spinning process' if args.load else 'none added'}")
    spinner = subprocess.Popen([sys.executable, "-c", "while 1: pass"]) if args.load else None
    ratios = []
    try:
        with tempfile.TemporaryDirectory(prefix="bench-impact-") as tmp:
            repo = make_repo(Path(tmp))
            for session in range(args.sessions):
                runs = {"plain": (), "paired": ("--greenbudget-against=main",)}
                order = random.sample(list(runs), 2)
                took = {name: timed(repo, *runs[name]) for name in order}
                ratio = took["paired"][0] / took["plain"][0]
                ratios.append(ratio)
                print(
                    f"session {session + 1}: plain {took['plain'][0]:.1f} s ({took['plain'][1]}), "
                    f"paired {took['paired'][0]:.1f} s ({took['paired'][1]}), ratio {ratio:.2f}"
                )
    finally:
        if spinner is not None:
            spinner.kill()
    print(f"median ratio paired/plain: {statistics.median(ratios):.2f} (target <= 1.3)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
