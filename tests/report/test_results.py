"""The report file: atomic writes, validated reads with clear messages."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pytest_greenbudget.report.io import read_report, write_report
from pytest_greenbudget.report.model import (
    Budget,
    CarbonSettings,
    Component,
    Environment,
    Report,
    ReportError,
    TestEntry,
    Work,
)


def _report() -> Report:
    entry = TestEntry(
        nodeid="tests/test_m.py::test_fit[a|b]",
        outcome="passed",
        energy_j=3.1,
        samples_j=(3.0, 3.1, 3.2),
        ci_j=(2.9, 3.3),
        components={"cpu": Component(3.1, "estimated", "cputime")},
        work=Work(64.0, "sample"),
        budget=Budget("greenbudget.yaml:7", energy_j=5.0),
        verdict="ok",
    )
    return Report(
        "2026-11-22T00:00:00Z", Environment("cpu", 2), CarbonSettings(475.0, "world", 1.0), (entry,)
    )


def test_round_trip(tmp_path: Path) -> None:
    write_report(_report(), tmp_path / "r.json")
    assert read_report(tmp_path / "r.json") == _report()


def test_write_is_atomic_and_leaves_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "r.json"
    target.write_text("previous report")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_report(_report(), target)
    assert target.read_text() == "previous report"
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", r"r.json:1: not valid JSON"),
        (
            '{"schema_version": "2.0", "tests": []}',
            r"schema_version '2.0' is not supported; this greenbudget reads 1.x",
        ),
        ('{"tests": []}', r"missing key 'schema_version'"),
        ("[]", r"must be an object, not list"),
    ],
)
def test_bad_reports_name_file_and_problem(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "r.json").write_text(text)
    with pytest.raises(ReportError, match=message):
        read_report(tmp_path / "r.json")


def test_bad_test_entry_names_its_index(tmp_path: Path) -> None:
    data = _report().to_dict()
    data["tests"][0]["verdict"] = "great"
    (tmp_path / "r.json").write_text(json.dumps(data))
    with pytest.raises(ReportError, match=r"tests\[0\]: key 'verdict': unknown verdict 'great'"):
        read_report(tmp_path / "r.json")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="cannot read report"):
        read_report(tmp_path / "absent.json")


def test_newer_minor_version_with_extra_fields_is_read(tmp_path: Path) -> None:
    data = _report().to_dict()
    data["schema_version"] = "1.7"
    (tmp_path / "r.json").write_text(json.dumps(data))
    assert read_report(tmp_path / "r.json").tests[0].nodeid == "tests/test_m.py::test_fit[a|b]"


def test_wrong_shapes_deep_inside_are_report_errors(tmp_path: Path) -> None:
    data = _report().to_dict()
    data["tests"][0]["samples_j"] = "many"
    data["tests"][0]["components"] = {"cpu": {"energy_j": 1.0}}
    (tmp_path / "r.json").write_text(json.dumps(data))
    with pytest.raises(ReportError, match=r"r.json"):
        read_report(tmp_path / "r.json")


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_are_refused(tmp_path: Path, constant: str) -> None:
    text = json.dumps(_report().to_dict()).replace('"energy_j": 3.1', f'"energy_j": {constant}', 1)
    (tmp_path / "r.json").write_text(text)
    with pytest.raises(ReportError, match=f"{constant} is not a valid number in a report"):
        read_report(tmp_path / "r.json")


def test_written_report_is_readable_by_others(tmp_path: Path) -> None:
    write_report(_report(), tmp_path / "r.json")
    assert (tmp_path / "r.json").stat().st_mode & 0o777 == 0o644
