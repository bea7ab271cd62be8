"""Budgeted tests end as pytest reports them, whatever kind of item they are, and nothing
budgeted passes unmeasured in silence."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

BURN = "from fakemeter import burn\nimport pytest\n"
BUDGET_ALL = "budgets:\n  - match: '*'\n    energy: 5 J\n    repeats: 2\n    warmup: 1\n"


def entries(gb: pytest.Pytester) -> dict[str, dict[str, Any]]:
    tests = json.loads((gb.path / "r.json").read_text())["tests"]
    return {t["nodeid"].rsplit("::", 1)[-1]: t for t in tests}


def test_each_outcome_is_recorded_as_pytest_counts_it(gb: pytest.Pytester) -> None:
    gb.makepyfile(
        BURN
        + """
import unittest

B = pytest.mark.greenbudget(energy="5 J", repeats=2, warmup=0)

@B
def test_pass():
    burn(1.0)

@B
def test_fail():
    assert False

@B
def test_skip_call():
    pytest.skip("no GPU here")

@B
def test_unittest_skip():
    raise unittest.SkipTest("skipped the unittest way")

@B
@pytest.mark.xfail(reason="known bug", strict=True)
def test_xfail():
    assert False

@B
@pytest.mark.xfail(reason="fixed meanwhile", strict=False)
def test_xpass():
    burn(1.0)

@pytest.fixture
def broken():
    raise RuntimeError("no database")

@B
def test_setup_error(broken):
    pass

@pytest.fixture
def leaky():
    yield
    raise RuntimeError("could not clean up")

@B
def test_teardown_error(leaky):
    burn(1.0)
"""
    )
    result = gb.runpytest("--greenbudget-report", "r.json")
    result.assert_outcomes(passed=2, failed=1, skipped=2, xfailed=1, xpassed=1, errors=2)
    outcomes = {name: e["outcome"] for name, e in entries(gb).items()}
    assert outcomes == {
        "test_pass": "passed",
        "test_fail": "failed",
        "test_skip_call": "skipped",
        "test_unittest_skip": "skipped",
        "test_xfail": "xfailed",
        "test_xpass": "xpassed",
        "test_setup_error": "error",
        "test_teardown_error": "error",
    }
    measured = {name for name, e in entries(gb).items() if e["energy_j"] is not None}
    assert measured == {"test_pass", "test_xpass"}
    # the terminal table shows each as such, never an xfail as "failed"
    result.stdout.fnmatch_lines(["*::test_xfail *xfailed*"])
    result.stdout.fnmatch_lines(["*::test_unittest_skip *skipped*"])


def test_unittest_methods_are_measured(gb: pytest.Pytester) -> None:
    gb.makefile(".yaml", greenbudget=BUDGET_ALL)
    gb.makepyfile(
        BURN
        + """
import unittest

SETUPS = []

