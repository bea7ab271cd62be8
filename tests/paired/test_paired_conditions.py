"""The gate must not change what a test measures: a joblib ``n_jobs=-1`` test gets the same
budget verdict with and without ``--greenbudget-against``.

Under the old one-CPU pin joblib sized its pool to 1 and ran the work in-process (counted),
while a plain run sent it to loky workers (then not counted): a test over its budget passed
plainly and failed under the gate. The budget here is a third of the same work's in-process
figure, measured first in the same folder, so both runs must now say "over budget".
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from git_repo import git
from inner_runs import BLOCKED

SUITE = """
import joblib, pytest

def work(n=600_000):
    s = 0
    for i in range(n):
        s += i * i
    return s

@pytest.mark.greenbudget(energy="{budget}", repeats=3, warmup=1)
def test_in_process():
    work(); work()

@pytest.mark.greenbudget(energy="{budget}", repeats=3, warmup=1)
def test_joblib():
    joblib.Parallel(n_jobs=-1)(joblib.delayed(work)() for _ in range(2))
"""


def pytest_in(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTEST_ADDOPTS": BLOCKED}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "--greenbudget-meter=cputime", *args],
        cwd=folder, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


@pytest.mark.skipif(
    len(getattr(os, "sched_getaffinity", lambda _: [0])(0)) < 2,
    reason="n_jobs=-1 is in-process on one CPU whatever the gate does",
)
def test_the_gate_does_not_change_a_joblib_tests_budget_verdict(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_jobs.py").write_text(SUITE.format(budget="1000 J"))
    calibrate = pytest_in(tmp_path, "--greenbudget-report=r.json", "-k", "in_process")
    assert calibrate.returncode == 0, calibrate.stdout
    figure = json.loads((tmp_path / "r.json").read_text())["tests"][0]["energy_j"]
    (tmp_path / "test_jobs.py").write_text(SUITE.format(budget=f"{figure / 3:.6f} J"))
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "base")

    plain = pytest_in(tmp_path, "-k", "joblib")
    gated = pytest_in(
        tmp_path, "-k", "joblib", "--greenbudget-against=main", "--greenbudget-against-all",
        "--greenbudget-against-rounds=2:2", "--greenbudget-against-pairs=1",
    )  # fmt: skip
    for result in (plain, gated):
        assert "energy budget exceeded" in result.stdout, result.stdout + result.stderr
        assert result.returncode == 1
