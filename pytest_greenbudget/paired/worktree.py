"""The base side's checkout: a temporary ``git worktree`` of REF. Pure: no pytest.

The worktree lives only while the base processes run. It is removed in ``close`` (called from a
``finally``) and, should the interpreter exit another way, from an ``atexit`` hook; a
``git worktree prune`` then drops git's record of it even if the folder went first.
"""

from __future__ import annotations

import atexit
import contextlib
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


class WorktreeError(RuntimeError):
    """REF unknown, not a git repository, git missing: the message is one line for users."""


def _git(cwd: Path, *args: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=120
        )
    except FileNotFoundError:
        raise WorktreeError("git is not installed (needed by --greenbudget-against)") from None
    if done.returncode != 0:
        raise WorktreeError(_reason(done.stderr or done.stdout) or f"git {args[0]} failed")
    return done.stdout.strip()


def _reason(output: str) -> str:
    """git's own one-line reason: its ``fatal:``/``error:`` line (advice lines follow it)."""
    lines = [line.strip() for line in output.strip().splitlines() if line.strip()]
    causes = [line for line in lines if line.startswith(("fatal:", "error:"))]
    return (causes or lines or [""])[0]


def repo_top(where: Path) -> Path:
    try:
        return Path(_git(where, "rev-parse", "--show-toplevel"))
    except WorktreeError as exc:
        reason = str(exc)
        if "not a git repository" in reason:
            raise WorktreeError(
                f"{where} is not inside a git repository; --greenbudget-against needs one"
            ) from None
        owned = re.search(r"dubious ownership in repository at '(.+)'", reason)
        if owned:  # a checkout owned by another user (a container, an unpacked archive)
            reason += f"; if you trust it: git config --global --add safe.directory {owned[1]}"
        raise WorktreeError(f"git cannot use the repository at {where}: {reason}") from None


def resolve(top: Path, ref: str) -> str:
    """The commit SHA of ``ref``; WorktreeError names the ref when git does not know it."""
    if ref.startswith("-"):  # never let a ref be read as an option of git's
        raise WorktreeError(f"--greenbudget-against: {ref!r} is not a git ref")
    try:
        return _git(top, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except WorktreeError:
        raise WorktreeError(
            f"--greenbudget-against: unknown git ref {ref!r} in {top} "
            "(a branch, tag or commit; in CI fetch it first, e.g. fetch-depth: 0)"
        ) from None


def import_root(tree: Path) -> Path:
    """Where a checkout's own modules import from: ``src/`` (src layout) or the top."""
    src = tree / "src"
    return src if src.is_dir() else tree


@dataclass
class Worktree:
    """A detached checkout of one commit in a temporary folder."""

    top: Path  # the repository the worktree belongs to
    path: Path
    commit: str
    _holder: Path
    _closed: bool = False

    @classmethod
    def create(cls, top: Path, commit: str) -> Worktree:
        holder = Path(tempfile.mkdtemp(prefix="greenbudget-base-"))
        path = holder / top.name
        tree = cls(top, path, commit, holder)
        atexit.register(tree.close)
        try:
            _git(top, "worktree", "add", "--detach", "--quiet", str(path), commit)
        except KeyboardInterrupt:
            tree.close()
            raise
        except WorktreeError as exc:
            tree.close()
            raise WorktreeError(
                f"could not check out {commit[:12]} for the base side: {exc}"
            ) from None
        return tree

    def mapped(self, path: Path) -> Path | None:
        """The worktree's twin of a path inside the repository; None for a path outside it."""
        try:
            return self.path / path.resolve().relative_to(self.top.resolve())
        except ValueError:
            return None

    def close(self) -> None:
        """Remove the checkout and git's record of it; safe to call twice and at exit."""
        if self._closed:
            return
        self._closed = True
        atexit.unregister(self.close)
        for args in (("worktree", "remove", "--force", str(self.path)), ("worktree", "prune")):
            with contextlib.suppress(WorktreeError):  # gone already: the prune drops the record
                _git(self.top, *args)
        shutil.rmtree(self._holder, ignore_errors=True)
