"""Device check: the paired gate on a small torch training test with +5% work, on one GPU.

    PYTHONPATH=$PWD python benchmarks/gpu_paired.py [--seconds 0.4] [--cap 150]

Needs an NVIDIA GPU, torch with CUDA, nvidia-ml-py and git; not codecarbon, and the package
need not be installed (PYTHONPATH is enough: pytest loads the plugin with
``-p pytest_greenbudget.plugin``). Takes 2-6 minutes.

A git repository in a temporary folder holds ``train.py`` (a 3-layer MLP trained with SGD on
the GPU for ``STEPS`` steps; ``STEPS`` calibrated so that one run takes about ``--seconds``,
a multiple of 20 so that +5% is whole steps) and ``test_train.py`` (one budgeted test,
``@pytest.mark.greenbudget``). Its one commit is the base. Then, one after the other:

1. ``+5%``: ``STEPS`` x 1.05 in the working tree; ``pytest --greenbudget-meter=nvml
   --greenbudget-against=HEAD --greenbudget-against-time=<cap>s``: verdict, estimate, rounds,
   wall time;
2. a plain measured run (``--greenbudget-meter=nvml``) of the same tests: the cost reference;
3. ``A/A``: the base, touched by a comment so that test impact pairs it: its verdict (one
   comparison: an A/A false alarm here would be one in one, not a rate).

``--rehearse`` runs the same steps with a numpy workload and the default meter, so that the
script itself can be tried on a machine without a GPU.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_paired import THREADS, git
from gpu_window import plugin_flag
from machine import print_machine

TORCH_TRAIN = '''"""A small training loop; STEPS is what the head changes."""
import torch

STEPS = {steps}
torch.manual_seed(0)
DEVICE = "cuda"
MODEL = torch.nn.Sequential(
    torch.nn.Linear(1024, 2048), torch.nn.ReLU(),
    torch.nn.Linear(2048, 2048), torch.nn.ReLU(),
    torch.nn.Linear(2048, 10),
).to(DEVICE)
OPTIMIZER = torch.optim.SGD(MODEL.parameters(), lr=1e-3)
X = torch.randn(4096, 1024, device=DEVICE)
Y = torch.randint(0, 10, (4096,), device=DEVICE)


def train(steps=STEPS):
    for _ in range(steps):
        OPTIMIZER.zero_grad()
        loss = torch.nn.functional.cross_entropy(MODEL(X), Y)
        loss.backward()
        OPTIMIZER.step()
    torch.cuda.synchronize()
    return loss.item()
'''

NUMPY_TRAIN = '''"""A rehearsal stand-in (no GPU): STEPS matrix products."""
import numpy as np

STEPS = {steps}
A = np.random.default_rng(0).standard_normal((256, 256))


def train(steps=STEPS):
    b = A
    for _ in range(steps):
        b = np.tanh(A @ b)
    return float(b[0, 0])
'''

TEST = """import math

import pytest

from train import train


@pytest.mark.greenbudget
def test_train():
    assert math.isfinite(train())
