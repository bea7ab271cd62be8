from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from cli_helpers import assert_one_line_error, run

from pytest_greenbudget.cli import main
from pytest_greenbudget.report.decode import decode_report
from pytest_greenbudget.report.io import read_report, write_report
from pytest_greenbudget.report.model import (
    CarbonSettings,
    ComponentMeter,
    Environment,
    Report,
    TestEntry,
)

ENV = Environment(
    cpu_model="AMD EPYC 7763", cpu_count=2, meters={"cpu": ComponentMeter("cputime", "estimated")}
)
BASE = (3.10, 3.11, 3.09, 3.10, 3.12)
SLOWER = (3.81, 3.80, 3.83, 3.79, 3.82)
SAME = (3.11, 3.09, 3.10, 3.12, 3.10)


def write(path: Path, tests: dict[str, tuple[float, ...]], env: Environment = ENV) -> str:
    entries = tuple(
        TestEntry(nodeid, "passed", sorted(s)[len(s) // 2], s, verdict="ok")
        for nodeid, s in tests.items()
    )
    write_report(
        Report("2026-11-22T16:00:00Z", env, CarbonSettings(475.0, "world", 1.2), entries), path
    )
    return str(path)


@pytest.fixture
def base(tmp_path: Path) -> str:
    return write(
        tmp_path / "base.json",
        {"tests/test_a.py::test_fit": BASE, "tests/test_a.py::test_old": BASE},
    )


# --- compare --------------------------------------------------------------------------------


def test_compare_prints_the_table_and_exits_0_when_nothing_regressed(
    base: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    head = write(
        tmp_path / "head.json",
        {"tests/test_a.py::test_fit": SAME, "tests/test_b.py::test_new": BASE},
    )
    code, out, err = run(capsys, "compare", base, head)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].split() == ["test", "base", "head", "change", "p", "verdict"]
    fit = lines[1].split()
    assert fit[0] == "tests/test_a.py::test_fit"
    assert fit[-1] == "unchanged" and fit[-2].startswith("p=")
    assert lines[2].split() == ["tests/test_b.py::test_new", "-", "3.10", "J", "-", "-", "new"]
    assert lines[3].split() == ["tests/test_a.py::test_old", "3.10", "J", "-", "-", "-", "missing"]
    assert lines[-1] == "1 unchanged, 1 new, 1 missing"


def test_compare_exits_1_on_a_regression(
    base: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    head = write(tmp_path / "head.json", {"tests/test_a.py::test_fit": SLOWER})
    code, out, _ = run(capsys, "compare", base, head)
    assert code == 1
    row = out.splitlines()[1].split()
    assert row[1:6] == ["3.10", "J", "3.81", "J", "+23%"]
    assert row[-1] == "regressed"
    assert out.splitlines()[-1] == "1 regressed, 1 missing"


def test_compare_says_ratio_only_when_there_are_too_few_samples(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = write(tmp_path / "base.json", {"t": (3.10,)})
    head = write(tmp_path / "head.json", {"t": (3.81,)})
    code, out, _ = run(capsys, "compare", base, head)
    assert code == 1
    assert out.splitlines()[1].split()[-3:] == ["ratio", "only", "regressed"]


def test_tolerance_overrides_each_tests_own(
    base: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    head = write(tmp_path / "head.json", {"tests/test_a.py::test_fit": SLOWER})
    code, out, _ = run(capsys, "compare", "--tolerance", "30%", base, head)
    assert code == 0
    assert out.splitlines()[1].split()[-1] == "unchanged"


def test_a_bad_tolerance_is_a_usage_error(base: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["compare", "--tolerance", "five", base, base])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "argument --tolerance: cannot read tolerance 'five'" in err
    assert "Traceback" not in err


def test_an_incomparable_baseline_warns_and_gates_only_when_asked(
    base: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = replace(ENV, meters={"cpu": ComponentMeter("rapl", "measured")})
    head = write(tmp_path / "head.json", {"tests/test_a.py::test_fit": SLOWER}, env=other)
    code, out, err = run(capsys, "compare", base, head)
    assert code == 0
    assert err.startswith("greenbudget: warning: baseline is not comparable with this run: ")
    assert "cpu meter differs: 'cputime' vs 'rapl'" in err
    assert "regressions do not fail this check" in out
    code, _, _ = run(capsys, "compare", "--gate-incomparable", base, head)
    assert code == 1


def test_json_prints_the_compared_report(
    base: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    head = write(tmp_path / "head.json", {"tests/test_a.py::test_fit": SLOWER})
    code, out, _ = run(capsys, "compare", "--json", base, head)
    assert code == 1
    report = decode_report(json.loads(out), "stdout")
    assert [(t.nodeid, t.verdict) for t in report.tests] == [
        ("tests/test_a.py::test_fit", "regressed"),
        ("tests/test_a.py::test_old", "missing"),
    ]
    assert report.tests[0].baseline is not None and report.tests[0].baseline.method == "welch"


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (None, "cannot read report"),
        ("{not json", "not valid JSON"),
        ('{"schema_version": "2.0", "tests": []}', "schema_version '2.0' is not supported"),
        ('{"schema_version": "1.0"}', "missing key 'tests'"),
    ],
)
def test_compare_refuses_bad_files_in_one_line(
    content: str | None,
    fragment: str,
    base: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bad = tmp_path / "bad.json"
    if content is not None:
        bad.write_text(content, encoding="utf-8")
    code, out, err = run(capsys, "compare", base, str(bad))
    assert (code, out) == (2, "")
    assert_one_line_error(err, "bad.json", fragment)


def test_compare_refuses_values_of_the_wrong_shape(
    base: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = json.loads(Path(base).read_text(encoding="utf-8"))
    data["environment"]["gpus"] = 5
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    code, _, err = run(capsys, "compare", str(bad), base)
    assert code == 2
    assert_one_line_error(err, "bad.json: environment: key 'gpus' must be a list")


# --- merge ----------------------------------------------------------------------------------


def test_merge_joins_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    one = write(tmp_path / "py310.json", {"a": BASE, "b": BASE})
    two = write(tmp_path / "py311.json", {"c": SAME})
    out_path = tmp_path / "out" / "merged.json"
    code, out, err = run(capsys, "merge", str(out_path), one, two)
    assert (code, err) == (0, "")
    assert out == f"greenbudget: merged 2 reports, 3 tests, into {out_path}\n"
    merged = read_report(out_path)
    assert [t.nodeid for t in merged.tests] == ["a", "b", "c"]
    assert merged.environment.notes[-1].startswith("merged from 2 reports: ")


def test_merge_refuses_duplicate_ids(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    one = write(tmp_path / "one.json", {"a": BASE, "b": BASE})
    two = write(tmp_path / "two.json", {"b": SAME})
    out_path = tmp_path / "merged.json"
    code, _, err = run(capsys, "merge", str(out_path), one, two)
    assert code == 2
    assert_one_line_error(err, f"b ({one}, {two})")
    assert not out_path.exists()


def test_merge_refuses_a_newer_major_version(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one = write(tmp_path / "one.json", {"a": BASE})
    data = json.loads(Path(one).read_text(encoding="utf-8"))
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps({**data, "schema_version": "2.0"}), encoding="utf-8")
    code, _, err = run(capsys, "merge", str(tmp_path / "merged.json"), one, str(newer))
    assert code == 2
    assert_one_line_error(err, "newer.json", "schema_version '2.0' is not supported")


def test_merge_reports_an_unwritable_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one = write(tmp_path / "one.json", {"a": BASE})
    (tmp_path / "taken").mkdir()
    code, _, err = run(capsys, "merge", str(tmp_path / "taken"), one)
    assert code == 2
    assert_one_line_error(err, "cannot write the merged report")
