"""The paired phase's plan and progress lines and its wall-time cap: the pure parts, then
what a user reads in a real run (git repository, fake meter, pytest in a subprocess)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from test_paired import FAST, TEST, commit, git

from pytest_greenbudget.paired.progress import Watch, format_duration, parse_duration
from pytest_greenbudget.paired.schedule import PairedRunner
from pytest_greenbudget.paired.worker_process import Side


@pytest.mark.parametrize(
    ("text", "seconds"), [("10m", 600), ("90s", 90), ("90", 90), ("1h30m", 5400), ("1.5m", 90)]
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "10 minutes", "m", "0s", "-5m"])
def test_bad_durations_say_what_is_valid(text: str) -> None:
    with pytest.raises(ValueError, match=r"give a duration such as 10m|longer than 0"):
        parse_duration(text)


def test_durations_read_at_a_glance() -> None:
    assert [format_duration(s) for s in (4.4, 65, 3725)] == ["4 s", "1m05s", "1h02m"]


def test_the_cap_stops_a_round_that_would_end_past_it() -> None:
    said: list[str] = []
    watch = Watch(say=said.append, cap_s=100.0, began=time.monotonic() - 90)
    side = Side("head", ("python",), Path("."))
    runner = PairedRunner(side, side, ["t"], lambda _: 0.05, Path("."), watch=watch,
                          estimate=lambda pairs: 5.0 * len(pairs))  # fmt: skip
    assert runner._may_start(["t"], 3)  # 90 s + 5 s fits in 100 s
    assert not runner._may_start(["t", "u", "v"], 3)  # 90 s + 15 s does not
    assert said == [
        "greenbudget: the time cap of 1m40s stopped the gate after 3 rounds of at most 10 "
        "(the next would take about 15 s, 1m30s had passed)"
    ]
    assert not runner._may_start(["t"], 3)  # once stopped, no round starts again


@pytest.fixture
def repo(gb: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    support = Path(__file__).parents[1] / "support"
    monkeypatch.setenv("PYTHONPATH", str(support))
    git(gb.path, "init", "-q", "-b", "main")
    gb.makepyfile(test_energy=TEST.format(joules=3.0, extra=""))
    (gb.path / ".gitignore").write_text("stdout\nstderr\nrunpytest-*\n")
    commit(gb, "base")
    gb.makepyfile(test_energy=TEST.format(joules=6.0, extra=""))  # the head: a doubling
    return gb


def test_the_plan_then_one_line_per_round(repo: pytest.Pytester) -> None:
    result = repo.runpytest_subprocess(*FAST, "--greenbudget-against=main")
    result.stdout.fnmatch_lines(
        [
            "greenbudget: 2 budgeted tests: finding what changed since main and which tests it "
            "reaches",
            "greenbudget: pairing 2 budgeted tests with main@* in 2-2 rounds of fresh base and "
            "head processes, about * by round 1's first pairs",
            "greenbudget: changed since the base: test_energy.py, which runs when the budgeted "
            "tests are collected",
            "greenbudget: round 1 of at most 2 done: 2 tests still in play, * elapsed",
            "greenbudget: round 2 of at most 2 done: 0 tests still in play, 2 finished, * elapsed",
        ]
    )


def test_quiet_keeps_one_line_per_round_and_a_one_line_plan(repo: pytest.Pytester) -> None:
    result = repo.runpytest_subprocess(*FAST, "--greenbudget-against=main", "-q")
    lines = [ln for ln in result.stdout.lines if ln.startswith("greenbudget:")]
    assert [ln.split(":")[1].split()[0] for ln in lines] == ["2", "pairing", "round", "round"]
    # Without the changes line, the one line still says why every test is paired.
    assert lines[1].endswith(
        "; every test paired: test_energy.py changed, which runs when the budgeted tests are "
        "collected"
    )


def test_a_cap_with_no_room_for_a_round_leaves_tests_inconclusive(
    repo: pytest.Pytester,
) -> None:
    result = repo.runpytest_subprocess(
        *FAST, "--greenbudget-against=main", "--greenbudget-against-time=0.01s",
        "--greenbudget-report=head.json",
    )  # fmt: skip
    assert result.ret == 0  # a doubling it did not measure cannot fail the build
    result.stdout.fnmatch_lines(
        ["greenbudget: the time cap of 0 s stopped the gate after 0 rounds*"]
    )
    assert "round 1 of" not in result.stdout.str()
    # Nothing was measured: no "total: 0 tests, 0 µJ" or zero carbon that reads as a figure.
    assert "total:" not in result.stdout.str() and "carbon:" not in result.stdout.str()
    # The summary at the end says again why nothing was measured.
    summary = result.stdout.str().split("= greenbudget =")[-1]
    assert "paired gate: the time cap of 0 s stopped the gate after 0 rounds" in summary
    tests = json.loads((repo.path / "head.json").read_text())["tests"]
    assert {t["verdict"] for t in tests} == {"inconclusive"}
    assert all("could see no change" in t["message"] for t in tests)


def test_a_bad_cap_is_a_usage_error(repo: pytest.Pytester) -> None:
    result = repo.runpytest_subprocess(
        "--greenbudget-against=main", "--greenbudget-against-time=soon"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*'soon': give a duration such as 10m, 90s or 1h30m*"])


def test_the_plan_does_not_count_tests_the_heads_own_run_skipped(repo: pytest.Pytester) -> None:
    skipping = (
        'import pytest\n@pytest.mark.greenbudget(energy="100 J")\ndef test_gone():\n'
        '    pytest.skip("no GPU")\n'
    )
    (repo.path / "test_gone.py").write_text(skipping)
    git(repo.path, "add", "test_gone.py")
    git(repo.path, "commit", "-qm", "a test the base skips too")
    (repo.path / "test_gone.py").write_text(skipping + "# changed\n")
    result = repo.runpytest_subprocess(*FAST, "--greenbudget-against=main")
    result.stdout.fnmatch_lines(
        [
            "greenbudget: pairing 2 budgeted tests with main@* by round 1's first pairs; 1 test "
            "skipped on the head"
        ]
    )
    result.stdout.fnmatch_lines(["greenbudget: round 1 of at most 2 done: 2 tests still in play*"])
