"""A budget is tied to the meter it was set with: `meter:` on an entry or the marker."""

from __future__ import annotations

import pytest

from pytest_greenbudget.report.io import read_report

SUITE = """
import pytest
from fakemeter import burn

@pytest.mark.greenbudget(energy="1 J", meter="fake")
def test_same_meter():
    burn(2)

@pytest.mark.greenbudget(energy="1 J", meter="codecarbon")
def test_other_meter():
    burn(2)

@pytest.mark.greenbudget(energy="5 J", meter="cputime")
def test_other_meter_under_budget():
    burn(2)
"""


def test_budget_from_another_meter_is_reported_not_enforced(gb: pytest.Pytester) -> None:
    gb.makepyfile(test_tie=SUITE)
    result = gb.runpytest("--greenbudget-report", "r.json")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*_ test_same_meter _*",
            "energy budget exceeded: 2.00 J > 1.00 J (marker at test_tie.py:4)",
            "test_tie.py::test_other_meter: budget set with meter 'codecarbon' but measured*",
            "    *'fake': not enforced*",  # wrapped: the summary fits 100 columns
        ]
    )
    tests = {t.nodeid.split("::")[1]: t for t in read_report(gb.path / "r.json").tests}
    other = tests["test_other_meter"]
    assert other.verdict == "ok" and other.budget is not None
    assert other.budget.meter == "codecarbon" and other.budget_used == pytest.approx(2.0)
    assert other.message == (
        "energy budget exceeded: 2.00 J > 1.00 J (marker at test_tie.py:8); budget set with "
        "meter 'codecarbon' but measured with 'fake': not enforced, the meters' figures are "
        "not comparable"
    )
    assert "not enforced" in (tests["test_other_meter_under_budget"].message or "")
    assert tests["test_same_meter"].verdict == "over-budget" and not tests["test_same_meter"].notes


def test_config_entry_meter_with_components_joined(gb: pytest.Pytester) -> None:
    (gb.path / "greenbudget.yaml").write_text(
        "budgets:\n  - match: '*'\n    energy: 1 J\n    meter: fake\n"
    )
    gb.makepyfile(test_a="from fakemeter import burn\ndef test_a():\n    burn(3)\n")
    result = gb.runpytest()
    result.assert_outcomes(failed=1)  # same meter: the budget holds


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("    energy: 1 J\n    meter: auto\n", "*greenbudget.yaml:4: budgets[[]0[]].meter: meter "
         "'auto' does not say which meter produced the figures*cputime, rapl, nvml*"),
        ("    repeats: 2\n    meter: rapl\n", "*greenbudget.yaml:4: budgets[[]0[]].meter: 'meter' "
         "says which meter a budget was set with; give energy or carbon too"),
    ],
)  # fmt: skip
def test_bad_meter_key_names_file_line_and_key(
    gb: pytest.Pytester, entry: str, message: str
) -> None:
    (gb.path / "greenbudget.yaml").write_text(f"budgets:\n  - match: '*'\n{entry}")
    result = gb.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])


def test_bad_marker_meter_names_the_test(gb: pytest.Pytester) -> None:
    gb.makepyfile(
        test_m="import pytest\n@pytest.mark.greenbudget(energy='1 J', meter='rapl+')\n"
        "def test_m():\n    pass\n"
    )
    result = gb.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*test_m.py::test_m: greenbudget marker: meter 'rapl+'*"])
