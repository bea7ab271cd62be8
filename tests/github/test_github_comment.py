"""``greenbudget comment`` end to end against the GitHub double, as a runner would run it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from github_double import (
    BOT,
    HUMAN,
    READ_TOKEN,
    WRITE_TOKEN,
    GitHubDouble,
    Runner,
    entry,
    error,
    parse_outputs,
    report,
    secondary_limit,
)

from pytest_greenbudget import cli
from pytest_greenbudget.github.actions import (
    SUMMARY_LIMIT_BYTES,
    append_summary,
    command,
    write_outputs,
)
from pytest_greenbudget.render.markdown import MARKER

COMMENTS = r"/issues/\d+/comments$"


def reports(runner: Runner, slower: float = 1.6) -> list[str]:
    """--report/--baseline for a run where test_fit regressed by ``slower``."""
    base = report(entry("tests/test_m.py::test_fit", 1.0), entry("tests/test_m.py::test_io", 2.0))
    head = report(
        entry("tests/test_m.py::test_fit", 1.0 * slower, budget=5.0),
        entry("tests/test_m.py::test_io", 2.0, budget=5.0),
    )
    return [
        "--report",
        runner.write("head.json", head),
        "--baseline",
        runner.write("base.json", base),
    ]


def test_first_run_comments_writes_summary_outputs_and_annotates(runner: Runner) -> None:
    result = runner.run(*reports(runner))
    assert result.code == 0
    (posted,) = runner.double.comments[7]
    assert posted["account"] == BOT and posted["body"].startswith(MARKER)
    assert "### 🔴 1 test regressed · energy +20% vs base" in posted["body"]
    assert runner.summary.read_text() == posted["body"] + "\n"
    url = f"https://github.example/octo-org/energy/pull/7#issuecomment-{posted['id']}"
    assert runner.outputs() == {
        "regressions": "1",
        "accepted": "0",
        "over-budget": "0",
        "comment-url": url,
    }
    (annotation,) = [line for line in result.out.splitlines() if line.startswith("::")]
    assert annotation.startswith("::error title=Energy regression::tests/test_m.py::test_fit: ")
    assert (
        "[workflow run](https://github.example/octo-org/energy/actions/runs/31337)"
        in posted["body"]
    )


def test_fail_on_regression_sets_the_exit_status(runner: Runner) -> None:
    assert runner.run(*reports(runner), "--fail-on-regression").code == 1
    assert runner.run(*reports(runner, slower=1.0), "--fail-on-regression").code == 0


def test_a_later_run_updates_the_same_comment_past_the_first_page(runner: Runner) -> None:
    runner.run(*reports(runner))
    (first,) = runner.double.comments[7]
    for i in range(130):
        runner.double.add_comment(7, f"review chatter {i}", HUMAN)
    result = runner.run(*reports(runner, slower=1.0))
    assert result.code == 0
    ours = [c for c in runner.double.comments[7] if c["account"] == BOT]
    assert [c["id"] for c in ours] == [first["id"]]
    assert "No regressions in 2 tests" in ours[0]["body"]
    assert len(runner.double.comments[7]) == 131


def test_a_human_comment_with_the_marker_is_left_alone(runner: Runner) -> None:
    quoted = f"I copied this: {MARKER} please fix"
    runner.double.add_comment(7, quoted, HUMAN)
    runner.run(*reports(runner))
    runner.run(*reports(runner))
    bodies = runner.double.bodies(7)
    assert bodies[0] == quoted and len(bodies) == 2


def test_hostile_test_ids_stay_inert_in_comment_and_workflow_commands(runner: Runner) -> None:
    nasty = "t.py::test[@octocat|`x`<img src=x>\n::set-output name=pwned::1\r%0A]"
    base, head = report(entry(nasty, 1.0)), report(entry(nasty, 2.0))
    result = runner.run(
        "--report", runner.write("h.json", head), "--baseline", runner.write("b.json", base)
    )
    body = runner.double.bodies(7)[0]
    assert "@octocat" not in body and "<img" not in body and "`" not in body
    commands = [line for line in result.out.splitlines() if line.startswith("::")]
    assert len(commands) == 1 and "set-output" not in result.out.replace("%0A::set-output", "")
    assert "%0A::set-output name=pwned::1%0D%250A]" in commands[0]


def test_a_fork_token_writes_the_summary_and_warns_without_failing(runner: Runner) -> None:
    runner.set(GITHUB_TOKEN=READ_TOKEN)
    result = runner.run(*reports(runner), "--fail-on-regression")
    assert result.code == 1  # the regression decides, not the refused comment
    assert runner.run(*reports(runner, slower=1.0), "--fail-on-regression").code == 0
    assert runner.double.comments[7] == []
    assert (
        "::warning title=Read-only token (fork pull request?)%3A see the job summary::"
        in result.out
    )
    assert "### 🔴 1 test regressed" in runner.summary.read_text()
    assert runner.outputs()["comment-url"] == ""


def test_a_5xx_is_retried_and_the_comment_lands(runner: Runner) -> None:
    runner.double.fail("POST", COMMENTS, error(502, "Server Error"))
    assert runner.run(*reports(runner)).code == 0
    assert runner.sleeps == [1.0] and len(runner.double.comments[7]) == 1


@pytest.mark.parametrize(("retry_after", "waited"), [(None, [60.0]), (2, [2.0])])
def test_a_secondary_rate_limit_is_waited_out(
    runner: Runner, retry_after: int | None, waited: list[float]
) -> None:
    runner.double.fail("GET", COMMENTS, secondary_limit(retry_after))
    assert runner.run(*reports(runner)).code == 0
    assert runner.sleeps == waited and len(runner.double.comments[7]) == 1


def test_github_down_for_good_does_not_break_the_build(runner: Runner) -> None:
    runner.double.fail("GET", COMMENTS, error(503, "Service Unavailable"), times=99)
    result = runner.run(*reports(runner, slower=1.0), "--fail-on-regression")
    assert result.code == 0
    assert "::warning title=GitHub unavailable" in result.out
    assert runner.summary.exists()


def test_another_refusal_warns_and_leaves_the_build_alone(runner: Runner) -> None:
    locked = error(403, "Unable to create comment because issue is locked.")
    runner.double.fail("POST", COMMENTS, locked)
    result = runner.run(*reports(runner))
    assert result.code == 0 and runner.sleeps == []  # a refusal is not retried
    assert "::warning title=GitHub refused the comment%3A see the job summary::" in result.out
    assert "issue is locked" in result.out


def test_ghes_takes_every_url_from_github_api_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with GitHubDouble(prefix="/api/v3") as ghes:
        runner = Runner(ghes, tmp_path, monkeypatch, capsys)
        assert runner.run(*reports(runner)).code == 0
    assert ghes.problems == [] and len(ghes.comments[7]) == 1
    assert all(seen.path.startswith("/api/v3/") for seen in ghes.requests())


def test_a_body_over_the_limit_is_cut_and_still_posted(runner: Runner) -> None:
    ids = [f"tests/test_big.py::test_case[{'p' * 120}-{i}]" for i in range(1500)]
    head = report(*(entry(i, 1.0, budget=2.0) for i in ids))
    assert runner.run("--report", runner.write("h.json", head)).code == 0
    (body,) = runner.double.bodies(7)
    assert len(body) <= 65_536 and "more tests not shown" in body
    assert len(runner.summary.read_text()) > 65_536  # the summary has room for every test


@pytest.mark.parametrize(
    ("mode", "slower", "posts"),
    [
        ("on-regression", 1.0, False),
        ("on-regression", 1.3, True),
        ("on-change", 1.0, False),
        ("on-change", 1.3, True),
        ("never", 1.3, False),
        ("always", 1.0, True),
    ],
)
def test_modes_decide_whether_a_comment_is_created(
    runner: Runner, mode: str, slower: float, posts: bool
) -> None:
    assert runner.run(*reports(runner, slower), "--mode", mode).code == 0
    assert len(runner.double.comments[7]) == int(posts)
    assert runner.summary.exists()


def test_a_quiet_mode_still_updates_an_existing_comment(runner: Runner) -> None:
    runner.run(*reports(runner))
    runner.run(*reports(runner, slower=1.0), "--mode", "on-regression")
    (body,) = runner.double.bodies(7)
    assert "No regressions" in body


def test_mode_never_makes_no_api_call(runner: Runner) -> None:
    runner.run(*reports(runner), "--mode", "never")
    assert runner.double.requests() == []


def test_a_push_has_no_pull_request_and_writes_the_summary_only(runner: Runner) -> None:
    runner.event.write_text(json.dumps({"ref": "refs/heads/main"}))
    runner.set(GITHUB_EVENT_NAME="push")
    result = runner.run(*reports(runner))
    assert result.code == 0 and runner.double.requests() == []
    assert "not commenting: no pull request" in result.err
    assert runner.outputs()["regressions"] == "1"


def test_workflow_run_comments_on_the_pr_given_when_its_head_matches(runner: Runner) -> None:
    head_sha = runner.double.pulls[7][1]
    runner.event.write_text(
        json.dumps({"workflow_run": {"head_sha": head_sha, "pull_requests": []}})
    )
    runner.set(GITHUB_EVENT_NAME="workflow_run")
    assert runner.run(*reports(runner), "--pr", "7").code == 0
    assert len(runner.double.comments[7]) == 1


def test_workflow_run_refuses_a_pr_number_whose_head_the_run_did_not_build(runner: Runner) -> None:
    runner.event.write_text(json.dumps({"workflow_run": {"head_sha": "f" * 40}}))
    runner.set(GITHUB_EVENT_NAME="workflow_run")
    result = runner.run(*reports(runner), "--pr", "7")
    assert result.code == 0 and runner.double.comments[7] == []
    assert "not commenting: pull request #7 is at c0ffeec, the run built fffffff" in result.err


def test_bad_credentials_exit_2_with_a_message(
    runner: Runner, capsys: pytest.CaptureFixture[str]
) -> None:
    runner.set(GITHUB_TOKEN="ghs_Revoked00000000000000000000000000000")
    assert cli.main(["comment", *reports(runner)]) == 2  # the real entry point
    err = capsys.readouterr().err
    assert err.startswith("greenbudget: error: GitHub: GET ") and "HTTP 401: Bad credentials" in err
    assert "ghs_Revoked" not in err and "Traceback" not in err


def test_an_unknown_pull_request_exits_2(runner: Runner) -> None:
    result = runner.run(*reports(runner), "--pr", "404")
    assert result.code == 2 and "HTTP 404: Not Found" in result.err


def test_no_token_when_one_is_needed_exits_2(runner: Runner) -> None:
    runner.set(GITHUB_TOKEN=None)
    result = runner.run(*reports(runner))
    assert result.code == 2 and "no GitHub token to comment" in result.err


@pytest.mark.parametrize(
    ("setup", "problem"),
    [("report", "--report: "), ("event", "GITHUB_EVENT_PATH: "), ("repo", "GITHUB_REPOSITORY=")],
)
def test_bad_input_is_a_message_not_a_traceback(runner: Runner, setup: str, problem: str) -> None:
    argv = reports(runner)
    if setup == "report":
        Path(argv[1]).write_text('{"schema_version": "1.0", "environment": 3}')
    elif setup == "event":
        runner.event.write_text("{not json")
    else:
        runner.set(GITHUB_REPOSITORY="not a repository")
    result = runner.run(*argv)
    assert result.code == 2 and result.err.startswith(f"greenbudget: error: {problem}")


def outputs_of_every_kind(runner: Runner) -> str:
    files = [runner.summary, runner.output]
    return "".join(f.read_text() for f in files if f.exists())


@pytest.mark.parametrize("scenario", ["posted", "fork", "down", "echoed", "revoked"])
def test_the_token_never_appears_in_any_output(runner: Runner, scenario: str) -> None:
    token = WRITE_TOKEN
    if scenario == "fork":
        token = READ_TOKEN
    elif scenario == "down":
        runner.double.fail("GET", COMMENTS, error(500, "Server Error"), times=99)
    elif scenario == "echoed":
        runner.double.fail("POST", COMMENTS, error(403, f"token {token} lacks a scope"))
    elif scenario == "revoked":
        runner.double.tokens.pop(token)
    runner.set(GITHUB_TOKEN=token)
    result = runner.run(*reports(runner))
    everything = result.out + result.err + outputs_of_every_kind(runner)
    assert token not in everything and token[4:20] not in everything
    assert everything  # something was written that could have leaked it


def test_neither_the_plugin_nor_the_cli_parser_loads_requests() -> None:
    code = (
        "import sys, pytest_greenbudget.plugin, pytest_greenbudget.cli as cli\n"
        "cli.build_parser()\n"
        "print('requests' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- the runner's files and workflow commands ---------------------------------------------


def test_workflow_command_escaping() -> None:
    line = command("error", "50% done\r\nnext", title="a: b, c%")
    assert line == "::error title=a%3A b%2C c%25::50%25 done%0D%0Anext"


def test_outputs_survive_values_that_look_like_delimiters(tmp_path: Path) -> None:
    out = tmp_path / "output"
    write_outputs(out, {"comment-url": "x\nghadelimiter_1\ny", "regressions": "0"})
    assert parse_outputs(out) == {"comment-url": "x\nghadelimiter_1\ny", "regressions": "0"}


def test_the_summary_stays_within_one_mebibyte(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_bytes(b"x" * (SUMMARY_LIMIT_BYTES - 100))
    append_summary(summary, "é" * 500)
    assert summary.stat().st_size <= SUMMARY_LIMIT_BYTES
    summary.read_text(encoding="utf-8")  # cut on a character boundary