class TestModel(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        SETUPS.append("class")

    def setUp(self):
        SETUPS.append("test")
        self.state = []

    def test_fit(self):
        self.state.append(1)
        self.assertEqual(self.state, [1])   # a fresh instance and setUp every run
        burn(1.5)

    @pytest.mark.greenbudget(energy="1 J")
    def test_hungry(self):
        burn(3.0)

    @unittest.skip("not today")
    def test_skipped(self):
        pass

def test_counts():
    assert SETUPS.count("class") == 1
"""
    )
    result = gb.runpytest("--greenbudget-report", "r.json", "-p", "no:randomly")
    result.assert_outcomes(passed=2, failed=1, skipped=1)
    found = entries(gb)
    assert found["test_fit"]["samples_j"] == [1.5, 1.5]
    assert found["test_hungry"]["verdict"] == "over-budget"
    assert found["test_skipped"]["outcome"] == "skipped"


def test_doctests_are_measured_and_rerun_with_their_globals(gb: pytest.Pytester) -> None:
    gb.makefile(".yaml", greenbudget=BUDGET_ALL)
    gb.makepyfile(
        fitting='''
from fakemeter import burn

SCALE = 2

def double(x):
    """
    >>> burn(0.5); double(SCALE)
    4
    """
    return x * SCALE
'''
    )
    result = gb.runpytest("--doctest-modules", "fitting.py", "--greenbudget-report", "r.json")
    result.assert_outcomes(passed=1)
    (entry,) = entries(gb).values()
    assert entry["nodeid"] == "fitting.py::fitting.double"
    assert entry["samples_j"] == [0.5, 0.5]


def test_async_test_without_its_plugin_fails_and_is_not_measured(gb: pytest.Pytester) -> None:
    gb.makepyfile(
        BURN
        + """
@pytest.mark.greenbudget(energy="5 J")
async def test_fetch():
    burn(1.0)
"""
    )
    result = gb.runpytest("--greenbudget-report", "r.json")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*async def functions are not natively supported*"])
    assert entries(gb)["test_fetch"]["energy_j"] is None


def test_async_tests_run_and_are_measured_under_pytest_asyncio(gb: pytest.Pytester) -> None:
    pytest.importorskip("pytest_asyncio")
    gb.makepyfile(
        BURN
        + """
import asyncio
import pytest_asyncio

RUNS = []

@pytest_asyncio.fixture
async def session():
    yield {"open": True}

@pytest.mark.asyncio
@pytest.mark.greenbudget(energy="5 J", repeats=3, warmup=1)
async def test_fetch(session):
    await asyncio.sleep(0)
    RUNS.append(session)
    burn(1.25)

def test_ran_every_time():
    assert len(RUNS) == 4 and len({id(s) for s in RUNS}) == 4
"""
    )
    result = gb.runpytest(
        "-p",
        "asyncio",
        "-o",
        "asyncio_default_fixture_loop_scope=function",
        "--greenbudget-report",
        "r.json",
    )
    result.assert_outcomes(passed=2)
    assert entries(gb)["test_fetch"]["samples_j"] == [1.25, 1.25, 1.25]


def test_class_and_method_markers_merge_method_winning(gb: pytest.Pytester) -> None:
    gb.makepyfile(
        BURN
        + """
@pytest.mark.greenbudget(energy="2 J", repeats=2, warmup=0)
class TestPipeline:
    @pytest.mark.greenbudget(repeats=3)
    def test_keeps_the_class_budget(self):
        burn(3.0)

    @pytest.mark.greenbudget(energy="4 J")
    def test_overrides_it(self):
        burn(3.0)
"""
    )
    result = gb.runpytest("--greenbudget-report", "r.json")
    result.assert_outcomes(passed=1, failed=1)
    found = entries(gb)
    kept = found["test_keeps_the_class_budget"]
    assert (kept["verdict"], kept["repeats"], kept["budget"]["energy_j"]) == ("over-budget", 3, 2.0)
    assert found["test_overrides_it"]["repeats"] == 2
    assert found["test_overrides_it"]["budget"]["energy_j"] == 4.0


def test_a_thread_left_running_is_noted_on_its_test(gb: pytest.Pytester) -> None:
    gb.makepyfile(
        BURN
        + """
import threading
STOP = threading.Event()

@pytest.mark.greenbudget(energy="5 J", repeats=1, warmup=0)
def test_starts_a_pool():
    threading.Thread(target=STOP.wait, name="prefetcher", daemon=True).start()
    burn(1.0)

@pytest.mark.greenbudget(energy="5 J", repeats=1, warmup=0)
def test_next():
    STOP.set()
    burn(1.0)
"""
    )
    result = gb.runpytest("--greenbudget-report", "r.json", "-p", "no:randomly")
    result.assert_outcomes(passed=2)
    found = entries(gb)
    assert (
        "threads still running after a measured run: prefetcher"
        in found["test_starts_a_pool"]["message"]
    )
    assert found["test_next"]["message"] is None


def test_outcomes_and_notes_reach_the_report_under_xdist(
    gb: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # xdist workers are subprocesses: they find the fake meter (and this checkout) this way
    path = [str(Path(__file__).parents[1] / "support"), os.environ.get("PYTHONPATH", "")]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in path if p))
    gb.makepyfile(
        BURN
        + """
import threading
STOP = threading.Event()
B = pytest.mark.greenbudget(energy="5 J", repeats=2, warmup=0)

@B
@pytest.mark.xfail(reason="fixed meanwhile", strict=False)
def test_xpass():
    burn(1.0)

@B
def test_leaves_a_thread():
    threading.Thread(target=STOP.wait, name="loader", daemon=True).start()
    burn(1.0)

@B
@pytest.mark.xfail(reason="known", strict=True)
def test_xfail():
    assert False

def test_zz_worker_crashes():
    import os
    os._exit(1)  # what was measured before must already be with the controller
"""
    )
    result = gb.runpytest_subprocess(
        "-n", "1", "-p", "no:randomly", "--greenbudget-report", "r.json"
    )
    result.assert_outcomes(passed=1, xpassed=1, xfailed=1, failed=1)
    found = entries(gb)
    assert found["test_xpass"]["outcome"] == "xpassed"
    assert found["test_xfail"]["outcome"] == "xfailed"
    assert "threads still running after a measured run: loader" in (
        found["test_leaves_a_thread"]["message"] or ""
    )
