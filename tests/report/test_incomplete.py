"""A run that did not run every test says so in its report (``incomplete``), and neither
``greenbudget comment`` nor ``greenbudget compare`` takes such a report for a full baseline."""

from __future__ import annotations

import io
import json
import os
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from cli_helpers import run
from github_double import Runner, entry, report

from pytest_greenbudget.report.io import read_report, write_report
from pytest_greenbudget.session import incomplete_reason

BURN = "from fakemeter import burn\nimport pytest\n"
TWO = (
    BURN
    + """
@pytest.mark.greenbudget(energy="5 J", repeats=1, warmup=0)
def test_a():
    burn(1.0)
    {body}

@pytest.mark.greenbudget(energy="5 J", repeats=1, warmup=0)
def test_b():
    burn(1.0)
"""
)


def _reported(gb: pytest.Pytester, *args: str) -> tuple[bool, str | None, int]:
    gb.runpytest("--greenbudget-report", "r.json", "-p", "no:randomly", *args)
    data = json.loads((gb.path / "r.json").read_text())
    return data["incomplete"], data["incomplete_reason"], len(data["tests"])


def test_a_whole_run_is_complete(gb: pytest.Pytester) -> None:
    gb.makepyfile(TWO.format(body="pass"))
    assert _reported(gb) == (False, None, 2)


def test_stopping_at_the_first_failure_is_incomplete(gb: pytest.Pytester) -> None:
    gb.makepyfile(TWO.format(body="assert False"))
    assert _reported(gb, "-x") == (True, "stopping after 1 failures", 1)


def test_keyboard_interrupt_is_incomplete(
    gb: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # in a subprocess: in-process, the interrupt would stop this test run too
    support = str(Path(__file__).parents[1] / "support")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([support, os.environ.get("PYTHONPATH", "")]))
    gb.makepyfile(TWO.format(body="raise KeyboardInterrupt"))
    result = gb.runpytest_subprocess("--greenbudget-report", "r.json")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    data = json.loads((gb.path / "r.json").read_text())
    assert (data["incomplete"], data["incomplete_reason"]) == (True, "interrupted")


def test_collection_errors_are_incomplete(gb: pytest.Pytester) -> None:
    gb.makepyfile(test_ok=TWO.format(body="pass"), test_broken="import no_such_module\n")
    assert _reported(gb, "--continue-on-collection-errors") == (True, "1 collection error", 2)
    assert _reported(gb)[:2] == (True, "1 collection error")


def test_collect_only_and_setup_only_are_incomplete(gb: pytest.Pytester) -> None:
    gb.makepyfile(TWO.format(body="pass"))
    assert _reported(gb, "--co") == (True, "--collect-only: no test ran", 0)
    assert _reported(gb, "--setup-only") == (True, "--setup-only: no test ran", 0)


def test_the_terminal_says_so(gb: pytest.Pytester) -> None:
    gb.makepyfile(TWO.format(body="assert False"))
    result = gb.runpytest("-x")
    result.stdout.fnmatch_lines(
        ["Incomplete run: stopping after 1 failures. *not a full baseline.", "test *"]
    )


def test_incomplete_reason_in_order_of_what_explains_most() -> None:
    plain = dict(no_call=None, collection_errors=0, interrupted=False, internal_error=False)
    assert incomplete_reason(**plain, stopped=False) is None
    assert incomplete_reason(**plain, stopped=True) == "stopped early"
    assert incomplete_reason(**{**plain, "interrupted": True}, stopped=False) == "interrupted"
    assert incomplete_reason(**{**plain, "collection_errors": 2}, stopped=True) == (
        "2 collection errors"
    )


def _incomplete(energy: float) -> object:
    return replace(
        report(entry("tests/test_m.py::test_fit", energy)),
        incomplete=True,
        incomplete_reason="interrupted",
    )


def test_compare_warns_that_a_baseline_is_incomplete(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base, head = tmp_path / "base.json", tmp_path / "head.json"
    write_report(_incomplete(1.0), base)  # type: ignore[arg-type]
    write_report(report(entry("tests/test_m.py::test_fit", 1.0)), head)
    code, _, err = run(capsys, "compare", str(base), str(head))
    assert code == 0
    assert "greenbudget: warning: the baseline is an incomplete run (interrupted)" in err
    assert read_report(base).incomplete


def test_comment_refuses_an_incomplete_artifact_baseline(runner: Runner) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("r.json", json.dumps(_incomplete(1.0).to_dict()))  # type: ignore[attr-defined]
    runner.double.add_artifact("gb", "main", buffer.getvalue(), created="2024-04-01T00:00:00Z")
    head = report(entry("tests/test_m.py::test_fit", 3.0, budget=10.0))
    result = runner.run("--report", runner.write("head.json", head), "--baseline-artifact", "gb")
    assert result.code == 0
    body = runner.double.bodies(7)[0]
    assert "No baseline: artifact gb from main" in body
    assert "is an incomplete run (interrupted); compared with budgets only." in body
    assert "regressed" not in body


def test_comment_says_when_this_run_or_its_baseline_file_is_incomplete(runner: Runner) -> None:
    base = runner.write("base.json", _incomplete(1.0))  # type: ignore[arg-type]
    head = replace(report(entry("tests/test_m.py::test_fit", 1.0)), incomplete=True)
    result = runner.run("--report", runner.write("head.json", head), "--baseline", base)
    assert result.code == 0
    body = runner.double.bodies(7)[0]
    assert "⚠️ The baseline is an incomplete run (interrupted): not a full baseline" in body
    assert "⚠️ This run is incomplete (no reason recorded)" in body
    assert "the baseline is an incomplete run" in result.err
