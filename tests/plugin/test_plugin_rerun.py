"""Each run of a budgeted test is a whole setup/call/teardown: fresh function-scoped fixtures,
shared wider ones, only the call phase measured, a later run's failure shown as pytest shows it."""

from __future__ import annotations

import json

import pytest

BURN = "from fakemeter import burn\nimport pytest\n"


def test_function_fixtures_are_fresh_each_run(gb: pytest.Pytester) -> None:
    # The failures real suites showed when the body re-ran with the first run's fixtures.
    gb.makepyfile(
        BURN
        + """
from unittest import mock

@pytest.fixture
def counter():
    return mock.Mock()

@pytest.fixture
def state():
    return {"epochs": 10}

@pytest.mark.greenbudget(energy="5 J", repeats=3, warmup=1)
def test_real_suite_habits(tmpdir, tmp_path, counter, state):
    tmpdir.mkdir("skorch")             # FileExistsError on a reused tmpdir
    (tmp_path / "model.pt").touch(exist_ok=False)
    counter(); counter()
    assert counter.call_count == 2     # a reused Mock keeps counting
    state["epochs"] *= 2
    assert state["epochs"] == 20       # a reused object carries the last run's change
    burn(1.0)
"""
    )
    result = gb.runpytest("--greenbudget-report", "r.json")
    result.assert_outcomes(passed=1)
    entry = json.loads((gb.path / "r.json").read_text())["tests"][0]
    assert entry["samples_j"] == [1.0, 1.0, 1.0]


def test_only_the_call_phase_is_measured(gb: pytest.Pytester) -> None:
    gb.makepyfile(
        BURN
        + """
@pytest.fixture
def expensive_setup():
    burn(50.0)
    yield
    burn(70.0)

@pytest.mark.greenbudget(energy="5 J", repeats=2, warmup=0)
def test_body(expensive_setup):
    burn(1.5)
"""
    )
    result = gb.runpytest("--greenbudget-report", "r.json")
    result.assert_outcomes(passed=1)
    entry = json.loads((gb.path / "r.json").read_text())["tests"][0]
    assert entry["samples_j"] == [1.5, 1.5]


def test_a_later_run_failing_says_which_run(gb: pytest.Pytester) -> None:
    gb.makepyfile(
        BURN
        + """
RUNS = []

@pytest.mark.greenbudget(energy="5 J", repeats=4, warmup=1)
def test_wears_out():
    RUNS.append(1)
    burn(1.0)
    assert len(RUNS) < 4, "cache corrupted"

def test_runs_stopped_at_the_failure():
    assert len(RUNS) == 4
"""
    )
    result = gb.runpytest("-v", "--greenbudget-report", "r.json")
    result.assert_outcomes(passed=1, failed=1)
    # one line per test, not one per run
    assert result.stdout.str().count("test_wears_out FAILED") == 1
    result.stdout.fnmatch_lines(
        [
            "*AssertionError: cache corrupted*",
            "*failed on measured run 3 of 4 (greenbudget re-runs the test with fresh "
            "function-scoped fixtures; module/session fixtures are shared)*",
        ]
    )
    entry = json.loads((gb.path / "r.json").read_text())["tests"][0]
    assert entry["outcome"] == "failed"
    assert entry["energy_j"] is None
    assert "measured run 3 of 4" in entry["message"]


def test_a_first_run_failure_reads_as_plain_pytest(gb: pytest.Pytester) -> None:
    gb.makepyfile(
        BURN
        + """
@pytest.mark.greenbudget(energy="5 J", repeats=3, warmup=1)
def test_broken():
    assert False, "broken from the start"
"""
    )
    result = gb.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*broken from the start*"])
    assert "re-runs the test" not in result.stdout.str()


def test_wider_fixtures_are_torn_down_once_in_order(gb: pytest.Pytester) -> None:
    # After a run that stops early, the module fixture must still be torn down before the
    # next module's tests, exactly once, as without the plugin.
    gb.makepyfile(
        conftest="""
import pytest
EVENTS = []

@pytest.fixture(scope="session")
def events():
    return EVENTS
""",
        test_a=BURN
        + """
@pytest.fixture(scope="module")
def resource(events):
    events.append("a-up")
    yield
    events.append("a-down")

@pytest.mark.greenbudget(energy="5 J", repeats=3, warmup=0)
def test_flaky_late(resource, events):
    events.append("a-run")
    assert events.count("a-run") < 2

@pytest.mark.greenbudget(energy="5 J", repeats=2, warmup=0)
def test_fine(resource, events):
    events.append("a-fine")
""",
        test_b="""
def test_after(events):
    assert events == ["a-up", "a-run", "a-run", "a-fine", "a-fine", "a-down"]
""",
    )
    result = gb.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=2, failed=1)


