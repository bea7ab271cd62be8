from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml  # noqa: F401
from github_double import GitHubDouble, Runner

# yaml is imported above, before any in-process pytester run: a run that imported it first
# would drop it from sys.modules on exit (pytester restores them), and the next import would
# pair a fresh yaml with libyaml's C module from the first, whose nodes then resolve no tag
# ("could not determine a constructor for the tag None" in the GitHub double's schema load).

SUPPORT = Path(__file__).parent / "support"


@pytest.fixture
def gb(pytester: pytest.Pytester) -> pytest.Pytester:
    """A pytester whose runs use the deterministic fake meter and no cache."""
    pytester.syspathinsert(SUPPORT)
    pytester.makeconftest("pytest_plugins = ['fakemeter']\n")
    # Unrelated plugins installed here would be re-imported (and assertion-rewritten) on
    # every in-process run; blocking them keeps a pytester run around 0.1 s. A test that
    # needs pytest-asyncio or pytest-rerunfailures turns it back on with "-p asyncio".
    pytester.makeini(
        "[pytest]\naddopts = -p no:cacheprovider -p no:hypothesispytest -p no:benchmark"
        " -p no:asyncio -p no:rerunfailures\n"
    )
    return pytester


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
