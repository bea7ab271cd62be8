"""The regression gate inside a pytest run: verdicts, the confirming re-measurement,
comparability, missing tests, and xdist."""

from __future__ import annotations

import json
import math
import re
import statistics
from pathlib import Path

import pytest

from pytest_greenbudget.report.io import read_report

# Deterministic "noise": run i burns scale x (1 + 1% x (i mod 3)), so samples have spread.
SUITE = """
from fakemeter import burn
import pytest

SCALE = {scale}
CALLS = []

def jitter():
    CALLS.append(1)
    return 1 + 0.01 * (len(CALLS) % 3)

@pytest.mark.greenbudget(repeats=5, warmup=0, tolerance="5%")
def test_model():
    burn(SCALE["model"] * jitter())

@pytest.mark.greenbudget(repeats=5, warmup=0)
def test_other():
    burn(SCALE["other"] * jitter())
"""


def _suite(pytester: pytest.Pytester, model: float, other: float = 1.0) -> None:
    pytester.makepyfile(test_suite=SUITE.format(scale={"model": model, "other": other}))


def _baseline(pytester: pytest.Pytester, model: float = 1.0, other: float = 1.0) -> None:
    _suite(pytester, model, other)
    pytester.runpytest("--greenbudget-report", "base.json").assert_outcomes(passed=2)


# The fake meter is a perfect counter: its figures have no noise between sessions.
@pytest.fixture(autouse=True)
def _exact_meter(gb: pytest.Pytester) -> None:
    (gb.path / "greenbudget.yaml").write_text("defaults:\n  session_noise: 0%\n")


def _verdicts(path: Path) -> dict[str, str | None]:
    return {t.nodeid: t.verdict for t in read_report(path).tests}


def test_regression_fails_with_change_and_p_value(gb: pytest.Pytester) -> None:
    _baseline(gb)
    _suite(gb, model=1.3)
    result = gb.runpytest(
        "--greenbudget-baseline", "base.json", "--greenbudget-report", "head.json"
    )
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*energy regressed +30% vs baseline (1.01 J -> 1.31 J, p*0.0*); confirmed by a second measurement*"
        ]
    )
    assert _verdicts(gb.path / "head.json") == {
        "test_suite.py::test_model": "regressed",
        "test_suite.py::test_other": "unchanged",
    }
    entry = read_report(gb.path / "head.json").tests[0]
    assert entry.baseline is not None and entry.baseline.method == "welch"
    assert entry.baseline.p_value is not None and entry.baseline.p_value < 0.01


def test_improvement_and_noise_pass(gb: pytest.Pytester) -> None:
    _baseline(gb)
    _suite(gb, model=0.7, other=1.02)
    result = gb.runpytest(
        "--greenbudget-baseline", "base.json", "--greenbudget-report", "head.json"
    )
    result.assert_outcomes(passed=2)
    assert _verdicts(gb.path / "head.json") == {
        "test_suite.py::test_model": "improved",
        "test_suite.py::test_other": "unchanged",
    }


def test_flagged_regression_is_remeasured_before_failing(gb: pytest.Pytester) -> None:
    _baseline(gb)
    # The first 5 runs are slow (a noisy neighbour), the re-measurement is back to normal.
    gb.makepyfile(
        test_suite="""
from fakemeter import burn
import pytest

CALLS = []

@pytest.mark.greenbudget(repeats=5, warmup=0)
def test_model():
    CALLS.append(1)
    burn((1.5 if len(CALLS) <= 5 else 1.0) * (1 + 0.01 * (len(CALLS) % 3)))

def test_calls():
    assert len(CALLS) == 10  # measured once, flagged, measured once more; never a third time
"""
    )
    result = gb.runpytest(
        "--greenbudget-baseline", "base.json", "--greenbudget-report", "head.json"
    )
    result.assert_outcomes(passed=2)
    entry = read_report(gb.path / "head.json").by_nodeid()["test_suite.py::test_model"]
    assert entry.verdict == "unchanged"
    assert entry.message is not None and "a second one did not confirm" in entry.message


def test_new_and_missing_tests(gb: pytest.Pytester) -> None:
    _baseline(gb)
    gb.makepyfile(
        test_suite="from fakemeter import burn\nimport pytest\n"
        "@pytest.mark.greenbudget(repeats=3)\ndef test_brand_new():\n    burn(1)\n"
    )
    result = gb.runpytest(
        "--greenbudget-baseline", "base.json", "--greenbudget-report", "head.json"
    )
    result.assert_outcomes(passed=1)
    assert _verdicts(gb.path / "head.json") == {
        "test_suite.py::test_brand_new": "new",
        "test_suite.py::test_model": "missing",
        "test_suite.py::test_other": "missing",
    }


