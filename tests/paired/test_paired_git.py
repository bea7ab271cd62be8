"""The paired gate's git calls in real repositories: inside a real pre-commit hook, a checkout
slower than the git limit (a smudge filter, as Git LFS runs one), and a run killed outright."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import pytest
from test_paired import FAST, TEST, commit, git, run, worktrees

from pytest_greenbudget.paired.worktree import Worktree, remove_stale, resolve


@pytest.fixture
def repo(gb: pytest.Pytester) -> pytest.Pytester:
    git(gb.path, "init", "-q", "-b", "main")
    gb.makepyfile(test_energy=TEST.format(joules=3.0, extra=""))
    commit(gb, "base")
    return gb


HOOK = """#!/bin/sh
{python} -m pytest {args} --greenbudget-against=HEAD > {log} 2>&1
echo "exit $?" >> {log}
exit 0
"""


@pytest.mark.parametrize("how", ["-a", "paths", "plain"])
def test_a_pre_commit_hook_gating_against_head_leaves_the_commit_whole(
    repo: pytest.Pytester, tmp_path: Path, how: str
) -> None:
    """git commit -a / PATHS point GIT_INDEX_FILE at a temporary index; a worktree added with
    it inherited would fill it with the base's tree and record an empty commit."""
    log = tmp_path / "hook.log"
    hook = repo.path / ".git" / "hooks" / "pre-commit"
    hook.write_text(HOOK.format(python=sys.executable, args=" ".join(FAST), log=log))
    hook.chmod(0o755)
    repo.makepyfile(test_energy=TEST.format(joules=3.0, extra="x = 1  # the change"))
    if how == "plain":
        git(repo.path, "add", "test_energy.py")
    args = {"-a": ["-a"], "paths": ["test_energy.py"], "plain": []}[how]
    git(repo.path, "commit", "-q", "-m", "change", *args)
    text = log.read_text()
    assert "measured side by side" in text and "exit 0" in text, text
    changed = git(repo.path, "show", "--name-only", "--format=", "HEAD").split()
    assert changed == ["test_energy.py"]  # the change is in the commit...
    assert git(repo.path, "status", "--porcelain", "--untracked-files=no") == ""  # ...and staged
    assert "x = 1  # the change" in git(repo.path, "show", "HEAD:test_energy.py")
    assert len(worktrees(repo)) == 1


def test_a_checkout_slower_than_the_git_limit_is_one_line(repo: pytest.Pytester) -> None:
    # A smudge filter runs on checkout, as Git LFS's does when it fetches model weights.
    git(repo.path, "config", "filter.slow.smudge", "sleep 5; cat")
    git(repo.path, "config", "filter.slow.clean", "cat")
    (repo.path / ".gitattributes").write_text("*.bin filter=slow\n")
    (repo.path / "weights.bin").write_text("weights\n")
    commit(repo, "weights")
    result = run(repo, "--greenbudget-against=main", "--greenbudget-against-git-timeout=1")
    result.stdout.fnmatch_lines(
        ["greenbudget: no paired comparison: could not check out * for the base side: git "
         "worktree took over 1 s (*); --greenbudget-against-git-timeout=SECONDS raises the limit"]
    )  # fmt: skip
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert "INTERNALERROR" not in result.stdout.str()
    assert len(worktrees(repo)) == 1


def test_a_checkout_left_by_a_killed_run_is_removed_by_the_next(
    repo: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))  # this test's own temporary folder
    git(repo.path, "tag", "good")
    kill = "import os, signal, time; os.kill(os.getppid(), signal.SIGKILL); time.sleep(5)"
    repo.makepyfile(test_energy=TEST.format(joules=3.0, extra=kill))
    commit(repo, "kills its controller")
    repo.makepyfile(test_energy=TEST.format(joules=3.0, extra=""))
    killed = run(repo, "--greenbudget-against=main")
    assert killed.ret == -9
    assert len(worktrees(repo)) == 2  # SIGKILL: nothing could clean up
    assert len(list(scratch.glob("greenbudget-base-*"))) == 1
    result = run(repo, "--greenbudget-against=good")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    assert len(worktrees(repo)) == 1
    assert list(scratch.glob("greenbudget-base-*")) == []  # its checkout and logs went too


def test_a_live_runs_checkout_is_left_alone(
    repo: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    tree = Worktree.create(repo.path, resolve(repo.path, "main"))
    remove_stale(repo.path)  # its owner (this process) is alive
    assert tree.path.is_dir() and len(worktrees(repo)) == 2
    tree.close()
    assert len(worktrees(repo)) == 1
