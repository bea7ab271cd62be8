"""The paired gate as a hostile user runs it (issue 17, items 2 and 17): sides measured by
different meters, a selection with -k, a rounds count beyond reason.

Real git repositories and a pytest subprocess, as in test_paired.py; the fake meter makes
energies exact.
"""

from __future__ import annotations

import json

import pytest
from git_repo import git

FAST = ("--greenbudget-against-rounds=2:2", "--greenbudget-against-pairs=1")

TEST = """
import fakemeter, pytest

@pytest.mark.greenbudget(energy="100 J")
def test_steady():
    fakemeter.burn(2.0)

@pytest.mark.greenbudget(energy="100 J")
def test_other():
    fakemeter.burn(3.0)
"""


@pytest.fixture
def repo(gb: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A git repository whose first commit is the base."""
    git(gb.path, "init", "-q", "-b", "main")
    gb.makepyfile(test_energy=TEST)
    commit(gb)
    return gb


def commit(pytester: pytest.Pytester) -> None:
    git(pytester.path, "add", "-A")
    git(pytester.path, "commit", "-qm", "commit")


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(*FAST, "--greenbudget-report=head.json", *args)


def report(pytester: pytest.Pytester) -> dict[str, dict[str, object]]:
    data = json.loads((pytester.path / "head.json").read_text())
    return {t["nodeid"]: t for t in data["tests"]}


# --- item 17: -k counts only what it selects ------------------------------------------------


def test_the_announcement_counts_only_the_selected_budgeted_tests(repo: pytest.Pytester) -> None:
    result = run(repo, "--greenbudget-against=main", "-k", "steady")
    result.assert_outcomes(passed=1, deselected=1)
    result.stdout.fnmatch_lines(["greenbudget: 1 budgeted test: finding what changed since main*"])
    tests = report(repo)
    assert list(tests) == ["test_energy.py::test_steady"]
    assert tests["test_energy.py::test_steady"]["verdict"] == "unchanged"


def test_a_selection_without_budgeted_tests_starts_no_paired_phase(repo: pytest.Pytester) -> None:
    repo.makepyfile(test_plain="def test_plain():\n    pass\n")
    result = run(repo, "--greenbudget-against=main", "-k", "plain")
    result.assert_outcomes(passed=1, deselected=2)
    assert result.ret == pytest.ExitCode.OK
    assert "side by side" not in result.stdout.str()


@pytest.mark.parametrize("rounds", ["1000000000", "5:101", "101"])
def test_rounds_are_capped_like_pairs_and_repeats(gb: pytest.Pytester, rounds: str) -> None:
    result = gb.runpytest(f"--greenbudget-against-rounds={rounds}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--greenbudget-against-rounds*2 <= N <= MAX <= 100*"])


# --- item 2: sides measured by different meters are never compared ---------------------------

PLUG_CONFTEST = """
import fakemeter
from pytest_greenbudget.meters.base import ComponentReading, Reading


class PlugMeter(fakemeter.FakeMeter):
    name = "plug"

    def stop(self, token):
        reading = super().stop(token)
        energy = reading.energy_j / 10  # another instrument: another scale
        return Reading({"cpu": ComponentReading(energy, "measured", "plug")}, reading.wall_s, reading.cpu_s)


def pytest_greenbudget_make_meter(config, name):
    return PlugMeter() if name == "auto" else None
"""


def test_sides_measured_by_different_meters_are_not_compared(repo: pytest.Pytester) -> None:
    """A meter plugin in the base's conftest against the head's: its figures are not the
    head's, and an unchanged test read "regressed +900%" and failed."""
    (repo.path / "conftest.py").write_text(PLUG_CONFTEST)
    commit(repo)
    repo.makeconftest("pytest_plugins = ['fakemeter']\n")  # the head: the fake meter
    result = run(repo, "--greenbudget-against=main")
    result.assert_outcomes(passed=2)
    assert result.ret == pytest.ExitCode.TESTS_FAILED  # a gate that could not run fails
    result.stdout.fnmatch_lines(
        ["greenbudget: no paired comparison: the sides measured with different meters: "
         "'plug' on the base side, 'fake' on the head side*not comparable*"]
    )  # fmt: skip
    assert "regressed" not in result.stdout.str()
    for entry in report(repo).values():
        assert entry["baseline"] is None and entry["samples_j"]  # measured here, unpaired
