"""The README's first command: the example suite runs, prints its table, writes a report."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pytest_greenbudget.results import read_report

ROOT = Path(__file__).parent.parent
EXAMPLES = ROOT / "examples"


def _readme_commands() -> list[str]:
    block = (ROOT / "README.md").read_text().split("```bash\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line and not line.startswith("#")]


def test_ci_runs_exactly_the_readme_test_command() -> None:
    assert _readme_commands()[1] in (ROOT / ".ci" / "run").read_text()


def test_readme_first_command_runs_the_examples_with_both_reports() -> None:
    first = _readme_commands()[0]
    assert "pytest examples" in first and "--greenbudget-report" in first
    assert "--greenbudget-html" in first


def test_example_suite_runs_measured(tmp_path: Path) -> None:
    pytest.importorskip("numpy")
    report = tmp_path / "greenbudget-report.json"
    out = subprocess.run(
        [sys.executable, "-m", "pytest", str(EXAMPLES), "-p", "no:cacheprovider",
         "--greenbudget-report", str(report), "--greenbudget-repeats", "2",
         "--greenbudget-html", str(tmp_path / "page.html")],
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
    assert "test_fit_tiny_mlp" in (tmp_path / "page.html").read_text()
