"""README command 1 run twice: a value of ours written with a space that names an existing file
moves pytest's rootdir (pytest reads paths before our options are known). It is refused in one
line naming the ``=`` fix, before any test runs, and the good report is left as it was."""

from __future__ import annotations

import json

import pytest

SUITE = """
import fakemeter
import pytest

@pytest.mark.training
def test_fit():
    fakemeter.burn(1.0)
"""


def _project(gb: pytest.Pytester) -> None:
    """The README's layout: a root whose ini is strict about markers, and an examples/
    folder with its own ini (its markers) and its own budgets."""
    (gb.path / "conftest.py").unlink()  # fakemeter comes with -p: no conftest decides it
    gb.makeini("[pytest]\naddopts = --strict-markers\n")
    examples = gb.mkpydir("examples")
    (examples / "pytest.ini").write_text("[pytest]\nmarkers =\n    training: trains\n")
    (examples / "greenbudget.yaml").write_text(
        "version: 1\nbudgets:\n  - marker: training\n    energy: 5 J\n"
    )
    (examples / "test_train.py").write_text(SUITE)


def _command_one(gb: pytest.Pytester, *report_args: str) -> pytest.RunResult:
    return gb.runpytest("-p", "fakemeter", "examples", *report_args)


def test_the_space_form_is_refused_the_second_time_and_the_report_is_kept(
    gb: pytest.Pytester,
) -> None:
    _project(gb)
    args = ("--greenbudget-report", "r.json", "--greenbudget-html", "r.html")
    _command_one(gb, *args).assert_outcomes(passed=1)
    good = (gb.path / "r.json").read_bytes()
    assert json.loads(good)["tests"][0]["verdict"] == "ok"

    again = _command_one(gb, *args)
    assert again.ret == pytest.ExitCode.USAGE_ERROR
    (line,) = [ln for ln in again.stderr.lines if ln.startswith("ERROR: greenbudget:")]
    assert "--greenbudget-report r.json, --greenbudget-html r.html (written with a space)" in line
    assert "Write --greenbudget-report=r.json --greenbudget-html=r.html" in line
    assert f"moved pytest's rootdir from {gb.path / 'examples'} to {gb.path}" in line
    assert "Traceback" not in again.stdout.str() + again.stderr.str()
    assert (gb.path / "r.json").read_bytes() == good  # never replaced by an empty report


def test_the_equals_form_passes_again_and_again(gb: pytest.Pytester) -> None:
    _project(gb)
    for _ in range(2):
        result = _command_one(gb, "--greenbudget-report=r.json", "--greenbudget-html=r.html")
        result.assert_outcomes(passed=1)
        assert json.loads((gb.path / "r.json").read_text())["incomplete"] is False


def test_only_the_values_that_moved_it_are_named(gb: pytest.Pytester) -> None:
    _project(gb)
    (gb.path / "r.json").write_text("{}")
    result = _command_one(gb, "--greenbudget-report", "r.json", "--greenbudget-repeats", "2")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert result.stderr.str().rstrip().endswith("Write --greenbudget-report=r.json")
    assert "repeats" not in result.stderr.str()


def test_a_space_form_value_that_leaves_the_rootdir_alone_is_fine(gb: pytest.Pytester) -> None:
    _project(gb)
    (gb.path / "examples" / "r.json").write_text("{}")
    result = gb.runpytest("-p", "fakemeter", "examples", "--greenbudget-report", "examples/r.json")
    result.assert_outcomes(passed=1)


def test_rootdir_given_is_the_users_choice_and_not_refused(gb: pytest.Pytester) -> None:
    _project(gb)
    (gb.path / "r.json").write_text("{}")
    result = _command_one(gb, "--greenbudget-report", "r.json", f"--rootdir={gb.path / 'examples'}")
    assert "moved pytest's rootdir" not in result.stdout.str() + result.stderr.str()
