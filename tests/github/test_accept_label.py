"""An acknowledged regression through ``greenbudget comment``: the PR label, and the exit status."""

from __future__ import annotations

import html
import json

from github_double import BOT, HUMAN, Account, Runner, entry, report

from pytest_greenbudget.report.io import read_report

FIT = "tests/test_m.py::test_fit"
MAINTAINER = Account("energy-lead", 7, "User")


def regressed(runner: Runner) -> list[str]:
    base = runner.write("base.json", report(entry(FIT, 1.0)))
    head = runner.write("head.json", report(entry(FIT, 1.6, budget=5.0)))
    return ["--report", head, "--baseline", base, "--fail-on-regression"]


def test_without_the_label_a_regression_fails(runner: Runner) -> None:
    result = runner.run(*regressed(runner))
    assert result.code == 1
    assert runner.outputs()["regressions"] == "1" and runner.outputs()["accepted"] == "0"


def test_the_label_accepts_and_the_comment_says_who_added_it_and_when(runner: Runner) -> None:
    runner.pull_request(7, labels=("energy-accepted",))
    runner.double.add_label(7, "bug", HUMAN, "2026-12-01T09:00:00Z")
    runner.double.add_label(7, "energy-accepted", MAINTAINER, "2026-12-03T08:40:00Z")
    result = runner.run(*regressed(runner))
    assert result.code == 0, result.err
    assert "::error" not in result.out  # no annotation for an accepted regression
    assert runner.outputs()["regressions"] == "0" and runner.outputs()["accepted"] == "1"
    (body,) = runner.double.bodies(7)
    assert "1 regression accepted" in body.split("\n\n")[1]
    assert (
        "accepted by the label energy-accepted on pull request #7, added by energy-lead at 2026-12-03T08:40:00Z"
        in html.unescape(body)
    )


def test_another_label_name_can_be_configured(runner: Runner) -> None:
    runner.pull_request(7, labels=("energy-accepted",))
    result = runner.run(*regressed(runner), "--accept-label", "perf-ok")
    assert result.code == 1  # energy-accepted is not the label asked for
    runner.pull_request(7, labels=("perf-ok",))
    assert runner.run(*regressed(runner), "--accept-label", "perf-ok").code == 0


def test_on_workflow_run_the_label_is_read_from_the_pull_request(runner: Runner) -> None:
    runner.double.add_pull(7, head_sha="f" * 40)
    runner.double.add_label(7, "energy-accepted", MAINTAINER, "2026-12-03T08:40:00Z")
    runner.set(GITHUB_EVENT_NAME="workflow_run")
    runner.event.write_text(json.dumps({"workflow_run": {"head_sha": "f" * 40}}))
    result = runner.run(*regressed(runner), "--pr", "7")
    assert result.code == 0, result.err
    assert "added by energy-lead" in runner.double.bodies(7)[0]


def test_an_accepted_report_from_pytest_stays_accepted_without_a_baseline(runner: Runner) -> None:
    from dataclasses import replace

    accepted = replace(
        entry(FIT, 1.6, verdict="regressed", base=1.0),
        accepted=True,
        accepted_reason="accepted at greenbudget.yaml:4 for commits abc1234..: a bigger model",
    )
    path = runner.write("head.json", report(accepted))
    assert read_report(path).tests[0].accepted is True  # the field survives the file
    result = runner.run("--report", path, "--fail-on-regression")
    assert result.code == 0
    assert "a bigger model" in runner.double.bodies(7)[0]
    assert BOT.login  # the comment is ours
