"""Quiet data through the unpaired gate, as a user meets it (issue 17, item 11).

Three runs a side at 0.1% spread against a 25% session noise put the Welch test's degrees
of freedom near 5e11, where the t quantile did not converge: ``greenbudget compare`` printed
a traceback and ``pytest --greenbudget-baseline`` ended in INTERNALERROR. The samples are the
ones that failed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from pytest_greenbudget.report.io import read_report

BASE = (3.1069, 3.1083, 3.1031)
HEAD = (3.1034, 3.105, 3.104)
SUITE = """
from fakemeter import burn
import pytest

RUNS = iter({runs})

@pytest.mark.greenbudget(energy="100 J", repeats=3, warmup=0)
def test_quiet():
    burn(next(RUNS))
"""


def _run(pytester: pytest.Pytester, samples: tuple[float, ...], *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_quiet=SUITE.format(runs=list(samples)))
    return pytester.runpytest(*args)


@pytest.fixture
def quiet(gb: pytest.Pytester) -> pytest.Pytester:
    """A 25% session noise, the CPU-time model's default (and a plugin meter's)."""
    (gb.path / "greenbudget.yaml").write_text("defaults:\n  session_noise: 25%\n")
    _run(gb, BASE, "--greenbudget-report=base.json").assert_outcomes(passed=1)
    return gb


def test_the_baseline_gate_judges_quiet_data(quiet: pytest.Pytester) -> None:
    result = _run(quiet, HEAD, "--greenbudget-baseline=base.json", "--greenbudget-report=head.json")
    result.assert_outcomes(passed=1)
    assert result.ret == pytest.ExitCode.OK
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()
    entry = read_report(quiet.path / "head.json").tests[0]
    assert entry.verdict == "inconclusive"  # 25% session noise cannot see a 5% change
    assert entry.baseline is not None and entry.baseline.p_value is not None


def test_compare_judges_quiet_data(quiet: pytest.Pytester) -> None:
    _run(quiet, HEAD, "--greenbudget-report=head.json").assert_outcomes(passed=1)
    result = quiet.run(
        sys.executable, "-m", "pytest_greenbudget", "compare", "base.json", "head.json"
    )
    assert result.ret == 0, result.stderr.str()
    assert "Traceback" not in result.stderr.str()
    result.stdout.fnmatch_lines(["*test_quiet*inconclusive*"])
    assert Path(quiet.path / "head.json").is_file()
