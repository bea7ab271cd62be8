"""Budgets from greenbudget.yaml / pyproject.toml, precedence, and every bad input."""

from __future__ import annotations

import json
import re

import pytest


def literal(pattern: str) -> str:
    """fnmatch treats [ and ] as a character class; messages contain budgets[0]."""
    return re.sub(r"([\[\]])", r"[\1]", pattern)


BODY = """
from fakemeter import burn
import pytest

def test_fit():
    burn(3.0)

@pytest.mark.training
def test_train():
    burn(3.0)

@pytest.mark.parametrize("batch", [32, 64])
def test_infer(batch, greenbudget):
    burn(batch * 0.001)
    greenbudget.work(batch, "sample")
"""
MARKERS = "[pytest]\nmarkers = training\n"  # gb's PYTEST_ADDOPTS still blocks other plugins


def _report(pytester: pytest.Pytester) -> dict[str, dict[str, object]]:
    data = json.loads((pytester.path / "r.json").read_text())
    return {t["nodeid"]: t for t in data["tests"]}


def test_yaml_budgets_select_by_glob_and_marker(gb: pytest.Pytester) -> None:
    gb.makeini(MARKERS)
    gb.makepyfile(test_model=BODY)
    (gb.path / "greenbudget.yaml").write_text(
        """version: 1
defaults:
  repeats: 2
  warmup: 0
budgets:
  - match: "test_model.py::test_fit"
    energy: 2 J
  - match: "test_model.py::test_infer[*]"
    energy: 2 mJ
    per: sample
  - marker: training
    energy: 4 J
"""
    )
    result = gb.runpytest("--greenbudget-report", "r.json")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["*energy budget exceeded: 3.00 J > 2.00 J (greenbudget.yaml:6)*"])
    tests = _report(gb)
    assert set(tests) == {
        "test_model.py::test_fit",
        "test_model.py::test_train",
        "test_model.py::test_infer[32]",
        "test_model.py::test_infer[64]",
    }
    assert tests["test_model.py::test_infer[64]"]["energy_per_unit_j"] == pytest.approx(0.001)
    assert tests["test_model.py::test_train"]["budget"]["source"] == "greenbudget.yaml:11"


def test_pyproject_table_is_read(gb: pytest.Pytester) -> None:
    gb.makepyfile(test_model=BODY)
    gb.makepyprojecttoml(
        """[tool.greenbudget.defaults]
repeats = 1
warmup = 0

[[tool.greenbudget.budgets]]
match = "test_model.py::test_fit"
energy = "1 J"
"""
    )
    result = gb.runpytest("-k", "test_fit")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*3.00 J > 1.00 J (pyproject.toml:5)*"])


@pytest.mark.parametrize("name", ["greenbudget.yml", "budgets/energy.yaml"])
def test_other_file_names(gb: pytest.Pytester, name: str) -> None:
    gb.makepyfile(test_model=BODY)
    (gb.path / name).parent.mkdir(exist_ok=True)
    (gb.path / name).write_text("budgets:\n  - match: '*test_fit'\n    energy: 1 J\n")
    args = ["--greenbudget-config", name] if "/" in name else []
    result = gb.runpytest("-k", "test_fit", *args)
    result.assert_outcomes(failed=1)


def test_precedence_marker_over_file_over_cli_over_defaults(gb: pytest.Pytester) -> None:
    gb.makepyfile(
        test_p="""
from fakemeter import burn
import pytest

@pytest.mark.greenbudget(repeats=4)
def test_marker_wins():
    burn(1)

def test_file_wins():
    burn(1)

def test_cli_wins():
    burn(1)
"""
    )
    (gb.path / "greenbudget.yaml").write_text(
        """defaults: {repeats: 7, warmup: 0, tolerance: 9%}
budgets:
  - match: "*marker_wins"
    repeats: 5
    energy: 10 J
  - match: "*file_wins"
    repeats: 3
  - match: "*cli_wins"
"""
    )
    result = gb.runpytest("--greenbudget-repeats", "2", "--greenbudget-report", "r.json")
    result.assert_outcomes(passed=3)
    tests = _report(gb)
    assert tests["test_p.py::test_marker_wins"]["repeats"] == 4
    assert tests["test_p.py::test_marker_wins"]["budget"]["energy_j"] == 10.0
    assert tests["test_p.py::test_file_wins"]["repeats"] == 3
    assert tests["test_p.py::test_cli_wins"]["repeats"] == 2
    assert tests["test_p.py::test_cli_wins"]["tolerance"] == pytest.approx(0.09)