def test_few_samples_fall_back_to_the_ratio_and_say_so(gb: pytest.Pytester) -> None:
    gb.makepyfile(test_suite="from fakemeter import burn\nimport pytest\nE = {'j': 1.0}\n"
                  "@pytest.mark.greenbudget(repeats=1, warmup=0)\ndef test_once():\n    burn(E['j'])\n")  # fmt: skip
    gb.runpytest("--greenbudget-report", "base.json")
    gb.makepyfile(test_suite="from fakemeter import burn\nimport pytest\n"
                  "@pytest.mark.greenbudget(repeats=1, warmup=0)\ndef test_once():\n    burn(1.5)\n")  # fmt: skip
    result = gb.runpytest("--greenbudget-baseline", "base.json")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*energy regressed +50% vs baseline (1.00 J -> 1.50 J, ratio only: too few samples*"]
    )


def _other_machine(path: Path) -> None:
    data = json.loads(path.read_text())
    data["environment"]["cpu_model"] = "AMD EPYC 7763 64-Core Processor"
    path.write_text(json.dumps(data))


def test_baseline_from_another_machine_reports_but_does_not_gate(gb: pytest.Pytester) -> None:
    _baseline(gb)
    _other_machine(gb.path / "base.json")
    _suite(gb, model=1.3)
    result = gb.runpytest(
        "--greenbudget-baseline", "base.json", "--greenbudget-report", "head.json"
    )
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        ["*baseline from another machine, meter, worker count or thread limit*", "*7763*"]
    )
    assert _verdicts(gb.path / "head.json")["test_suite.py::test_model"] == "regressed"

    forced = gb.runpytest("--greenbudget-baseline", "base.json", "--greenbudget-gate-incomparable")
    forced.assert_outcomes(passed=1, failed=1)


def test_unreadable_baseline_is_a_usage_error(gb: pytest.Pytester) -> None:
    (gb.path / "base.json").write_text('{"schema_version": "9.0", "tests": []}')
    result = gb.runpytest("--greenbudget-baseline", "base.json")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: greenbudget: base.json: schema_version '9.0' is not supported*"]
    )


def test_xdist_workers_send_entries_to_one_report(
    gb: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("xdist")
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).parents[1] / "support"))  # for the workers
    gb.makepyfile(
        test_many="from fakemeter import burn\nimport pytest\n"
        + "".join(
            f"@pytest.mark.greenbudget(energy='5 J', repeats=2, warmup=0)\ndef test_{i}():\n    burn({i + 1})\n"
            for i in range(6)
        )
    )
    result = gb.runpytest_subprocess("-n", "2", "--greenbudget-report", "r.json")
    result.assert_outcomes(passed=5, failed=1)
    report = read_report(gb.path / "r.json")
    assert report.environment.workers == 2
    assert sorted(t.nodeid for t in report.tests) == [f"test_many.py::test_{i}" for i in range(6)]
    assert report.by_nodeid()["test_many.py::test_5"].verdict == "over-budget"
    assert len(re.findall(r"=+ greenbudget =+", result.stdout.str())) == 1


def test_xdist_with_baseline_lists_missing_tests_once(
    gb: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("xdist")
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).parents[1] / "support"))
    _baseline(gb)
    gb.makepyfile(
        test_suite="from fakemeter import burn\nimport pytest\n"
        + "".join(
            f"@pytest.mark.greenbudget(repeats=3)\ndef test_{i}():\n    burn(1)\n" for i in range(4)
        )
        + "@pytest.mark.greenbudget(repeats=3)\ndef test_model():\n    burn(1)\n"
    )
    result = gb.runpytest_subprocess(
        "-n", "2", "--greenbudget-baseline", "base.json", "--greenbudget-report", "r.json"
    )
    result.assert_outcomes(passed=5)
    verdicts = _verdicts(gb.path / "r.json")
    assert verdicts["test_suite.py::test_other"] == "missing"
    assert verdicts["test_suite.py::test_model"] != "missing"
    assert len(read_report(gb.path / "r.json").tests) == 6


