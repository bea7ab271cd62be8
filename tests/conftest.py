from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml  # noqa: F401
from github_double import GitHubDouble, Runner
from inner_runs import isolate

# yaml is imported above, before any in-process pytester run: a run that imported it first
# would drop it from sys.modules on exit (pytester restores them), and the next import would
# pair a fresh yaml with libyaml's C module from the first, whose nodes then resolve no tag
# ("could not determine a constructor for the tag None" in the GitHub double's schema load).

SUPPORT = Path(__file__).parent / "support"


@pytest.fixture
def gb(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A pytester whose runs use the deterministic fake meter, no cache and none of the
    unrelated plugins installed here (see inner_runs.py)."""
    pytester.syspathinsert(SUPPORT)
    pytester.makeconftest("pytest_plugins = ['fakemeter']\n")
    pytester.makeini("[pytest]\n")  # the inner runs' rootdir, unless a path moves it
    isolate(monkeypatch)
    # The summary takes pytest's width: these runs get 100 columns, as their expected lines
    # were written for; tests/plugin/test_plugin_summary.py checks other widths.
    monkeypatch.setenv("COLUMNS", "100")
    return pytester


@pytest.fixture
def fake_meter_in_subprocesses(monkeypatch: pytest.MonkeyPatch) -> None:
    """Processes an inner run starts (paired workers, pytest in a subprocess) import the fake
    meter too: the inner conftest names it."""
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join([str(SUPPORT), os.environ.get("PYTHONPATH", "")])
    )


@pytest.fixture
def github() -> Iterator[GitHubDouble]:
    """The loopback GitHub API; any request or response that breaks GitHub's OpenAPI
    description, or a token reaching the artifact storage host, fails the test."""
    with GitHubDouble() as double:
        yield double
    assert double.problems == []


@pytest.fixture
def runner(
    github: GitHubDouble,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Runner:
    """A GitHub Actions job environment pointed at the double."""
    return Runner(github, tmp_path, monkeypatch, capsys)
