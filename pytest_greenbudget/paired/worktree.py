"""The base side's checkout: a temporary ``git worktree`` of REF. Pure: no pytest.

The worktree lives only while the base processes run. It is removed in ``close`` (called from a
``finally``) and, should the interpreter exit another way, from an ``atexit`` hook; a
``git worktree prune`` then drops git's record of it even if the folder went first. A run
killed outright (SIGKILL) leaves its folder behind with a marker naming its process: the next
run removes every such folder whose process is gone.

Every git call runs without the repository-locating variables a git hook inherits
(``GIT_INDEX_FILE`` under ``git commit -a`` points at a temporary index that ``git worktree
add`` would fill with the base's tree, recording an empty commit).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


class WorktreeError(RuntimeError):
    """REF unknown, not a git repository, git missing: the message is one line for users."""


GIT_TIMEOUT_S = 120.0  # per git call; --greenbudget-against-git-timeout changes it
# git's own repository-local variables (``git rev-parse --local-env-vars``), less the user's
# ``-c`` settings (GIT_CONFIG_PARAMETERS, GIT_CONFIG_COUNT), which are configuration, not state
REPO_LOCAL = (
    "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_CONFIG", "GIT_OBJECT_DIRECTORY", "GIT_DIR",
    "GIT_WORK_TREE", "GIT_IMPLICIT_WORK_TREE", "GIT_GRAFT_FILE", "GIT_INDEX_FILE",
    "GIT_NO_REPLACE_OBJECTS", "GIT_REPLACE_REF_BASE", "GIT_PREFIX", "GIT_INTERNAL_SUPER_PREFIX",
    "GIT_SHALLOW_FILE", "GIT_COMMON_DIR",
)  # fmt: skip
HOLDER_PREFIX = "greenbudget-base-"
MARKER = "greenbudget-owner.json"


def clean_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment without git's repository-local variables (a hook sets them)."""
    return {k: v for k, v in (os.environ if env is None else env).items() if k not in REPO_LOCAL}


def _git(cwd: Path, *args: str, timeout: float | None = None) -> str:
    limit = timeout or GIT_TIMEOUT_S
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, check=False,
            timeout=limit, env=clean_env(),
        )  # fmt: skip
    except FileNotFoundError:
        raise WorktreeError("git is not installed (needed by --greenbudget-against)") from None
    except subprocess.TimeoutExpired:
        raise WorktreeError(
            f"git {args[0]} took over {limit:g} s (a large checkout, or Git LFS fetching "
            "files?); --greenbudget-against-git-timeout=SECONDS raises the limit"
        ) from None
    if done.returncode != 0:
        raise WorktreeError(_reason(done.stderr or done.stdout) or f"git {args[0]} failed")
    return done.stdout.strip()


def _reason(output: str) -> str:
    """git's own one-line reason: its ``fatal:``/``error:`` line (advice lines follow it)."""
    lines = [line.strip() for line in output.strip().splitlines() if line.strip()]
    causes = [line for line in lines if line.startswith(("fatal:", "error:"))]
    return (causes or lines or [""])[0]


def repo_top(where: Path, timeout: float | None = None) -> Path:
    try:
        return Path(_git(where, "rev-parse", "--show-toplevel", timeout=timeout))
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


def resolve(top: Path, ref: str, timeout: float | None = None) -> str:
    """The commit SHA of ``ref``; WorktreeError names the ref when git does not know it."""
    if ref.startswith("-"):  # never let a ref be read as an option of git's
        raise WorktreeError(f"--greenbudget-against: {ref!r} is not a git ref")
    try:
        return _git(top, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", timeout=timeout)
    except WorktreeError:
        raise WorktreeError(
            f"--greenbudget-against: unknown git ref {ref!r} in {top} "
            f"(a branch, tag or commit; {_fetch_hint(top)})"
        ) from None


def _fetch_hint(top: Path) -> str:
    """How to get the missing ref: a shallow clone (CI's default checkout) lacks history."""
    try:
        shallow = _git(top, "rev-parse", "--is-shallow-repository", timeout=30) == "true"
    except WorktreeError:
        shallow = False
    if shallow:
        return "this clone is shallow: git fetch --unshallow, or in CI fetch-depth: 0"
    return "in CI fetch it first, e.g. fetch-depth: 0"


@dataclass
class Worktree:
    """A detached checkout of one commit in a temporary folder."""

    top: Path  # the repository the worktree belongs to
    path: Path
    commit: str
    _holder: Path
    _closed: bool = False
    timeout: float | None = None  # per git call

    @classmethod
    def create(cls, top: Path, commit: str, timeout: float | None = None) -> Worktree:
        remove_stale(top)
        holder = Path(tempfile.mkdtemp(prefix=HOLDER_PREFIX))
        (holder / MARKER).write_text(json.dumps(_owner(top)), encoding="utf-8")
        path = holder / top.name
        tree = cls(top, path, commit, holder, timeout=timeout)
        atexit.register(tree.close)
        try:
            _git(top, "worktree", "add", "--detach", "--quiet", str(path), commit, timeout=timeout)
        except KeyboardInterrupt:
            tree.close()
            raise
        except WorktreeError as exc:
            tree.close()
            raise WorktreeError(
                f"could not check out {commit[:12]} for the base side: {exc}"
            ) from None
        return tree

    @property
    def scratch(self) -> Path:
        """A folder for the run's logs, removed with the worktree (stale ones too)."""
        folder = self._holder / "logs"
        folder.mkdir(exist_ok=True)
        return folder

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
        # an add cut off by the git limit leaves its record locked: prune skips locked ones
        unlock = ("worktree", "unlock", str(self.path))
        remove = ("worktree", "remove", "--force", str(self.path))
        for args in (unlock, remove, ("worktree", "prune")):
            with contextlib.suppress(WorktreeError):  # gone already: the prune drops the record
                _git(self.top, *args, timeout=self.timeout)
        shutil.rmtree(self._holder, ignore_errors=True)


def _owner(top: Path) -> dict[str, object]:
    return {"pid": os.getpid(), "started": _started(os.getpid()), "top": str(top)}


def _started(pid: int) -> str | None:
    """The process's start time (Linux), so that a reused pid does not pass for the owner."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _alive(owner: dict[str, object]) -> bool:
    pid = owner.get("pid")
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: alive, and not ours to judge
    started = owner.get("started")
    return started is None or started == _started(pid)


def remove_stale(top: Path) -> None:
    """Remove the checkouts and logs of earlier runs whose process is gone (SIGKILL, a
    closed terminal), recognised by this plugin's marker; git's records of them in this
    repository go with them."""
    for holder in Path(tempfile.gettempdir()).glob(f"{HOLDER_PREFIX}*"):
        try:
            owner = json.loads((holder / MARKER).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # not ours, or a run still creating it
        if not isinstance(owner, dict) or _alive(owner):
            continue
        if owner.get("top") == str(top):
            for action in ("unlock", "remove --force"):
                with contextlib.suppress(WorktreeError):
                    _git(top, "worktree", *action.split(), str(holder / top.name))
        shutil.rmtree(holder, ignore_errors=True)
    with contextlib.suppress(WorktreeError):
        _git(top, "worktree", "prune")