"""


def calibrate(repo: Path, seconds: float) -> int:
    """Steps for one run of about ``seconds`` (a multiple of 20), timed in a child process so
    that this one holds no CUDA context."""
    probe = (
        "import time, train\n"
        "train.train(20)\n"
        "t0 = time.perf_counter(); train.train(100); print((time.perf_counter() - t0) / 100)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=repo, capture_output=True, text=True, check=True,
        env={**os.environ, **THREADS},
    )  # fmt: skip
    per_step = float(out.stdout.split()[-1])
    return max(20, round(seconds / per_step / 20) * 20)


def make_repo(path: Path, template: str, seconds: float) -> int:
    path.mkdir()
    (path / "train.py").write_text(template.format(steps=20))
    steps = calibrate(path, seconds)
    (path / "train.py").write_text(template.format(steps=steps))
    (path / "test_train.py").write_text(TEST)
    (path / "pytest.ini").write_text("[pytest]\n")
    git(path, "init", "-q")
    git(path, "add", "-A")
    git(path, "-c", "user.name=bench", "-c", "user.email=b@x", "commit", "-qm", "base")
    return steps


def pytest_run(repo: Path, name: str, meter: list[str], *args: str) -> tuple[dict[str, Any], float]:
    report = repo.parent / f"{name}.json"
    began = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", *plugin_flag(), "-p", "no:cacheprovider", *meter,
         f"--greenbudget-report={report}", *args],
        cwd=repo, capture_output=True, text=True, check=False, env={**os.environ, **THREADS},
    )  # fmt: skip
    wall = time.monotonic() - began
    print(f"\n--- {name}: exit {done.returncode}, {wall:.1f} s; its output's end:")
    print(done.stdout[-2500:], done.stderr[-1500:], sep="\n")
    if not report.is_file():
        return {}, wall
    return json.loads(report.read_text()), wall


def summary(name: str, data: dict[str, Any], wall: float, plain_wall: float) -> str:
    if not data:
        return f"{name}: no report"
    entry = data["tests"][0]
    base = entry.get("baseline") or {}
    rounds = len(base.get("floors") or ())
    cost = [n for n in data["environment"]["notes"] if "side by side" in n]
    line = (f"{name}: verdict {entry.get('verdict')}, {wall:.1f} s wall "
            f"({wall / plain_wall:.1f}x the plain run); {entry.get('message')}")  # fmt: skip
    if rounds:
        line += f"; {rounds} rounds"
    return line + (f"\n  {cost[0]}" if cost else "")


def sessions(repo: Path, meter: list[str], count: int) -> None:
    """Plain measured sessions of the same code, one after another: each one's median."""
    medians = []
    for index in range(count):
        data, _ = pytest_run(repo, f"session{index + 1}", meter)
        medians.append(data["tests"][0]["energy_j"] if data else float("nan"))
    low = min(medians)
    print("\n== sessions ==", *(f"{m:.2f} J ({m / low - 1:+.1%})" for m in medians), sep="\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=0.4, help="one run's length, about")
    parser.add_argument("--cap", type=int, default=150, help="--greenbudget-against-time, s")
    parser.add_argument("--rehearse", action="store_true", help="numpy and the default meter")
    parser.add_argument("--skip-aa", action="store_true", help="leave out the A/A comparison")
    parser.add_argument("--tolerance", help="--greenbudget-tolerance (default: the plugin's, 5%%)")
    parser.add_argument(
        "--plain-only", type=int, metavar="N", help="only N plain measured sessions of the base"
    )
    args = parser.parse_args()
    template = NUMPY_TRAIN if args.rehearse else TORCH_TRAIN
    meter = [] if args.rehearse else ["--greenbudget-meter=nvml"]
    against = ["--greenbudget-against=HEAD", f"--greenbudget-against-time={args.cap}s"]
    if args.tolerance:
        against.append(f"--greenbudget-tolerance={args.tolerance}")
    print_machine(f"workload: {'numpy (rehearsal)' if args.rehearse else 'torch MLP on cuda'}")
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "proj"
        steps = make_repo(repo, template, args.seconds)
        head = steps * 21 // 20
        print(f"STEPS: base {steps}, head {head} (+{head / steps - 1:.0%})")
        if args.plain_only:
            sessions(repo, meter, args.plain_only)
            return
        (repo / "train.py").write_text(template.format(steps=head))
        plus5, plus5_wall = pytest_run(repo, "plus5", meter, *against)
        (repo / "train.py").write_text(template.format(steps=steps))
        plain, plain_wall = pytest_run(repo, "plain", meter)
        lines = [summary("+5%", plus5, plus5_wall, plain_wall),
                 summary("plain measured run", plain, plain_wall, plain_wall)]  # fmt: skip
        if not args.skip_aa:
            (repo / "train.py").write_text(template.format(steps=steps) + "\n# touched\n")
            lines.append(summary("A/A", *pytest_run(repo, "aa", meter, *against), plain_wall))
        print("\n== summary ==", *lines, sep="\n")


if __name__ == "__main__":
    main()
