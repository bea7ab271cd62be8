"""Acknowledged regressions inside a pytest run: the config's accept list (for a commit range)
and the pull request's label read from the Actions event; the terminal and the exit status."""

from __future__ import annotations

import json
import subprocess

import pytest

from pytest_greenbudget.report.io import read_report

SUITE = """
from fakemeter import burn
import pytest

@pytest.mark.greenbudget(repeats=5, warmup=0, tolerance="5%")
def test_model():
    burn({scale})
"""


def git(where: object, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=str(where), capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def regress(gb: pytest.Pytester, accept: str = "") -> pytest.RunResult:
    """A committed repository whose test_model costs 1.3x the baseline's."""
    (gb.path / "greenbudget.yaml").write_text(f"defaults:\n  session_noise: 0%\n{accept}")
    gb.makepyfile(test_suite=SUITE.format(scale=1.0))
    gb.runpytest("--greenbudget-report", "base.json").assert_outcomes(passed=1)
    gb.makepyfile(test_suite=SUITE.format(scale=1.3))
    return gb.runpytest("--greenbudget-baseline", "base.json", "--greenbudget-report", "head.json")


@pytest.fixture
def repo(gb: pytest.Pytester) -> str:
    git(gb.path, "init", "-q")
    git(
        gb.path,
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@t",
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "x",
    )
    return git(gb.path, "rev-parse", "HEAD")


def accept_entry(commits: str) -> str:
    return (
        "accept:\n  tests:\n"
        "    - match: 'test_suite.py::test_model'\n"
        "      reason: a bigger model, on purpose\n"
        f"      commits: '{commits}'\n"
    )


def test_a_config_entry_for_a_range_holding_head_accepts_the_regression(
    gb: pytest.Pytester, repo: str
) -> None:
    result = regress(gb, accept_entry(f"{repo[:7]}.."))
    result.assert_outcomes(passed=1)
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "*accepted regression*",
            "*accepted at greenbudget.yaml:5 for commits *..: a bigger model, on*",
        ]
    )
    (test,) = read_report(gb.path / "head.json").tests
    assert (test.verdict, test.accepted) == ("regressed", True)  # history stays honest


def test_without_an_entry_the_same_regression_fails(gb: pytest.Pytester, repo: str) -> None:
    result = regress(gb)
    result.assert_outcomes(failed=1)
    (test,) = read_report(gb.path / "head.json").tests
    assert (test.verdict, test.accepted) == ("regressed", False)


def test_a_range_git_cannot_check_accepts_nothing_and_says_why(
    gb: pytest.Pytester, repo: str
) -> None:
    result = regress(gb, accept_entry("deadbeefdeadbeef.."))
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*accept entry at greenbudget.yaml:5 not applied: *deadbeef*"])


def test_a_range_that_ended_before_head_accepts_nothing(gb: pytest.Pytester, repo: str) -> None:
    git(
        gb.path,
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@t",
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "y",
    )
    result = regress(gb, accept_entry(f"{repo}..{repo}"))  # only the first commit
    result.assert_outcomes(failed=1)


def test_the_pull_requests_label_in_the_actions_event_accepts(
    gb: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = gb.path / "event.json"
    pull = {"number": 12, "labels": [{"name": "energy-accepted"}]}
    event.write_text(json.dumps({"number": 12, "pull_request": pull}))
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    result = regress(gb)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*accepted by the label energy-accepted on pull request #12*"])


def test_a_configured_label_replaces_the_default(
    gb: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = gb.path / "event.json"
    event.write_text(json.dumps({"pull_request": {"labels": [{"name": "energy-accepted"}]}}))
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    regress(gb, "accept:\n  label: perf-ok\n").assert_outcomes(failed=1)


@pytest.mark.parametrize(
    ("accept", "message"),
    [
        (
            "accept:\n  tests:\n    - match: x\n      reason: r\n",
            "accept.tests?0?.commits: commits is required",
        ),
        (
            "accept:\n  tests:\n    - match: x\n      reason: r\n      commits: 'a b'\n",
            "not a commit range: 'a b'",
        ),
        ("accept:\n  lable: x\n", "unknown key 'lable'"),
    ],
)
def test_a_bad_accept_table_is_one_line_naming_file_line_and_key(
    gb: pytest.Pytester, accept: str, message: str
) -> None:
    (gb.path / "greenbudget.yaml").write_text(accept)
    gb.makepyfile(test_suite=SUITE.format(scale=1.0))
    result = gb.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*greenbudget.yaml:*{message}*"])
    assert "Traceback" not in result.stderr.str()
