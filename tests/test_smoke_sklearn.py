"""Smoke test on a real suite: a few of scikit-learn's own test modules, every test budgeted,
give the same pass/fail/skip/xfail counts with the plugin as without it, and every test that
passed was measured."""

from __future__ import annotations

import json

import pytest

MODULES = (
    "sklearn.tests.test_dummy",
    "sklearn.utils.tests.test_testing",  # unittest-style skips, tmp files, memmaps
    "sklearn.utils.tests.test_deprecation",
    "sklearn.utils.tests.test_bunch",
    "sklearn.utils.tests.test_murmurhash",
    "sklearn.utils.tests.test_tags",
)
BUDGET_EVERYTHING = """\
defaults:
  repeats: 2
  warmup: 0
budgets:
  - match: "*"
    energy: 1 kJ
"""
COUNTED = ("passed", "failed", "skipped", "xfailed", "xpassed", "errors")


def _counts(result: pytest.RunResult) -> dict[str, int]:
    outcomes = result.parseoutcomes()
    return {k: outcomes.get(k, 0) for k in COUNTED}


def test_scikit_learn_modules_end_the_same_with_the_plugin(pytester: pytest.Pytester) -> None:
    pytest.importorskip("sklearn")
    pytester.makefile(".yaml", budgets=BUDGET_EVERYTHING)
    pytester.makeini("[pytest]\naddopts = -p no:cacheprovider -p no:randomly\n")
    common = ("-p", "no:asyncio", "-p", "no:rerunfailures", "--pyargs", *MODULES)
    plain = pytester.runpytest_subprocess(*common, "-p", "no:greenbudget")
    measured = pytester.runpytest_subprocess(
        *common, "--greenbudget-config", "budgets.yaml", "--greenbudget-report", "r.json"
    )
    assert _counts(plain)["passed"] > 100
    assert _counts(measured) == _counts(plain)
    tests = json.loads((pytester.path / "r.json").read_text())["tests"]
    passed = [t for t in tests if t["outcome"] == "passed"]
    assert len(passed) == _counts(plain)["passed"]
    assert all(len(t["samples_j"]) == 2 for t in passed)
    skipped = [t for t in tests if t["outcome"] == "skipped"]
    assert len(skipped) == _counts(plain)["skipped"]