BAD_FILES = [
    ("budgets:\n  - match: x\n    energy: [1 J\n", "greenbudget.yaml:4: invalid YAML*"),
    (
        "budgets:\n  - match: x\n    enrgy: 1 J\n",
        "greenbudget.yaml:3: budgets[0].enrgy: unknown key 'enrgy'; valid keys: match, marker, energy, *",
    ),
    (
        "budgets:\n  - match: x\n    energy: 5 jouls\n",
        "greenbudget.yaml:3: budgets[0].energy: unknown unit 'jouls'*valid units*",
    ),
    (
        "budgets:\n  - match: x\n    energy: -4 J\n",
        "greenbudget.yaml:3: budgets[0].energy: energy must be greater than zero*",
    ),
    (
        "budgets:\n  - match: x\n    energy: 0 J\n",
        "greenbudget.yaml:3: budgets[0].energy: energy must be greater than zero*",
    ),
    (
        "defaults:\n  repeats: many\n",
        "greenbudget.yaml:2: defaults.repeats: repeats must be a whole number from 1 to 1000, not 'many'",
    ),
    ("version: 2\n", "greenbudget.yaml:1: version: unsupported version 2; valid: 1"),
    (
        "colour: green\n",
        "greenbudget.yaml:1: colour: unknown key 'colour'; valid keys: version, defaults, budgets, accept, paired",
    ),
    (
        "budgets:\n  - energy: 1 J\n",
        "greenbudget.yaml:2: budgets[0]: each budget entry needs exactly one of 'match' or 'marker'",
    ),
    ("budgets: {match: x}\n", "greenbudget.yaml:1: budgets: must be a list*"),
    (
        "defaults:\n  region: Francia\n",
        "greenbudget.yaml:2: defaults.region: region must be an ISO 3166 alpha-3 code*",
    ),
    ("defaults:\n  region: XXX\n", "*region 'XXX' is not in codecarbon's data*"),
    ("defaults:\n  pue: 0.5\n", "greenbudget.yaml:2: defaults.pue: pue must be a number from 1.0*"),
    (
        "budgets:\n  - match: x\n    energy: 1 J\n    energy: 2 J\n",
        "greenbudget.yaml:4: budgets[0].energy: duplicate key",
    ),
    ("- 1\n- 2\n", "greenbudget.yaml:1: the top level must be a mapping*"),
]


@pytest.mark.parametrize(("text", "expected"), BAD_FILES)
def test_bad_config_is_a_usage_error_naming_file_line_and_key(
    gb: pytest.Pytester, text: str, expected: str
) -> None:
    gb.makepyfile("def test_x(): pass\n")
    (gb.path / "greenbudget.yaml").write_text(text)
    result = gb.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([literal(f"ERROR: greenbudget: {expected}")])
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


def test_bad_pyproject_value_names_line_and_table(gb: pytest.Pytester) -> None:
    gb.makepyfile("def test_x(): pass\n")
    gb.makepyprojecttoml(
        '[tool.greenbudget]\nversion = 1\n\n[[tool.greenbudget.budgets]]\nmatch = "x"\nenergy = 40\n'
    )
    result = gb.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            literal(
                "*pyproject.toml:6: [tool.greenbudget] budgets[0].energy: energy must be a string with a unit*"
            )
        ]
    )


def test_two_config_files_is_an_error(gb: pytest.Pytester) -> None:
    gb.makepyfile("def test_x(): pass\n")
    (gb.path / "greenbudget.yaml").write_text("budgets: []\n")
    gb.makepyprojecttoml("[tool.greenbudget]\nversion = 1\n")
    result = gb.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*more than one greenbudget config*keep one"])


def test_missing_explicit_config(gb: pytest.Pytester) -> None:
    gb.makepyfile("def test_x(): pass\n")
    result = gb.runpytest("--greenbudget-config", "nope.yaml")
    result.stderr.fnmatch_lines(
        ["ERROR: greenbudget: nope.yaml: --greenbudget-config names no such file (*)"]
    )


def test_explicit_config_that_is_a_directory_says_so(gb: pytest.Pytester) -> None:
    gb.makepyfile("def test_x(): pass\n")
    (gb.path / "conf").mkdir()
    result = gb.runpytest("--greenbudget-config", "conf")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: greenbudget: conf: --greenbudget-config names a directory; give a file in "
            "it: greenbudget.yaml, greenbudget.yml, or a .toml with a [tool.greenbudget] table"
        ]
    )


def test_explicit_toml_without_the_table_is_an_error_found_implicitly_it_is_not(
    gb: pytest.Pytester,
) -> None:
    gb.makepyfile("def test_x(): pass\n")
    (gb.path / "greenbudget.yaml").unlink(missing_ok=True)
    (gb.path / "pyproject.toml").write_text("[tool.black]\nline-length = 100\n")
    result = gb.runpytest("--greenbudget-config", "pyproject.toml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: greenbudget: pyproject.toml: no ?tool.greenbudget? table; --greenbudget-config *"]
    )
    gb.runpytest().assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("flag", "value", "expected"),
    [
        ("--greenbudget-repeats", "0", "*repeats must be from 1 to 1000*"),
        ("--greenbudget-against-pairs", "0", "*-pairs: '0': give the measured pairs per test*"),
        ("--greenbudget-against-pairs", "abc", "*a whole number from 1 to 1000, e.g. 4*"),
        ("--greenbudget-tolerance", "5", "*tolerance '5' must be a percentage, e.g. '5%'*"),
        ("--greenbudget-region", "France", "*region must be an ISO 3166 alpha-3 code*"),
    ],
)
def test_bad_flags(gb: pytest.Pytester, flag: str, value: str, expected: str) -> None:
    result = gb.runpytest(flag, value)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([expected])


def test_unknown_meter_names_the_valid_ones(gb: pytest.Pytester) -> None:
    # The meter is built when a test is to be measured, before any test runs.
    gb.makepyfile("import pytest\n@pytest.mark.greenbudget\ndef test_x(): pass\n")
    result = gb.runpytest("--greenbudget-meter", "smartplug")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: greenbudget: --greenbudget-meter: meter 'smartplug': unknown meter 'smartplug'; valid meters: *cputime*"
        ]
    )
