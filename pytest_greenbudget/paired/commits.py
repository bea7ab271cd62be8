"""Whether the checked-out commit lies in an ``accept.tests`` entry's range, asked of git.

``FROM..TO`` holds when HEAD contains FROM (FROM is HEAD or one of its ancestors) and TO
contains HEAD; without TO, from FROM on. Anything git cannot answer (no git, not a repository,
an unknown commit: a shallow clone in CI) is a reason, never a yes.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from ..settings.accept import AcceptRule


def _is_ancestor(folder: Path, older: str, newer: str) -> bool | str:
    for rev in (older, newer):
        if rev.startswith("-"):
            return f"{rev!r} is not a commit"
    try:
        done = subprocess.run(
            ["git", "merge-base", "--is-ancestor", older, newer],
            cwd=folder, capture_output=True, text=True, check=False, timeout=60,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"git could not be asked ({exc})"
    if done.returncode in (0, 1):  # 1: a valid answer, "no"
        return done.returncode == 0
    lines = (done.stderr or done.stdout).strip().splitlines()
    why = lines[0] if lines else f"git merge-base exited {done.returncode}"
    return f"{why} (in CI, fetch the history: fetch-depth: 0)"


def head_in_range(folder: Path, rule: AcceptRule) -> bool | str:
    """True or False, or why git could not tell."""
    after = _is_ancestor(folder, rule.start, "HEAD")
    if after is not True or rule.end is None:
        return after
    return _is_ancestor(folder, "HEAD", rule.end)