def test_module_teardown_error_after_an_early_stop_is_reported(gb: pytest.Pytester) -> None:
    gb.makepyfile(
        BURN
        + """
@pytest.fixture(scope="module")
def leaky():
    yield
    raise RuntimeError("could not release the GPU")

@pytest.mark.greenbudget(energy="5 J", repeats=3, warmup=0)
def test_skips_later(leaky):
    if getattr(pytest, "_seen", False):
        pytest.skip("second run skips")
    pytest._seen = True
"""
    )
    result = gb.runpytest()
    result.assert_outcomes(skipped=1, errors=1)
    result.stdout.fnmatch_lines(["*could not release the GPU*"])


def test_the_test_after_a_failing_one_gets_its_own_fixtures(gb: pytest.Pytester) -> None:
    gb.makepyfile(
        BURN
        + """
@pytest.fixture
def fresh():
    return []

@pytest.mark.greenbudget(energy="5 J", repeats=2, warmup=0)
def test_fails(fresh):
    fresh.append(1)
    assert False

@pytest.mark.greenbudget(energy="5 J", repeats=2, warmup=0)
def test_next(fresh):
    assert fresh == []
    burn(1.0)
"""
    )
    result = gb.runpytest()
    result.assert_outcomes(passed=1, failed=1)


def test_over_budget_fails_the_call_with_the_budget_line(gb: pytest.Pytester) -> None:
    gb.makepyfile(
        BURN
        + """
@pytest.mark.greenbudget(energy="1 J", repeats=2, warmup=0)
def test_hungry():
    burn(3.0)
"""
    )
    result = gb.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["_*test_hungry*_", "energy budget exceeded: 3.00 J > 1.00 J*"])
    assert "Traceback" not in result.stdout.str()


WORKER = """
import json, threading
import pytest
from pytest_greenbudget.measure.protocol import run_once

RESULTS = {}
STOP = threading.Event()

class Worker:
    # what a paired runner does: single runs of an item on command, logging what it chooses
    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item, nextitem):
        item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
        runs = [run_once(item, None, measured=False), run_once(item, None, measured=True)]
        runs.append(run_once(item, nextitem, measured=True))
        for report in runs[-1].reports:
            item.ihook.pytest_runtest_logreport(report=report)
        item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
        RESULTS[item.name] = [
            [r.outcome, r.sample and r.sample.reading.energy_j, list(r.threads_left),
             [rep.when for rep in r.reports]]
            for r in runs
        ]
        return True

@pytest.hookimpl(trylast=True)  # after greenbudget registered, so this protocol goes first
def pytest_configure(config):
    config.pluginmanager.register(Worker())

def pytest_sessionfinish(session):
    STOP.set()
    with open("runs.json", "w") as f:
        json.dump(RESULTS, f)
"""


def test_run_once_is_a_primitive_for_single_runs(gb: pytest.Pytester) -> None:
    gb.makeconftest("pytest_plugins = ['fakemeter']\n" + WORKER)
    gb.makepyfile(
        BURN
        + """
import threading
from conftest import STOP

BUDGET = pytest.mark.greenbudget(energy="5 J")

@BUDGET
def test_burns(tmp_path):
    (tmp_path / "x").touch(exist_ok=False)
    burn(2.0)

@BUDGET
def test_skips():
    pytest.skip("no GPU")

@BUDGET
@pytest.mark.xfail(reason="known")
def test_xfails():
    assert False

@BUDGET
def test_fails():
    assert False

@BUDGET
def test_leaves_a_thread():
    threading.Thread(target=STOP.wait, name="leaked-pool", daemon=True).start()
"""
    )
    result = gb.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=2, skipped=1, xfailed=1, failed=1)
    runs = json.loads((gb.path / "runs.json").read_text())
    assert runs["test_burns"] == [
        ["passed", None, [], ["setup", "call", "teardown"]],
        ["passed", 2.0, [], ["setup", "call", "teardown"]],
        ["passed", 2.0, [], ["setup", "call", "teardown"]],
    ]
    assert {r[0] for r in runs["test_skips"]} == {"skipped"}
    assert {r[0] for r in runs["test_xfails"]} == {"xfailed"}
    assert [(r[0], r[1]) for r in runs["test_fails"]] == [("failed", None)] * 3
    assert [r[2] for r in runs["test_leaves_a_thread"]] == [["leaked-pool"]] * 3


def test_a_test_class_gets_a_fresh_instance_each_run(gb: pytest.Pytester) -> None:
    gb.makepyfile(
        BURN
        + """
class TestTrainer:
    @pytest.mark.greenbudget(energy="5 J", repeats=3, warmup=0)
    def test_epochs(self):
        self.epochs = getattr(self, "epochs", 0) + 1
        assert self.epochs == 1   # state on self from the last run would make this 2
        burn(1.0)
"""
    )
    result = gb.runpytest()
    result.assert_outcomes(passed=1)


