"""The greenbudget summary as a user sees it: in pytest's width, ids shortened in the middle,
one short line per verdict, the headline first."""

from __future__ import annotations

from pathlib import Path

import pytest

SUPPORT = Path(__file__).parents[1] / "support"
DEEP = "tests/models/transformers/inference"
SUITE = """
from fakemeter import burn
import pytest

SCALE = {scale}
CALLS = []

def jitter():
    CALLS.append(1)
    return 1 + 0.01 * (len(CALLS) % 3)

@pytest.mark.greenbudget(repeats=5, warmup=0, tolerance="5%")
def test_batch_prediction_with_a_rather_long_descriptive_name():
    burn(SCALE["model"] * jitter())

@pytest.mark.greenbudget(repeats=5, warmup=0)
def test_other():
    burn(SCALE["other"] * jitter())
"""
FILE = "test_sequence_classification_pipeline.py"
NODE = f"{DEEP}/{FILE}::test_batch_prediction_with_a_rather_long_descriptive_name"


@pytest.fixture(autouse=True)
def _exact_meter(gb: pytest.Pytester) -> None:
    (gb.path / "greenbudget.yaml").write_text("defaults:\n  session_noise: 0%\n")


def _suite(gb: pytest.Pytester, model: float, other: float = 1.0) -> None:
    folder = gb.path / DEEP
    folder.mkdir(parents=True, exist_ok=True)
    text = SUITE.format(scale={"model": model, "other": other})
    (folder / FILE).write_text(text)


def _summary(result: pytest.RunResult) -> list[str]:
    lines = result.stdout.lines
    start = next(i for i, line in enumerate(lines) if "greenbudget" in line and "=====" in line)
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("====="))
    return lines[start + 1 : end]


@pytest.mark.parametrize("columns", [60, 80, 132])
def test_the_summary_fits_the_terminal_width(
    gb: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, columns: int
) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))
    _suite(gb, model=1.0)
    summary = _summary(gb.runpytest())
    assert summary and max(map(len, summary)) <= columns
    rule = next(i for i, line in enumerate(summary) if line.startswith("-----"))
    long, short = (line.split()[0] for line in summary[rule + 1 : rule + 3])
    if len(NODE) + 50 <= columns:
        assert long == NODE  # room enough: the whole id
    else:  # shortened in the middle: folders go first, then the middle of file and name
        assert long.startswith("test") and ".py::test_" in long and long.endswith("_name")
        assert "…" in long and "/" not in long
    assert short.endswith("::test_other")  # a short test name is kept whole


def test_ci_logs_get_pytests_80_columns(
    gb: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)  # not a terminal: pytest says 80
    monkeypatch.setenv("PYTHONPATH", str(SUPPORT))  # the fake meter, in the subprocess
    _suite(gb, model=1.0)
    summary = _summary(gb.runpytest_subprocess())
    assert max(map(len, summary)) <= 80
    rows = [line.split()[0] for line in summary if "::test_other " in line]
    assert rows == ["test_sequenc…pipeline.py::test_other"]  # file and name, middle cut


def test_a_regression_is_one_short_line_in_the_summary_and_the_failure(
    gb: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "300")
    _suite(gb, model=1.0)
    gb.runpytest("--greenbudget-report=base.json").assert_outcomes(passed=2)
    _suite(gb, model=1.3, other=1.0)
    result = gb.runpytest("--greenbudget-baseline=base.json")
    result.assert_outcomes(passed=1, failed=1)
    summary = _summary(result)
    assert summary[0] == "1 regressed · energy +15% vs base"  # the headline comes first
    said = [line for line in summary if line.startswith(f"{NODE}: ")]
    assert len(said) == 1 and said[0].count("regressed") == 1 and said[0].count("(") == 1
    assert said[0].startswith(f"{NODE}: regressed: +30% (1.01 -> 1.31 J medians), p")
    assert said[0].endswith(", 5 runs a side")  # one line where the terminal is wide enough
    # The failure says the same line (and that it was confirmed), not a paragraph
    result.stdout.fnmatch_lines(
        ["FAILED *::test_batch_prediction_* - *regressed: +30% (1.01 -> 1.31 J medians), p*"]
    )
    assert not any("test_other: unchanged" in line for line in summary)  # the table says so


def test_verbose_adds_every_comparisons_line_and_the_method(
    gb: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "300")
    _suite(gb, model=1.0)
    gb.runpytest("--greenbudget-report=base.json").assert_outcomes(passed=2)
    result = gb.runpytest("--greenbudget-baseline=base.json", "-v")
    summary = _summary(result)
    other = f"{DEEP}/{FILE}::test_other: unchanged: "
    assert any(line.startswith(other) and line.endswith("within ±5%") for line in summary)
    assert any("compared allowing 0.0% between-session noise, setting" in line for line in summary)