def test_xdist_crashed_worker_is_named_and_the_rest_reported(
    gb: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("xdist")
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).parents[1] / "support"))
    gb.makepyfile(
        test_crash="""
import os
from fakemeter import burn
import pytest

@pytest.mark.greenbudget(repeats=1, warmup=0)
def test_a():
    burn(1)

def test_crash():
    os._exit(3)  # the worker dies mid-run
"""
    )
    result = gb.runpytest_subprocess("-n", "2", "--greenbudget-report", "r.json")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    report = read_report(gb.path / "r.json")
    assert any("ended without its final report" in note for note in report.environment.notes)


def test_default_session_noise_calls_a_session_sized_shift_inconclusive(
    gb: pytest.Pytester,
) -> None:
    # +30% with tight repeats is what one slow session on a shared VM looks like: under the
    # meter default (25% for a meter it does not know, like the fake one) the gate cannot
    # tell it from noise and says so, without failing; a tripling still fails.
    (gb.path / "greenbudget.yaml").unlink()  # the built-in default applies
    _baseline(gb)
    _suite(gb, model=1.3, other=3.0)
    result = gb.runpytest(
        "--greenbudget-baseline", "base.json", "--greenbudget-report", "head.json"
    )
    result.assert_outcomes(passed=1, failed=1)
    assert _verdicts(gb.path / "head.json") == {
        "test_suite.py::test_model": "inconclusive",
        "test_suite.py::test_other": "regressed",
    }
    entry = read_report(gb.path / "head.json").by_nodeid()["test_suite.py::test_model"]
    # The summary's gate line quotes the figures the verdicts used (the tests' own, 90% power).
    floors = sorted(
        f"+{t.baseline.detectable:.0%}"
        for t in read_report(gb.path / "head.json").tests
        if t.baseline is not None and t.baseline.detectable is not None
    )
    floors.sort(key=len)  # "+99%" before "+100%": whole percents, so length orders them
    shown = floors[0] if floors[0] == floors[-1] else f"{floors[0]} to {floors[-1]}"
    result.stdout.fnmatch_lines(
        [
            "regressions: above 5% tolerance and p < 0.01, allowing 25% noise between sessions*",
            f"    *about {shown} are not reliably seen)",
        ]
    )
    assert entry.session_noise == 0.25 and entry.noise_source == "meter default (fake)"
    assert entry.baseline is not None and entry.baseline.p_value is not None
    assert entry.baseline.p_value > 0.1
    # At least what the session noise alone allows (z-test, 90% power), and barely more: the
    # repeats agree to 1%.
    z = statistics.NormalDist().inv_cdf
    floor = math.expm1((z(0.99) + z(0.9)) * math.sqrt(2 * math.log1p(0.25**2)))
    assert floor <= entry.baseline.detectable < floor * 1.01
    assert entry.message == (
        "energy +30% vs baseline, inconclusive: this comparison could only have found a "
        f"change above +{entry.baseline.detectable:.0%} (25% between-session noise, meter "
        f"default (fake), 5 runs a side) (1.01 J -> 1.31 J, p={entry.baseline.p_value:.2g})"
    )


def test_an_inconclusive_comparison_does_not_fail_the_run(gb: pytest.Pytester) -> None:
    (gb.path / "greenbudget.yaml").unlink()
    _baseline(gb)
    _suite(gb, model=1.3)
    result = gb.runpytest("--greenbudget-baseline", "base.json")
    result.assert_outcomes(passed=2)
    assert result.ret == pytest.ExitCode.OK


def test_one_run_a_side_is_judged_against_session_noise(gb: pytest.Pytester) -> None:
    gb.makepyfile(test_suite="from fakemeter import burn\nimport pytest\n"
                  "@pytest.mark.greenbudget(repeats=1, warmup=0)\ndef test_once():\n    burn(1.0)\n")  # fmt: skip
    gb.runpytest("--greenbudget-report", "base.json")
    gb.makepyfile(test_suite="from fakemeter import burn\nimport pytest\n"
                  "@pytest.mark.greenbudget(repeats=1, warmup=0)\ndef test_once():\n    burn(4.0)\n")  # fmt: skip
    result = gb.runpytest(
        "--greenbudget-baseline", "base.json", "--greenbudget-session-noise", "20%"
    )  # the flag beats the file
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*energy regressed +300% vs baseline (1.00 J -> 4.00 J, p<0.001)*"]
    )
