"""The `threads` setting: thread pools limited during measured runs, recorded in the report,
validated where it is read; and the spin-signature note."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_greenbudget.measure.threads import spin_note
from pytest_greenbudget.report.io import read_report
from pytest_greenbudget.settings.values import parse_threads

# The body records what threadpoolctl sees: the BLAS pools' sizes during each run.
POOLS_SUITE = """
import json
import numpy as np
import pytest
from threadpoolctl import threadpool_info
from fakemeter import burn

def record(name):
    sizes = sorted({p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"})
    with open(name + ".jsonl", "a") as f:
        f.write(json.dumps(sizes) + "\\n")

@pytest.mark.greenbudget(energy="5 J", repeats=2, warmup=1)
def test_default():
    record("default")
    burn(1)

@pytest.mark.greenbudget(energy="5 J", repeats=2, warmup=1, threads=2)
def test_marker():
    record("marker")
    burn(1)

@pytest.mark.training
def test_entry():
    record("entry")
    burn(1)
"""


def _pools(path: Path) -> list[list[int]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_pools_are_limited_in_every_run_and_the_limit_is_reported(gb: pytest.Pytester) -> None:
    pytest.importorskip("numpy")
    ini = gb.path / "tox.ini"  # the gb fixture's options, plus the marker the entry selects
    ini.write_text(
        ini.read_text().rstrip() + "\nmarkers =\n    training: selected by a budget entry\n"
    )
    (gb.path / "greenbudget.yaml").write_text(
        "defaults:\n  threads: 1\nbudgets:\n"
        "  - marker: training\n    energy: 5 J\n    threads: unlimited\n    repeats: 2\n"
    )
    gb.makepyfile(test_pools=POOLS_SUITE)
    result = gb.runpytest("--greenbudget-report", "r.json")
    result.assert_outcomes(passed=3)
    assert _pools(gb.path / "default.jsonl") == [[1]] * 3  # the warm-up run too
    assert _pools(gb.path / "marker.jsonl") == [[2]] * 3  # the marker wins over the default
    report = read_report(gb.path / "r.json")
    threads = {t.nodeid.split("::")[1]: t.threads for t in report.tests}
    assert threads == {"test_default": 1, "test_marker": 2, "test_entry": None}
    assert report.environment.threads == 1


def test_command_line_flag_sets_the_default(gb: pytest.Pytester) -> None:
    gb.makepyfile(
        test_a="import pytest\n@pytest.mark.greenbudget(repeats=1)\ndef test_a():\n    pass\n"
    )
    result = gb.runpytest("--greenbudget-threads", "3", "--greenbudget-report", "r.json")
    result.assert_outcomes(passed=1)
    report = read_report(gb.path / "r.json")
    assert report.tests[0].threads == 3 and report.environment.threads == 3
    result.stdout.fnmatch_lines(["machine: *, thread pools limited to 3"])


@pytest.mark.parametrize("flag", ["0", "two", "-1"])
def test_bad_flag_is_one_usage_line(gb: pytest.Pytester, flag: str) -> None:
    result = gb.runpytest(f"--greenbudget-threads={flag}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*threads must be a whole number >= 1*'unlimited'*"])
    assert "Traceback" not in result.stderr.str()


def test_bad_config_value_names_file_line_and_key(gb: pytest.Pytester) -> None:
    (gb.path / "greenbudget.yaml").write_text(
        "budgets:\n  - match: '*'\n    energy: 1 J\n    threads: 1.5\n"
    )
    result = gb.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*greenbudget.yaml:4: budgets[[]0[]].threads: threads must be a whole number >= 1*"]
    )


def test_bad_marker_value_names_the_test(gb: pytest.Pytester) -> None:
    gb.makepyfile(
        test_m="import pytest\n@pytest.mark.greenbudget(threads=0)\ndef test_m():\n    pass\n"
    )
    result = gb.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*test_m.py::test_m: greenbudget marker keyword 'threads'*"])


def test_threadpoolctl_is_imported_only_when_a_limit_is_set(
    gb: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = Path(__file__).parents[1]  # the plugin under test and the fake meter, for the child
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(here / "support"), str(here.parent)]))
    gb.makepyfile(
        test_i="""
import sys
import pytest

@pytest.mark.greenbudget(repeats=1)
def test_i():
    print("threadpoolctl loaded:", "threadpoolctl" in sys.modules)
"""
    )
    unlimited = gb.runpytest_subprocess("-s")
    unlimited.stdout.fnmatch_lines(["*threadpoolctl loaded: False*"])
    limited = gb.runpytest_subprocess("-s", "--greenbudget-threads", "1")
    limited.stdout.fnmatch_lines(["*threadpoolctl loaded: True*"])


@pytest.mark.parametrize(
    ("value", "expected"), [(1, 1), ("4", 4), ("unlimited", 0), (" Unlimited ", 0)]
)
def test_parse_threads(value: object, expected: int) -> None:
    assert parse_threads(value) == expected


@pytest.mark.parametrize("value", [0, -2, 1.0, True, "auto", None, "1 thread"])
def test_parse_threads_refuses(value: object) -> None:
    with pytest.raises(ValueError, match="threads must be a whole number >= 1"):
        parse_threads(value)


def test_spin_note_needs_both_many_threads_and_spread() -> None:
    spinning = spin_note([1.8, 0.9, 2.6], [1.0, 0.6, 1.3], [6.3, 3.2, 9.1], None)
    assert spinning is not None and "threads: 1" in spinning and "1.8 CPU s per wall s" in spinning
    steady_many = spin_note([1.9, 1.9, 1.9], [1.0, 1.0, 1.0], [6.6, 6.6, 6.7], None)
    spread_one_thread = spin_note([0.9, 0.5, 1.4], [1.0, 0.6, 1.5], [3.1, 1.7, 4.9], None)
    assert steady_many is None and spread_one_thread is None


def test_a_busy_machine_hides_the_ratio_but_a_wide_spread_with_pools_still_advises() -> None:
    """Issue 19: a LogisticRegression fit read 0.3 CPU s per wall s on a loaded 2-vCPU VM
    whether threaded or pinned, and spread 70% threaded: the ratio alone never advised."""
    loaded = ([0.08, 0.03, 0.09, 0.18], [0.3, 0.1, 0.3, 0.6], [0.086, 0.041, 0.068, 0.18])
    advice = spin_note(*loaded, None, pools=lambda: 2)
    assert advice is not None and "pools of 2 threads" in advice and "threads: 1" in advice
    assert spin_note(*loaded, None, pools=lambda: 1) is None  # one-thread pools: not them
    assert spin_note(*loaded, 1, pools=lambda: 2) is None  # already pinned
    asked: list[int] = []
    steady = ([0.08] * 3, [0.3] * 3, [0.086, 0.080, 0.090])  # spread 6%: pools never asked
    assert spin_note(*steady, None, pools=lambda: asked.append(1) or 8) is None and asked == []


def test_pool_threads_sees_numpys_blas() -> None:
    # In a fresh process: numpy cannot be imported again in one that in-process pytester
    # runs have taken it out of sys.modules.
    pytest.importorskip("threadpoolctl")
    code = (
        "import numpy\n"
        "from threadpoolctl import threadpool_info\n"
        "from pytest_greenbudget.measure.threads import pool_threads\n"
        "print(pool_threads(), max(int(p['num_threads']) for p in threadpool_info()))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if "No module named 'numpy'" in out.stderr:
        pytest.skip("numpy is in the test extra")
    found, expected = map(int, out.stdout.split())
    assert found == expected >= 1


def test_spin_note_is_quiet_when_already_pinned_or_unmeasurable() -> None:
    assert spin_note([1.8, 0.9], [1.0, 0.5], [6.3, 3.2], 1) is None
    assert spin_note([1.8], [1.0], [6.3], None) is None  # one run: no spread to speak of
    assert spin_note([1.8, 0.9], [0.0, 0.5], [6.3, 3.2], None) is None
    assert "(limit 4)" in (spin_note([3.8, 1.9], [1.0, 1.0], [6.3, 3.2], 4) or "")


SPIN_SUITE = """
import pytest
from fakemeter import burn, spin

RUNS = iter([1.0, 3.0, 0.5, 2.0])

@pytest.mark.greenbudget(energy="50 J", repeats=3, warmup=1)
def test_spins():
    joules = next(RUNS)
    burn(joules)
    spin(joules / 100)  # as much CPU again as wall time: a second busy thread

@pytest.mark.greenbudget(energy="50 J", repeats=3, warmup=1)
def test_steady():
    burn(1.0)
"""


def test_spin_signature_is_noted_in_terminal_and_report(gb: pytest.Pytester) -> None:
    gb.makepyfile(test_spin=SPIN_SUITE)
    result = gb.runpytest("--greenbudget-report", "r.json")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "test_spin.py::test_spins: 2.0 CPU s per wall s, runs spread *%: spinning*",
            "    threads: 1*",  # wrapped: the summary fits 100 columns
        ]
    )
    notes = {t.nodeid: t.notes for t in read_report(gb.path / "r.json").tests}
    assert len(notes["test_spin.py::test_spins"]) == 1
    assert notes["test_spin.py::test_steady"] == ()
    pinned = gb.runpytest("--greenbudget-threads", "1")
    assert "CPU s per wall s" not in pinned.stdout.str()


def test_serial_baseline_and_parallel_run_are_not_comparable(
    gb: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("xdist")
    here = Path(__file__).parents[1]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(here / "support"), str(here.parent)]))
    gb.makepyfile(
        test_x="from fakemeter import burn\nimport pytest\n"
        + "".join(
            f"@pytest.mark.greenbudget(repeats=3)\ndef test_{i}():\n    burn({i + 1})\n"
            for i in range(2)
        )
    )
    gb.runpytest("--greenbudget-report", "base.json").assert_outcomes(passed=2)
    # Five times the energy in every test: regressed, but against a serial baseline.
    (gb.path / "test_x.py").write_text(
        (gb.path / "test_x.py").read_text().replace("burn(", "burn(5 * ")
    )
    result = gb.runpytest_subprocess(
        "-n", "2", "--greenbudget-baseline", "base.json", "--greenbudget-report", "head.json"
    )
    result.assert_outcomes(passed=2)
    head = read_report(gb.path / "head.json")
    assert head.environment.workers == 2
    assert {t.verdict for t in head.tests} == {"regressed"}
    assert all(t.baseline is not None and not t.baseline.comparable for t in head.tests)
    assert any("xdist workers differ: none (serial) vs 2" in n for n in head.environment.notes)


def test_missing_threadpoolctl_fails_the_test_with_the_fix(
    gb: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)  # makes the import fail
    gb.makepyfile(
        test_t="import pytest\n@pytest.mark.greenbudget(threads=1)\ndef test_t():\n    pass\n"
    )
    result = gb.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*greenbudget: threads: 1 needs threadpoolctl*pip install threadpoolctl"]
    )
    assert "Traceback" not in result.stdout.str()
