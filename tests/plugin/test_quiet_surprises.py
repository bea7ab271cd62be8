"""No silent surprises (issue 19): a test that uses the fixture without a budget is measured
and reported; the 'selects none' warning only for entries whose own files were collected."""

from __future__ import annotations

import json

import pytest

PROBE_ONLY = """
import fakemeter

def test_probe(greenbudget):
    with greenbudget.measure():
        fakemeter.burn(0.5)
    greenbudget.work(10, "sample")

def test_plain():
    fakemeter.burn(0.5)
"""


def test_a_test_using_the_fixture_without_a_budget_is_measured_and_reported(
    gb: pytest.Pytester,
) -> None:
    gb.makepyfile(test_probe=PROBE_ONLY)
    result = gb.runpytest("--greenbudget-report=r.json")
    result.assert_outcomes(passed=2)
    (entry,) = json.loads((gb.path / "r.json").read_text())["tests"]
    assert entry["nodeid"] == "test_probe.py::test_probe"
    assert entry["energy_j"] == pytest.approx(0.5)
    assert entry["work"] == {"units": 10, "unit": "sample"}
    assert (entry["budget"], entry["budget_used"]) == (None, None)  # as a marker with no budget
    result.stdout.fnmatch_lines(["*test_probe.py::test_probe*"])  # in the summary table


def test_a_config_entry_still_gives_a_fixture_user_its_budget(gb: pytest.Pytester) -> None:
    gb.makepyfile(test_probe=PROBE_ONLY)
    (gb.path / "greenbudget.yaml").write_text(
        'version: 1\nbudgets:\n  - match: "*::test_probe"\n    energy: 1 J\n'
    )
    gb.runpytest("--greenbudget-report=r.json").assert_outcomes(passed=2)
    (entry,) = json.loads((gb.path / "r.json").read_text())["tests"]
    assert entry["verdict"] == "ok" and entry["budget"]["source"] == "greenbudget.yaml:3"


TWO_FILES = {
    "test_train": "import pytest\n@pytest.mark.training\ndef test_fit():\n    pass\n",
    "test_infer": "def test_predict():\n    pass\n",
}
ENTRIES = """version: 1
budgets:
  - match: "test_infer.py::test_predict"
    energy: 1 J
  - match: "test_infer.py::test_predcit"
    energy: 1 J
  - marker: training
    energy: 1 J
  - marker: inference
    energy: 1 J
"""


def _unused(result: pytest.RunResult) -> list[str]:
    return [ln for ln in result.stdout.lines if "selects none of the collected tests" in ln]


def test_running_one_file_warns_only_about_entries_for_that_file(gb: pytest.Pytester) -> None:
    gb.makepyfile(**TWO_FILES)
    gb.makeini("[pytest]\nmarkers =\n    training: t\n    inference: i\n")
    (gb.path / "greenbudget.yaml").write_text(ENTRIES)
    one = gb.runpytest("test_train.py")
    one.assert_outcomes(passed=1)
    assert _unused(one) == []  # test_infer.py's entries and the marker entries: not this run's
    infer = gb.runpytest("test_infer.py")
    assert [ln for ln in _unused(infer) if "predcit" in ln] and len(_unused(infer)) == 1
    whole = gb.runpytest()  # the whole suite: the typo and the unused marker entry
    warned = _unused(whole)
    assert len(warned) == 2 and any("predcit" in ln for ln in warned)
    assert any("marker: 'inference'" in ln for ln in warned)


OVER = "import fakemeter, pytest\n@pytest.mark.greenbudget(energy='1 J')\ndef test_big():\n    fakemeter.burn(3.0)\n"


def test_report_only_reports_an_overrun_and_never_fails_the_run(gb: pytest.Pytester) -> None:
    gb.makepyfile(test_big=OVER)
    gb.runpytest().assert_outcomes(failed=1)  # without it, the overrun fails the test
    result = gb.runpytest("--greenbudget-report-only", "--greenbudget-report=r.json")
    result.assert_outcomes(passed=1)
    assert result.ret == pytest.ExitCode.OK
    data = json.loads((gb.path / "r.json").read_text())
    assert data["tests"][0]["verdict"] == "over-budget"  # still the truth in the report
    assert any("report-only" in note for note in data["environment"]["notes"])
    result.stdout.fnmatch_lines(
        ["*report-only (--greenbudget-report-only): budgets and regressions*"]
    )
