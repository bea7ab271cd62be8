"""A config entry that selects no collected test is one warning naming the entry and its
line, once per run (not once per xdist worker), and never about tests -k deselected."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CONFIG = """\
budgets:
  - match: "tests/test_model.py::*"
    energy: 5 J
  - match: "*::test_fit"
    energy: 5 J
  - marker: training
    energy: 5 J
"""
TESTS = (
    "from fakemeter import burn\n\ndef test_fit():\n    burn(1.0)\n\ndef test_other():\n    pass\n"
)
WARNING = (
    "*greenbudget: the budget entry at greenbudget.yaml:2 (match: 'tests/test_model.py::*') "
    "selects none of the collected tests; collected ids look like 'test_model.py::test_fit'*"
)


@pytest.fixture
def suite(gb: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    # xdist workers are subprocesses: they find the fake meter (and this checkout) this way
    path = [str(Path(__file__).parents[1] / "support"), os.environ.get("PYTHONPATH", "")]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in path if p))
    gb.makefile(".yaml", greenbudget=CONFIG)
    gb.makepyfile(test_model=TESTS)
    return gb


def test_an_entry_that_selects_nothing_is_named_with_its_line(suite: pytest.Pytester) -> None:
    result = suite.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines([WARNING])
    out = result.stdout.str()
    assert "greenbudget.yaml:6 (marker: 'training') selects none" in out
    assert "greenbudget.yaml:4" not in out  # that entry selects test_fit


def test_warned_once_under_xdist(suite: pytest.Pytester) -> None:
    result = suite.runpytest_subprocess("-n", "2")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines([WARNING])
    assert result.stdout.str().count("selects none of the collected tests") == 1


def test_deselected_tests_still_count_as_collected(suite: pytest.Pytester) -> None:
    suite.makefile(".yaml", greenbudget=CONFIG.replace("tests/test_model.py::*", "*::test_fit"))
    result = suite.runpytest("-k", "test_other")
    result.assert_outcomes(passed=1)
    assert "greenbudget.yaml:2" not in result.stdout.str()
    result = suite.runpytest_subprocess("-k", "test_other", "-n", "2")
    assert "greenbudget.yaml:2" not in result.stdout.str()
