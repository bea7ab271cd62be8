"""A budgeted test runs several times; pytest must see the one test it is (issue 17, items 7
and 8): subtests, ``record_property`` and pytest-timeout, each checked against the same
suite run with the plugin removed (``-p no:greenbudget``)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from pytest_greenbudget.report.io import read_report

SUBTESTS = """
import pytest
from fakemeter import burn

@pytest.mark.greenbudget(energy="100 J", repeats=3, warmup=1)
def test_one_fails(subtests):
    burn(1.0)
    for i in range(3):
        with subtests.test(i=i):
            assert i != 1

@pytest.mark.greenbudget(energy="100 J", repeats=3, warmup=1)
def test_all_pass(subtests, record_property):
    burn(1.0)
    record_property("model", "mlp")
    for i in range(2):
        with subtests.test(i=i):
            pass
"""

UNITTEST = """
import unittest
import pytest
from fakemeter import burn

class TestCase(unittest.TestCase):
    @pytest.mark.greenbudget(energy="100 J", repeats=3, warmup=1)
    def test_sub(self):
        burn(1.0)
        for i in range(3):
            with self.subTest(i=i):
                self.assertNotEqual(i, 1)
"""


def _summary(result: pytest.RunResult) -> str:
    """pytest's last line, less its timing: '2 failed, 1 passed, 2 subtests passed'."""
    return re.sub(r" in [\d.]+s.*", "", result.stdout.lines[-1]).strip("= ")


def _compare(gb: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, pytest.RunResult]:
    with_plugin = gb.runpytest("-p", "no:randomly", "--greenbudget-report=r.json", *args)
    without = gb.runpytest("-p", "no:randomly", "-p", "no:greenbudget", *args)
    return with_plugin, without


needs_subtests = pytest.mark.skipif(
    int(pytest.__version__.split(".")[0]) < 9, reason="pytest's own subtests fixture: pytest 9"
)


@needs_subtests
def test_subtests_are_counted_once_and_the_entry_agrees(gb: pytest.Pytester) -> None:
    gb.makepyfile(test_sub=SUBTESTS)
    with_plugin, without = _compare(gb)
    assert _summary(without).startswith("2 failed, 1 passed")  # pytest's own count
    assert _summary(with_plugin) == _summary(without)
    with_plugin.stdout.fnmatch_lines(
        ["FAILED test_sub.py::test_one_fails - contains 1 failed subtest"]
    )
    entries = {t.nodeid: t for t in read_report(gb.path / "r.json").tests}
    failing = entries["test_sub.py::test_one_fails"]
    assert failing.outcome == "failed" and failing.verdict is None  # pytest said FAILED
    passing = entries["test_sub.py::test_all_pass"]
    assert (passing.outcome, passing.verdict, passing.samples_j) == ("passed", "ok", (1.0,) * 3)


@needs_subtests
def test_unittest_subtests_agree_with_pytest(gb: pytest.Pytester) -> None:
    gb.makepyfile(test_unit=UNITTEST)
    with_plugin, without = _compare(gb)
    assert _summary(with_plugin) == _summary(without)
    entry = read_report(gb.path / "r.json").tests[0]
    assert entry.outcome == "passed"  # pytest passes the test itself, failing its subtest


@needs_subtests
def test_junit_xml_holds_each_property_once(gb: pytest.Pytester) -> None:
    gb.makepyfile(test_sub=SUBTESTS)
    gb.runpytest("-p", "no:randomly", "--junitxml=j.xml", "-k", "all_pass")
    names = [p.get("name") for p in ET.parse(gb.path / "j.xml").iter("property")]
    assert names == ["model"]


def test_record_property_reaches_junit_once_without_subtests(gb: pytest.Pytester) -> None:
    gb.makepyfile(
        test_prop="""
import pytest
from fakemeter import burn

@pytest.fixture(autouse=True)
def tag(record_property):
    record_property("fixture", 1)

@pytest.mark.greenbudget(energy="100 J", repeats=4, warmup=2)
def test_props(record_property):
    burn(1.0)
    record_property("model", "mlp")
"""
    )
    gb.runpytest("-p", "no:randomly", "--junitxml=j.xml").assert_outcomes(passed=1)
    names = [p.get("name") for p in ET.parse(gb.path / "j.xml").iter("property")]
    assert names == ["fixture", "model"]


# --- pytest-timeout: the user's limit for each run, not for the series ------------------------

TIMED = """
import time
import pytest
from fakemeter import burn

@pytest.mark.greenbudget(energy="100 J", repeats={repeats}, warmup=0)
def test_each_run_within_the_limit():
    burn(1.0)
    time.sleep({sleep})
"""


def test_each_run_gets_the_per_test_timeout(
    gb: pytest.Pytester, fake_meter_in_subprocesses: None
) -> None:
    """Twelve runs of 0.2 s: 2.4 s in all under a 2 s limit, each run a tenth of it (a loaded
    VM once took over 1 s for a 0.3 s run in-process, where each run's collection walks the
    outer session's heap: in a subprocess, with a wide margin)."""
    pytest.importorskip("pytest_timeout")
    gb.makepyfile(test_timed=TIMED.format(sleep=0.2, repeats=12))
    result = gb.runpytest_subprocess("-p", "timeout", "--timeout=2", "--greenbudget-report=r.json")
    result.assert_outcomes(passed=1)
    assert read_report(gb.path / "r.json").tests[0].verdict == "ok"


@pytest.mark.parametrize("method", ["signal", "thread"])
def test_a_run_over_the_limit_still_times_out(
    gb: pytest.Pytester, method: str, fake_meter_in_subprocesses: None
) -> None:
    """In a subprocess: the thread method ends the whole process, as it is meant to."""
    pytest.importorskip("pytest_timeout")
    gb.makepyfile(test_timed=TIMED.format(sleep=3.0, repeats=3))
    result = gb.runpytest_subprocess("-p", "timeout", "--timeout=0.5", f"--timeout-method={method}")
    if method == "signal":
        result.assert_outcomes(failed=1)
    assert "Timeout" in result.stdout.str() + result.stderr.str()


def test_junit_xml_holds_each_suite_property_once(gb: pytest.Pytester) -> None:
    gb.makepyfile(
        test_suite_prop="""
import pytest
from fakemeter import burn

@pytest.mark.greenbudget(energy="100 J", repeats=3, warmup=1)
def test_tagged(record_testsuite_property):
    burn(1.0)
    record_testsuite_property("dataset", "tiny")
"""
    )
    gb.runpytest("-p", "no:randomly", "--junitxml=j.xml").assert_outcomes(passed=1)
    names = [p.get("name") for p in ET.parse(gb.path / "j.xml").iter("property")]
    assert names == ["dataset"]
