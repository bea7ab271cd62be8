"""``greenbudget suggest``: a first greenbudget.yaml from measured reports, at a documented
headroom over the highest median, that the plugin's own config reader accepts."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from cli_helpers import assert_one_line_error, run
from github_double.reports import entry, report

from pytest_greenbudget.commands.suggest import budget_text, suggestions
from pytest_greenbudget.report.io import write_report
from pytest_greenbudget.report.model import Work
from pytest_greenbudget.settings.configfile import find_config
from pytest_greenbudget.settings.plans import FileConfig
from pytest_greenbudget.units import parse_energy


@pytest.mark.parametrize(
    ("joules", "text"),
    [(1.252, "1.3 J"), (0.000611, "620 uJ"), (2.0, "2.0 J"), (0.5341, "540 mJ"), (1234.0, "1.3 kJ"),
     (9.99, "10.0 J"), (1.2e-7, "0.12 uJ")],
)  # fmt: skip
def test_budgets_are_rounded_up_to_two_digits(joules: float, text: str) -> None:
    assert budget_text(joules) == text
    assert parse_energy(text) >= joules * (1 - 1e-12)  # never below the asked headroom


def test_each_test_gets_headroom_times_its_highest_median_per_unit_where_declared() -> None:
    fit = entry("t.py::test_fit", 0.30)
    per = replace(entry("t.py::test_infer", 0.02), work=Work(100, "sample"), energy_per_unit_j=2e-4)
    second = report(entry("t.py::test_fit", 0.36), entry("t.py::test_failing", None))
    found = {s.nodeid: s for s in suggestions([report(fit, per), second], 2.0)}
    assert set(found) == {"t.py::test_fit", "t.py::test_infer"}  # nothing without a figure
    assert found["t.py::test_fit"].energy_j == pytest.approx(0.72)  # 2 x max(0.30, 0.36)
    assert (found["t.py::test_infer"].energy_j, found["t.py::test_infer"].per) == (
        pytest.approx(4e-4), "sample")  # fmt: skip
    assert found["t.py::test_fit"].meter == "cputime"


def test_the_written_file_is_a_valid_config_with_those_budgets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    tricky = 'test_x.py::test_y[a "quoted" id: yes]'
    write_report(report(entry("t.py::test_fit", 0.3), entry(tricky, 0.001)), tmp_path / "r.json")
    code, out, _ = run(capsys, "suggest", "r.json", "--headroom", "1.5x")
    assert (
        code == 0
        and out == "wrote greenbudget.yaml: 2 budgets at 1.5x the highest median of 1 report\n"
    )
    config = FileConfig.from_raw(find_config(tmp_path, None))
    budgets = {rule.match: rule.spec for rule in config.rules}
    assert budgets["t.py::test_fit"].energy_j == pytest.approx(0.45)
    assert budgets[tricky].energy_j == pytest.approx(0.0015)
    assert budgets["t.py::test_fit"].meter == "cputime"


def test_an_existing_file_is_kept_unless_forced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write_report(report(entry("t.py::test_fit", 0.3)), tmp_path / "r.json")
    (tmp_path / "greenbudget.yaml").write_text("version: 1\n")
    code, _, err = run(capsys, "suggest", "r.json")
    assert code == 2
    assert_one_line_error(err, "greenbudget.yaml exists", "--force")
    assert (tmp_path / "greenbudget.yaml").read_text() == "version: 1\n"
    assert run(capsys, "suggest", "r.json", "--force")[0] == 0


def test_a_report_with_nothing_measured_says_how_to_measure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_report(report(entry("t.py::test_x", None)), tmp_path / "r.json")
    code, _, err = run(
        capsys, "suggest", str(tmp_path / "r.json"), "--output", str(tmp_path / "o.yaml")
    )
    assert code == 2
    assert_one_line_error(err, "@pytest.mark.greenbudget()", "--greenbudget-report=PATH")
    assert not (tmp_path / "o.yaml").exists()


def test_a_headroom_below_one_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        run(capsys, "suggest", "r.json", "--headroom", "0.5")
    assert "give a factor from 1 to 100" in capsys.readouterr().err


def test_json_quoting_is_yaml(tmp_path: Path) -> None:
    # The ids are written as JSON strings, which YAML reads the same (a JSON string is a YAML
    # double-quoted scalar): a test id can hold any character.
    import yaml

    odd = 'a"b\\c: #d'
    assert yaml.safe_load(f"k: {json.dumps(odd)}") == {"k": odd}
