"""greenbudget noise: session noise measured from A/A reports."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from pytest_greenbudget.cli import main
from pytest_greenbudget.report.io import write_report
from pytest_greenbudget.report.model import CarbonSettings, Environment, Report, TestEntry


def _aa_reports(tmp_path: Path, sessions: int, cv: float) -> list[str]:
    rng = random.Random(1)
    paths = []
    for s in range(sessions):
        luck = rng.lognormvariate(0.0, cv)
        tests = tuple(
            TestEntry(
                f"t.py::test_{i}", "passed", (i + 1) * luck * rng.lognormvariate(0, cv / 2), (1.0,)
            )
            for i in range(5)
        )
        report = Report(
            "2026-11-22T00:00:00Z", Environment("cpu", 2), CarbonSettings(475, "w", 1), tests
        )
        write_report(report, tmp_path / f"aa{s}.json")
        paths.append(str(tmp_path / f"aa{s}.json"))
    return paths


def test_noise_recommends_a_setting(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["noise", *_aa_reports(tmp_path, 4, 0.1)]) == 0
    out = capsys.readouterr().out
    assert "pooled over 5 tests, 4 sessions, 15 degrees of freedom" in out
    assert (
        "recommended setting: session_noise:" in out and "the gate then sees changes above +" in out
    )


def test_noise_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["noise", "--json", *_aa_reports(tmp_path, 3, 0.1)]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["degrees_of_freedom"] == 10
    assert found["recommended"] >= found["session_noise"]  # the upper end of the interval
    assert 0.02 < found["session_noise"] < 0.4


def test_noise_needs_two_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["noise", *_aa_reports(tmp_path, 1, 0.1)]) == 2
    err = capsys.readouterr().err
    assert (
        err.startswith("greenbudget: error: noise needs at least two reports")
        and "Traceback" not in err
    )


def test_noise_bad_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bad.json").write_text("{")
    assert main(["noise", str(tmp_path / "bad.json"), str(tmp_path / "bad.json")]) == 2
    assert "not valid JSON" in capsys.readouterr().err


def test_noise_refuses_one_report_twice(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _aa_reports(tmp_path, 1, 0.1)[0]
    assert main(["noise", path, path]) == 2
    assert "the same report was given twice" in capsys.readouterr().err


def test_noise_reads_a_baseline_history_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = _aa_reports(tmp_path, 4, 0.1)
    history = str(tmp_path / "history.json")
    # The runs share one created_utc here: give each its own, as separate sessions would.
    for day, path in enumerate(paths, start=1):
        data = json.loads(Path(path).read_text())
        data["created_utc"] = f"2026-11-{day:02d}T00:00:00Z"
        Path(path).write_text(json.dumps(data))
    assert main(["merge", "--keep-runs", "10", history, *paths]) == 0
    capsys.readouterr()
    assert main(["noise", "--json", history]) == 0
    from_history = json.loads(capsys.readouterr().out)
    assert main(["noise", "--json", *paths]) == 0
    assert from_history == json.loads(capsys.readouterr().out)
