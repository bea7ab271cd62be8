"""The README's first command: the example suite runs, prints its table, writes a report."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pytest_greenbudget.results import read_report

EXAMPLES = Path(__file__).parent.parent / "examples"


def test_example_suite_runs_measured(tmp_path: Path) -> None:
    pytest.importorskip("numpy")
    report = tmp_path / "greenbudget-report.json"
    out = subprocess.run(
        [sys.executable, "-m", "pytest", str(EXAMPLES), "-p", "no:cacheprovider",
         "--greenbudget-report", str(report), "--greenbudget-repeats", "2"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    assert "= greenbudget =" in out.stdout
    tests = {t.nodeid: t for t in read_report(report).tests}
    assert {
        "test_training.py::test_fit_tiny_mlp",
        "test_training.py::test_more_epochs_do_not_hurt",
        "test_inference.py::test_batch_inference[256]",
        "test_inference.py::test_batch_inference[4096]",
    } <= set(tests)
    assert all(t.verdict == "ok" and t.energy_j for t in tests.values())
    per_sample = tests["test_inference.py::test_batch_inference[256]"]
    assert per_sample.budget is not None and per_sample.budget.per == "sample"
    assert read_report(report).carbon.region == "FRA"