FLAKY = """
ATTEMPTS = []

@pytest.mark.flaky(reruns=2)
@pytest.mark.greenbudget(energy="5 J", repeats=3, warmup=0)
def test_flaky():
    ATTEMPTS.append(1)
    burn(1.0)
    assert len(ATTEMPTS) != 2, "network blip"

def test_attempts():
    assert len(ATTEMPTS) == 2 + 3   # attempt 1 stopped at run 2; attempt 2 ran 3 times
"""


def test_flaky_reruns_end_passed_and_measured(gb: pytest.Pytester) -> None:
    pytest.importorskip("pytest_rerunfailures")
    gb.makepyfile(BURN + FLAKY)
    result = gb.runpytest(
        "-p", "rerunfailures", "-p", "no:randomly", "--greenbudget-report", "r.json"
    )
    result.assert_outcomes(passed=2)
    assert result.parseoutcomes()["rerun"] == 1
    entry = json.loads((gb.path / "r.json").read_text())["tests"][0]
    assert entry["outcome"] == "passed"
    assert entry["samples_j"] == [1.0, 1.0, 1.0]
    # the first attempt's reading is named, not silently dropped
    assert "attempt 1: failed on measured run 2 of 3" in entry["message"]
    assert "[1.00 J]" in entry["message"]


def test_flaky_reruns_exhausted_fail_as_pytest_rerunfailures_would(gb: pytest.Pytester) -> None:
    pytest.importorskip("pytest_rerunfailures")
    gb.makepyfile(
        BURN
        + """
@pytest.mark.flaky(reruns=1)
@pytest.mark.greenbudget(energy="5 J", repeats=2, warmup=0)
def test_broken():
    assert False, "always"
"""
    )
    result = gb.runpytest("-p", "rerunfailures")
    result.assert_outcomes(failed=1)
    assert result.parseoutcomes()["rerun"] == 1


def test_a_budgeted_test_run_by_another_protocol_is_not_silently_unmeasured(
    gb: pytest.Pytester,
) -> None:
    gb.makeconftest(
        """
pytest_plugins = ['fakemeter']
import pytest
from _pytest.runner import runtestprotocol

class Other:
    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item, nextitem):
        runtestprotocol(item, nextitem=nextitem)
        return True

@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    config.pluginmanager.register(Other())
"""
    )
    gb.makepyfile(BURN + "\n@pytest.mark.greenbudget(energy='5 J')\ndef test_x():\n    burn(1)\n")
    result = gb.runpytest("--greenbudget-report", "r.json")
    result.assert_outcomes(passed=1)
    entry = json.loads((gb.path / "r.json").read_text())["tests"][0]
    assert entry["energy_j"] is None
    assert "another plugin's pytest_runtest_protocol ran this test" in entry["message"]


def test_captured_output_and_logs_are_per_run(gb: pytest.Pytester) -> None:
    gb.makepyfile(
        BURN
        + """
import logging
RUNS = []

@pytest.mark.greenbudget(energy="5 J", repeats=3, warmup=1)
def test_chatty(capsys, caplog):
    RUNS.append(1)
    caplog.set_level(logging.INFO)
    print("epoch done")
    logging.getLogger("train").info("loss 0.1")
    assert capsys.readouterr().out == "epoch done\\n"
    assert [r.getMessage() for r in caplog.records] == ["loss 0.1"]
    burn(1.0)
    print(f"printed by run {len(RUNS)}")
    assert len(RUNS) < 3
"""
    )
    result = gb.runpytest()
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "printed by run 3" in out
    assert "printed by run 2" not in out  # the failing run's output only


def test_each_measured_call_starts_from_a_collected_heap(gb: pytest.Pytester) -> None:
    # Garbage an earlier test left must not decide when a collection falls inside a measured
    # window (an unchanged test read +7.7% at p=0.001 beside a changed one): the plugin
    # collects before every call of a budgeted test, so no gen-1 collection is pending then.
    gb.makepyfile(
        test_heap="""
import gc
import pytest
from fakemeter import burn

SEEN = []

def test_litter():
    for _ in range(30000):
        x = []
        x.append(x)  # cyclic garbage: triggers young collections, counted toward older ones

@pytest.mark.greenbudget(repeats=3, warmup=1)
def test_measured():
    SEEN.append(gc.get_count()[1:])
    burn(1.0)

def test_counts():
    assert SEEN == [(0, 0)] * 4, SEEN
"""
    )
    gb.runpytest("-p", "no:randomly").assert_outcomes(passed=3)
