"""Where the energy went: the paired gate profiles what changed, once per side, unmeasured."""

from __future__ import annotations

import json

import pytest
from git_repo import git

FAST = ("--greenbudget-against-rounds=2:2", "--greenbudget-against-pairs=1")

TEST = """
import fakemeter, pytest

def steady_work():
    total, i = 0, 0
    while i < 150_000:  # its own frame's time, no built-in calls to share it with
        total, i = total + i * i, i + 1
    return total

def expensive_new_step():
    total, i = 0, 0
    while i < {loops}:
        total, i = total + i * i, i + 1
    return total

@pytest.mark.greenbudget(energy="100 J")
def test_changing():
    fakemeter.burn({joules})
    steady_work()
    expensive_new_step()

@pytest.mark.greenbudget(energy="100 J")
def test_steady():
    fakemeter.burn(2.0)
"""


@pytest.fixture
def repo(gb: pytest.Pytester) -> pytest.Pytester:
    git(gb.path, "init", "-q", "-b", "main")
    gb.makepyfile(test_energy=TEST.format(joules=3.0, loops=1_000))
    git(gb.path, "add", "-A")
    git(gb.path, "commit", "-qm", "base")
    return gb


def entries(pytester: pytest.Pytester) -> dict[str, dict[str, object]]:
    data = json.loads((pytester.path / "head.json").read_text())
    return {t["nodeid"]: t for t in data["tests"]}


def test_the_function_the_cost_moved_into_comes_out_on_top(repo: pytest.Pytester) -> None:
    # The head moves work into expensive_new_step (30x its loop) and costs twice the energy.
    repo.makepyfile(test_energy=TEST.format(joules=6.0, loops=1_500_000))
    result = repo.runpytest_subprocess(
        *FAST, "--greenbudget-against=main", "--greenbudget-report=head.json", "-v"
    )
    result.assert_outcomes(passed=1, failed=1)
    tests = entries(repo)
    diff = tests["test_energy.py::test_changing"]["profile_diff"]
    assert isinstance(diff, dict)
    top = diff["functions"][0]
    assert (top["function"], top["where"]) == ("expensive_new_step", "test_energy.py:9")
    assert diff["unit"] == "share"  # the fake meter is not the CPU-time model
    assert top["head"] > 3 * max(top["base"], 0.1)  # in the base pass's time: 1500x its loop
    assert diff["cost_s"] > 0
    assert tests["test_energy.py::test_steady"]["profile_diff"] is None  # unchanged: not profiled
    result.stdout.fnmatch_lines(
        ["*where the energy went*", "*expensive_new_step*test_energy.py:9*"]
    )
    result.stdout.fnmatch_lines(["*profiled 1 changed test once per side*"])
    said = " ".join(result.stdout.str().split())  # the note wraps at the terminal's width
    assert "where the energy went (under -v, in the PR comment and on the HTML page)" in said


ALGO = """
import copy

def connected(graph):
    for _ in range({copies}):  # the head copies the graph more often: copy.py's time
        copy.deepcopy(graph)
    return len(graph)
"""

USES_ALGO = """
import fakemeter, pytest
from algo import connected

@pytest.mark.greenbudget(energy="100 J")
def test_connected():
    fakemeter.burn({joules})
    assert connected([[i, (i, str(i))] for i in range(300)]) == 300
"""


def test_your_code_names_the_projects_function_when_a_library_takes_the_time(
    gb: pytest.Pytester,
) -> None:
    # Own time lands in copy.py's deepcopy; the function of the project that called it is
    # what the user changed (as networkx's is_kl_connected once was).
    git(gb.path, "init", "-q", "-b", "main")
    gb.makepyfile(algo=ALGO.format(copies=20), test_algo=USES_ALGO.format(joules=3.0))
    git(gb.path, "add", "-A")
    git(gb.path, "commit", "-qm", "base")
    gb.makepyfile(algo=ALGO.format(copies=200), test_algo=USES_ALGO.format(joules=6.0))
    result = gb.runpytest_subprocess(
        *FAST, "--greenbudget-against=main", "--greenbudget-report=head.json", "-v"
    )
    result.assert_outcomes(failed=1)
    diff = entries(gb)["test_algo.py::test_connected"]["profile_diff"]
    assert isinstance(diff, dict)
    assert diff["functions"][0]["where"].startswith("copy.py:")  # own time: the stdlib's
    yours = diff["your_code"]
    assert (yours[0]["function"], yours[0]["where"]) == ("connected", "algo.py:3")
    assert yours[0]["head"] > 3 * yours[0]["base"]
    assert all(line["function"] != "test_connected" for line in yours)  # it holds everything
    result.stdout.fnmatch_lines(
        ["*through your code (each function with everything it called):", "*connected*algo.py:3*"]
    )
