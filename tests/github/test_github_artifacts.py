"""Baselines from the base branch's newest artifact, downloaded without leaking the token."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import replace

import pytest
from github_double import GitHubDouble, Runner, entry, report

from pytest_greenbudget.report.model import Report

ARTIFACT = "greenbudget-baseline"


def archive(files: dict[str, Report | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, content in files.items():
            text = content if isinstance(content, str) else json.dumps(content.to_dict())
            zf.writestr(name, text)
    return buffer.getvalue()


def base_report(energy: float) -> Report:
    return report(entry("tests/test_m.py::test_fit", energy))


def head_args(runner: Runner, *extra: str) -> list[str]:
    head = report(entry("tests/test_m.py::test_fit", 2.0, budget=10.0))
    return ["--report", runner.write("head.json", head), "--baseline-artifact", ARTIFACT, *extra]


def add(
    gh: GitHubDouble, branch: str, energy: float, day: int, name: str = ARTIFACT, **flags: bool
) -> int:
    created = f"2024-04-{day:02d}T00:00:00Z"
    content = archive({"r.json": base_report(energy)})
    return gh.add_artifact(name, branch, content, created=created, **flags)


def test_the_newest_unexpired_artifact_of_the_base_branch_is_the_baseline(runner: Runner) -> None:
    gh = runner.double
    add(gh, "main", 9.0, day=1)
    chosen = add(gh, "main", 1.0, day=2)
    add(gh, "main", 5.0, day=3, expired=True)
    add(gh, "feature", 5.0, day=4)
    add(gh, "main", 9.0, day=5, fork=True)  # a fork's run, from its own branch named main
    add(gh, "main", 9.0, day=6, name="other")
    result = runner.run(*head_args(runner))
    assert result.code == 0
    body = runner.double.bodies(7)[0]
    assert "### 🔴 1 regressed · energy +100% vs base" in body
    assert f"> Baseline: artifact greenbudget-baseline from main (run {chosen * 10}, " in body
    downloads = [s for s in gh.requests() if s.path.endswith("/zip")]
    assert [s.path.split("/")[-2] for s in downloads] == [str(chosen)]
    (fetched,) = [s for s in gh.seen if s.host == "storage"]
    assert "authorization" not in fetched.headers


def test_the_listing_asks_for_the_name_and_follows_pages(runner: Runner) -> None:
    for day in range(1, 29):
        for hour in range(10):
            created = f"2024-02-{day:02d}T{hour:02d}:00:00Z"
            runner.double.add_artifact(
                ARTIFACT, "main", archive({"r.json": base_report(1.0)}), created=created
            )
    assert runner.run(*head_args(runner)).code == 0
    listings = [s.path for s in runner.double.requests() if "/actions/artifacts?" in s.path]
    assert listings[0].endswith(f"/actions/artifacts?per_page=100&name={ARTIFACT}")
    assert len(listings) == 3 and all("/repositories/4242/" in p for p in listings[1:])
    (download,) = [s for s in runner.double.requests() if s.path.endswith("/zip")]
    newest = runner.double.artifacts[-1]["id"]
    assert download.path.endswith(f"/artifacts/{newest}/zip")


def test_no_artifact_yet_says_so_and_compares_budgets_only(runner: Runner) -> None:
    result = runner.run(*head_args(runner))
    assert result.code == 0
    body = runner.double.bodies(7)[0]
    assert (
        "No baseline: no artifact greenbudget-baseline from main yet; compared with budgets only."
        in body
    )
    assert "### 🟢 1 test within budget · 2.00 J in total" in body


def test_a_path_inside_the_artifact_picks_the_report(runner: Runner) -> None:
    files = {"notes.json": "{}", "reports/base.json": base_report(1.0)}
    runner.double.add_artifact(ARTIFACT, "main", archive(files))
    assert runner.run(*head_args(runner, "--baseline-artifact-path", "reports/base.json")).code == 0
    assert "1 regressed" in runner.double.bodies(7)[0]


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (archive({"a.json": "{}", "b.json": "{}"}), "it holds a.json, b.json"),
        (archive({"r.json": "{not json"}), "holds no report"),
        (
            archive({"r.json": '{"schema_version": "9.0", "tests": []}'}),
            "schema&#95;version '9.0' is not supported",
        ),
        (b"PK not a zip", "not a zip archive"),
    ],
    ids=["two-json-files", "not-json", "newer-schema", "not-a-zip"],  # zips hold timestamps
)
def test_an_unusable_artifact_is_a_note_not_a_failure(
    runner: Runner, content: bytes, says: str
) -> None:
    runner.double.add_artifact(ARTIFACT, "main", content)
    assert runner.run(*head_args(runner)).code == 0
    body = runner.double.bodies(7)[0]
    assert "No baseline: artifact greenbudget-baseline " in body and says in body


def test_the_base_branch_comes_from_the_pull_request_when_the_event_lacks_it(
    runner: Runner,
) -> None:
    runner.double.add_pull(8, base="release")
    runner.event.write_text(json.dumps({"workflow_run": {"head_sha": runner.double.pulls[8][1]}}))
    runner.set(GITHUB_EVENT_NAME="workflow_run")
    runner.double.add_artifact(ARTIFACT, "release", archive({"r.json": base_report(1.0)}))
    assert runner.run(*head_args(runner, "--pr", "8")).code == 0
    assert "from release" in runner.double.bodies(8)[0]


def test_base_branch_flag_wins(runner: Runner) -> None:
    runner.double.add_artifact(ARTIFACT, "develop", archive({"r.json": base_report(1.0)}))
    assert runner.run(*head_args(runner, "--base-branch", "develop")).code == 0
    assert "from develop" in runner.double.bodies(7)[0]


def test_baseline_runs_judge_each_test_by_its_own_noise_between_artifacts(runner: Runner) -> None:
    gh = runner.double
    ids = []
    for day, energy in enumerate((1.0, 1.01, 0.99, 1.005, 1.002), start=1):
        content = archive(
            {"r.json": replace(base_report(energy), created_utc=f"2024-04-{day:02d}")}
        )
        ids.append(
            gh.add_artifact(ARTIFACT, "main", content, created=f"2024-04-{day:02d}T00:00:00Z")
        )
    # The head as the plugin writes it: its session noise is a meter default, not a setting.
    head = report(replace(entry("tests/test_m.py::test_fit", 1.1), noise_source="meter default (cputime)",
                          session_noise=0.25, samples_j=(1.1, 1.1, 1.1)))  # fmt: skip
    args = ["--report", runner.write("head.json", head), "--baseline-artifact", ARTIFACT]
    result = runner.run(*args, "--baseline-runs", "4")
    assert result.code == 0
    body = gh.bodies(7)[0]
    assert "1 regressed · energy +9.8% vs base" in body  # the meter default sees only +250%
    assert f"(run {ids[-1] * 10}, " in body and "and 3 older run(s) of it." in body
    downloads = [s.path.split("/")[-2] for s in gh.requests() if s.path.endswith("/zip")]
    assert downloads == [str(i) for i in reversed(ids[1:])]


def test_a_bad_baseline_runs_count_is_a_usage_error(runner: Runner) -> None:
    with pytest.raises(SystemExit):
        runner.run(*head_args(runner), "--baseline-runs", "0")
