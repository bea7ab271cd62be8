"""The marker as users write it: budgets, options, and every way to get it wrong."""

from __future__ import annotations

import json

import pytest

BURN = "from fakemeter import burn\nimport pytest\n"


def test_marker_budget_within_and_over(gb: pytest.Pytester) -> None:
    gb.makepyfile(
        BURN
        + """
@pytest.mark.greenbudget(energy="5 J", repeats=1, warmup=0)
def test_fits():
    burn(4.0)

@pytest.mark.greenbudget(energy="5 J", repeats=1, warmup=0)
def test_too_hungry():
    burn(6.2)
"""
    )
    result = gb.runpytest("--strict-markers")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["*energy budget exceeded: 6.20 J > 5.00 J (marker at test_*.py:8)*"]
    )
    assert "Traceback" not in result.stdout.str()


def test_carbon_budget(gb: pytest.Pytester) -> None:
    # 36 kJ = 0.01 kWh; at the 475 g/kWh world default that is 4.75 g.
    gb.makepyfile(
        BURN
        + """
@pytest.mark.greenbudget(carbon="4 gCO2e", repeats=1, warmup=0)
def test_dirty():
    burn(36000)
"""
    )
    result = gb.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*carbon budget exceeded: 4.75 gCO2e > 4.00 gCO2e*"])


def test_repeats_and_warmup_run_the_body_exactly_that_often(gb: pytest.Pytester) -> None:
    gb.makepyfile(
        BURN
        + """
CALLS = []
FIXTURE_SETUPS = []
MODULE_SETUPS = []

@pytest.fixture(scope="module")
def dataset():
    MODULE_SETUPS.append(1)
    return object()

@pytest.fixture
def model():
    FIXTURE_SETUPS.append(1)
    return object()

@pytest.mark.greenbudget(energy="5 J", repeats=4, warmup=2)
def test_counted(model, dataset):
    CALLS.append((model, dataset))
    burn(1.0)

def test_check():
    assert len(CALLS) == 6          # 2 warm-up + 4 measured, never a hidden extra run
    assert len({id(m) for m, _ in CALLS}) == 6  # a fresh function fixture every run
    assert len(FIXTURE_SETUPS) == 6
    assert len({id(d) for _, d in CALLS}) == 1  # the module fixture is shared
    assert len(MODULE_SETUPS) == 1
"""
    )
    result = gb.runpytest("--greenbudget-report", "r.json")
    result.assert_outcomes(passed=2)
    entry = json.loads((gb.path / "r.json").read_text())["tests"][0]
    assert entry["samples_j"] == [1.0, 1.0, 1.0, 1.0]
    assert (entry["repeats"], entry["warmup"]) == (4, 2)


def test_only_budgeted_tests_are_measured(gb: pytest.Pytester) -> None:
    gb.makepyfile(
        BURN
        + """
from fakemeter import LEDGER
def test_plain():
    LEDGER["seen"] = LEDGER["starts"]
    burn(100)
"""
    )
    result = gb.runpytest("--greenbudget-report", "r.json")
    result.assert_outcomes(passed=1)
    assert json.loads((gb.path / "r.json").read_text())["tests"] == []
    assert "greenbudget" not in result.stdout.str().split("passed")[0].split("===")[-1]


def test_marker_without_budget_is_measured_and_reported(gb: pytest.Pytester) -> None:
    gb.makepyfile(
        BURN + "@pytest.mark.greenbudget(repeats=2, warmup=0)\ndef test_x():\n    burn(3)\n"
    )
    result = gb.runpytest("--greenbudget-report", "r.json")
    result.assert_outcomes(passed=1)
    entry = json.loads((gb.path / "r.json").read_text())["tests"][0]
    assert entry["budget"] is None and entry["verdict"] == "ok" and entry["energy_j"] == 3.0


def test_per_unit_budget_uses_declared_work(gb: pytest.Pytester) -> None:
    gb.makepyfile(
        BURN
        + """
@pytest.mark.greenbudget(energy="2 mJ", per="sample", repeats=2, warmup=0)
def test_batch(greenbudget):
    burn(0.25)                      # 256 samples at ~0.98 mJ each
    greenbudget.work(256, "sample")

@pytest.mark.greenbudget(energy="2 mJ", per="sample", repeats=1, warmup=0)
def test_small_batch(greenbudget):
    burn(0.25)
    greenbudget.work(64, "sample")  # 3.91 mJ per sample

@pytest.mark.greenbudget(energy="2 mJ", per="sample", repeats=1, warmup=0)
def test_forgot_units():
    burn(0.25)
"""
    )
    result = gb.runpytest()
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*energy budget exceeded: 3.91 mJ/sample > 2.00 mJ/sample*",
            "*budget is per 'sample' but the test never called greenbudget.work(n, 'sample')*",
        ]
    )


def test_measure_windows_count_only_their_block(gb: pytest.Pytester) -> None:
    gb.makepyfile(
        BURN
        + """
@pytest.mark.greenbudget(energy="1 J", repeats=1, warmup=0)
def test_windows(greenbudget):
    burn(50)                   # data loading: outside the windows
    with greenbudget.measure():
        burn(0.3)
    with greenbudget.measure():
        burn(0.4)
"""
    )
    result = gb.runpytest("--greenbudget-report", "r.json")
    result.assert_outcomes(passed=1)
    entry = json.loads((gb.path / "r.json").read_text())["tests"][0]
    assert entry["energy_j"] == pytest.approx(0.7)


def test_nested_windows_are_a_clear_error(gb: pytest.Pytester) -> None:
    gb.makepyfile(
        BURN
        + """
@pytest.mark.greenbudget(energy="1 J", repeats=1, warmup=0)
def test_nested(greenbudget):
    with greenbudget.measure():
        with greenbudget.measure():
            pass
"""
    )
    result = gb.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*greenbudget.measure() windows cannot be nested*"])


@pytest.mark.parametrize(
    ("marker", "expected"),
    [
        ('"40 J"', "*test_bad.py::test_x: greenbudget marker takes keywords only*"),
        (
            'energy="40 J", joules=3',
            "*test_bad.py::test_x: unknown greenbudget marker keyword 'joules'; valid: energy, carbon, per, tolerance, repeats, warmup*",
        ),
        (
            'energy="5 jouls"',
            "*test_bad.py::test_x: greenbudget marker keyword 'energy': unknown unit 'jouls'*valid units: *J*",
        ),
        ('energy="-1 J"', "*keyword 'energy': energy must be greater than zero*"),
        ("energy=40", "*keyword 'energy': energy must be a string with a unit, e.g. '40 J'*"),
        ('energy="1 J", repeats=0', "*keyword 'repeats': repeats must be from 1 to 1000*"),
        (
            'energy="1 J", tolerance="5"',
            "*keyword 'tolerance': tolerance '5' must be a percentage*",
        ),
        ('per="sample"', "*'per' needs an energy or carbon budget*"),
    ],
)
def test_bad_marker_arguments_are_usage_errors(
    gb: pytest.Pytester, marker: str, expected: str
) -> None:
    gb.makepyfile(
        test_bad=f"import pytest\n@pytest.mark.greenbudget({marker})\ndef test_x():\n    pass\n"
    )
    result = gb.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([expected])
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


def test_marker_is_registered_for_strict_markers(gb: pytest.Pytester) -> None:
    result = gb.runpytest("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.greenbudget(energy=None, carbon=None, *"])
