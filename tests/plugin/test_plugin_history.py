"""The unpaired gate in a pytest run, as users see it: meter defaults, several base runs given
to --greenbudget-baseline, and what is inconclusive."""

from __future__ import annotations

import pytest

from pytest_greenbudget.report.io import read_report

# The fake meter is exact, so "sessions" differ only where SCALE says: a base run per scale.
SUITE = """
from fakemeter import burn
import pytest

@pytest.mark.greenbudget(repeats=3, warmup=0)
def test_model():
    burn({scale})
"""


def _runs(pytester: pytest.Pytester, *scales: float) -> list[str]:
    args = []
    for i, scale in enumerate(scales):
        pytester.makepyfile(test_suite=SUITE.format(scale=scale))
        pytester.runpytest("--greenbudget-report", f"base{i}.json").assert_outcomes(passed=1)
        args += ["--greenbudget-baseline", f"base{i}.json"]
    return args


def _head(pytester: pytest.Pytester, scale: float, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_suite=SUITE.format(scale=scale))
    return pytester.runpytest(*args, "--greenbudget-report", "head.json")


def _judged(pytester: pytest.Pytester) -> tuple[str | None, str, str | None]:
    test = read_report(pytester.path / "head.json").tests[0]
    method = test.baseline.method if test.baseline else None
    return test.verdict, test.noise_source, method


def test_a_steady_history_of_base_runs_catches_plus_ten_percent(gb: pytest.Pytester) -> None:
    # Five base sessions within 0.5% of each other: a +10% head is a regression, where the
    # meter default (25% for an unknown meter) could not have told it from a slow session.
    base = _runs(gb, 1.0, 1.004, 0.996, 1.002, 0.998)
    result = _head(gb, 1.1, *base)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*energy regressed +10% vs baseline*"])
    assert _judged(gb) == ("regressed", "history of 5 runs", "history")
    _head(gb, 1.1, "--greenbudget-baseline", "base0.json").assert_outcomes(passed=1)
    assert _judged(gb)[:2] == ("inconclusive", "meter default (fake)")


def test_same_code_against_a_steady_history_is_unchanged(gb: pytest.Pytester) -> None:
    base = _runs(gb, 1.0, 1.004, 0.996, 1.002, 0.998)
    _head(gb, 1.001, *base).assert_outcomes(passed=1)
    assert _judged(gb) == ("unchanged", "history of 5 runs", "history")
    report = read_report(gb.path / "head.json")
    assert report.tests[0].baseline is not None
    detectable = report.tests[0].baseline.detectable
    assert detectable is not None and detectable < 0.05


def test_a_noisy_history_is_inconclusive_and_passes(gb: pytest.Pytester) -> None:
    base = _runs(gb, 1.0, 1.3, 0.8)
    result = _head(gb, 1.2, *base)
    result.assert_outcomes(passed=1)
    assert _judged(gb) == ("inconclusive", "history of 3 runs", "history")
    result.stdout.fnmatch_lines(["*inconclusive*"])


def test_the_users_session_noise_wins_over_the_history(gb: pytest.Pytester) -> None:
    base = _runs(gb, 1.0, 1.004, 0.996, 1.002, 0.998)
    _head(gb, 1.1, *base, "--greenbudget-session-noise", "30%").assert_outcomes(passed=1)
    assert _judged(gb) == ("inconclusive", "setting", "z")  # exact meter: no spread


def test_the_same_base_run_twice_is_a_usage_error(gb: pytest.Pytester) -> None:
    _runs(gb, 1.0)
    result = _head(gb, 1.0, "--greenbudget-baseline", "base0.json", "--greenbudget-baseline",
                   "base0.json")  # fmt: skip
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: greenbudget: base0.json is the same run as base0.json; give each run once"]
    )


def test_several_baselines_outside_the_project_are_all_named_in_the_rootdir_fix(
    gb: pytest.Pytester,
) -> None:
    _runs(gb, 1.0, 1.01)
    outside = gb.path.parent / f"{gb.path.name}-artifacts"
    outside.mkdir()
    paths = [outside / "a.json", outside / "b.json"]
    for i, path in enumerate(paths):
        path.write_text((gb.path / f"base{i}.json").read_text())
    args = [a for p in paths for a in ("--greenbudget-baseline", str(p))]
    result = _head(gb, 1.0, *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    fix = f"--greenbudget-baseline={paths[0]} --greenbudget-baseline={paths[1]}"
    assert fix in result.stderr.str()
    _head(gb, 1.0, *(f"--greenbudget-baseline={p}" for p in paths)).assert_outcomes(passed=1)
