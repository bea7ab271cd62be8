"""Which budgeted tests a change can reach: the rest are ``unaffected`` and not paired. Pure.

The changed files are what ``git diff`` shows between REF and the working tree (staged or
not, renames as a deletion plus an addition) and the untracked files git does not ignore. A
test is unaffected when none of the Python files it executed (scout.py traces one run of
each test on the head with coverage.py) changed. Everything else is conservative, because a
test wrongly left out is a regression the gate cannot see:

- a changed file that is not Python source (data, a config, a compiled extension) may be read
  by any test, so it reaches every test, unless ``paired.ignore`` in the config names it;
- a deleted Python file reaches every test: the head cannot trace what the base ran;
- files executed outside any test's own call (imports, collection, fixtures' set-up and
  tear-down, which a session fixture does once for many tests) count for every test.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..settings.paired import ignored
from .worktree import WorktreeError, clean_env

UNAFFECTED_WHY = "no file it runs changed"
ANY_TEST_MAY_READ = "a change that any test may read"  # a file that is not Python: every test
SHOWN = 5  # changed files named in a one-line reason before "and N more"


@dataclass(frozen=True)
class Changes:
    """The files changed between REF's commit and the working tree, repository paths."""

    files: tuple[str, ...]
    deleted: frozenset[str] = frozenset()
    ignored: tuple[str, ...] = ()  # matched by paired.ignore: left out of every decision

    @classmethod
    def from_git(
        cls, top: Path, commit: str, patterns: tuple[str, ...] = (), outputs: tuple[Path, ...] = ()
    ) -> Changes:
        """WorktreeError (one line) when git cannot say. ``outputs``: files this run writes
        (its report, its HTML page), which an earlier run left behind, untracked."""
        listed = _git_z(top, "diff", "--name-status", "--no-renames", "-z", commit, "--")
        deleted = {listed[i + 1] for i in range(0, len(listed) - 1, 2) if listed[i] == "D"}
        changed = {p for p in listed[1::2] if not metadata(p)}
        untracked = _git_z(top, "ls-files", "--others", "--exclude-standard", "-z")
        changed |= {p for p in untracked if not byproduct(p)}
        changed -= {_inside(top, path) for path in outputs}
        skip = tuple(sorted(p for p in changed if ignored(p, patterns)))
        kept = tuple(sorted(changed - set(skip)))
        return cls(kept, frozenset(deleted) & set(kept), skip)

    @property
    def python(self) -> frozenset[str]:
        return frozenset(p for p in self.files if p.endswith(".py") and p not in self.deleted)

    @property
    def untraceable(self) -> tuple[str, ...]:
        """Changes that reach every test: not Python, or Python the head no longer has."""
        return tuple(p for p in self.files if p not in self.python)

    def to_dict(self) -> dict[str, list[str]]:
        return {"considered": list(self.files), "ignored": list(self.ignored)}


def byproduct(path: str) -> bool:
    """An untracked file Python or pip writes beside the code, which no test's energy depends
    on: bytecode caches, and the ``*.egg-info`` folder ``pip install -e .`` leaves in a
    setuptools project (both sides read the installed metadata the same way). In a project
    without a .gitignore the egg-info counted as a change every test may read, and hid the
    one real change among "and 2 more" (a torch-optimizer trial)."""
    parts = path.split("/")
    if metadata(path) or "__pycache__" in parts[:-1]:
        return True
    return parts[-1].endswith((".pyc", ".pyo"))


def metadata(path: str) -> bool:
    """A file in a ``*.egg-info`` folder, tracked or not: an sdist ships one, and a project
    committed from an sdist (networkx's, say) has it in git, where ``pip install -e .``
    rewrites its SOURCES.txt and paired every test. A tracked ``.pyc`` stays a change: it
    may be the project's own code."""
    return any(folder.endswith(".egg-info") for folder in path.split("/")[:-1])


def _git_z(top: Path, *args: str) -> list[str]:
    try:
        done = subprocess.run(  # without a hook's GIT_INDEX_FILE: the working tree's own index
            ["git", *args], cwd=top, capture_output=True, check=False, timeout=120, env=clean_env()
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise WorktreeError(f"git {args[0]} failed: {exc}") from None
    if done.returncode != 0:
        lines = done.stderr.decode(errors="replace").strip().splitlines()
        raise WorktreeError(lines[0] if lines else f"git {args[0]} failed")
    return [p for p in done.stdout.decode(errors="surrogateescape").split("\0") if p]


def _inside(top: Path, path: Path) -> str | None:
    try:
        return path.resolve().relative_to(top.resolve()).as_posix()
    except (ValueError, OSError):
        return None


@dataclass(frozen=True)
class Traced:
    """What one traced run of the head executed: repository paths per test, and outside any
    test's call (counted for all). ``untraced`` holds tests the trace cannot speak for (not
    passed, or no line recorded in their call: another tracer took over, say)."""

    files: Mapping[str, frozenset[str]]
    shared: frozenset[str]
    untraced: Mapping[str, str] = field(default_factory=dict)  # node id -> why


@dataclass(frozen=True)
class Impact:
    """The decision for each budgeted test: affected (why) or unaffected."""

    affected: dict[str, str]  # node id -> why it is paired
    unaffected: tuple[str, ...]
    changes: Changes | None = None
    note: str | None = None  # why every test is affected, when one reason covers all

    @classmethod
    def everything(cls, tests: Sequence[str], why: str, changes: Changes | None = None) -> Impact:
        return cls({t: why for t in tests}, (), changes, why)


def decide(tests: Sequence[str], changes: Changes, traced: Traced | None) -> Impact:
    """Affected or not, per test. ``traced`` is None when the trace was not needed (no
    Python change) or failed (then the caller passes everything() instead)."""
    if not changes.files:
        return Impact({}, tuple(tests), changes)
    if changes.untraceable:
        why = f"{ANY_TEST_MAY_READ}: {named(changes.untraceable)}"
        return Impact.everything(tests, why, changes)
    if traced is None:
        raise ValueError("Python files changed: a trace of the head is needed")
    shared = traced.shared & changes.python
    affected: dict[str, str] = {}
    for test in tests:
        if test in traced.untraced:
            affected[test] = traced.untraced[test]
            continue
        hit = (traced.files.get(test, frozenset()) & changes.python) | shared
        if hit:
            affected[test] = f"it runs {named(sorted(hit))}, changed"
    unaffected = tuple(t for t in tests if t not in affected)
    return Impact(affected, unaffected, changes)


def named(paths: Sequence[str]) -> str:
    shown = ", ".join(paths[:SHOWN])
    more = len(paths) - SHOWN
    return f"{shown} and {more} more" if more > 0 else shown
