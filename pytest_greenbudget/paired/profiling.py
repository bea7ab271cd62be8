"""Where the energy went: one extra, unmeasured, profiled pass per side for each test the
paired gate found regressed or improved, and the diff of the two profiles.

The worker's end (``profiled_run``) runs the test once under cProfile and sends each
function's own time, its file relative to the side's own rootdir (so head and base name the
same file alike although the base lives in a temporary worktree). pytest's, pluggy's and this
plugin's own frames are left out: they are the harness, the same on both sides. The
controller's end (``profile_changes``) starts one more head and base worker, asks each for its
pass of every such test, and attaches the diff (gate/profile_diff.py) to the test's entry with
what the passes cost. The schedule (paired/schedule.py) profiles a test in the round it leaves
as regressed or improved, in that round's processes: the extra workers start only for a test
whose pass failed there.

Own time alone named only where the time was spent, often a library's function: a networkx
change that called ``copy.deepcopy`` once more showed ``deepcopy`` and ``_deepcopy_tuple`` in
copy.py, not the networkx function that called them. So the worker also sends the project's own
functions (files under the side's rootdir, outside any site-packages) with their inclusive
time, cProfile's ``totaltime``, which counts what they called; the test function itself is left
out, since it holds the whole change.
"""

from __future__ import annotations

import cProfile
import os
import sysconfig
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..gate.profile_diff import Profile, profile_diff
from ..report.model import TestEntry
from ..units import count
from .wire import Profiled, ProfileRow
from .worker_process import Side, WorkerError, quit_all, start_both

if TYPE_CHECKING:
    import pytest

    from .worker_process import Worker

HARNESS = (
    f"{os.sep}_pytest{os.sep}",
    f"{os.sep}pluggy{os.sep}",
    f"{os.sep}pytest_greenbudget{os.sep}",
    f"{os.sep}cProfile.py",
)
STDLIB = os.path.join(sysconfig.get_paths()["stdlib"], "")
# The full collection the harness makes before each run (measure/protocol.py), not the test's.
HARNESS_BUILTINS = ("<built-in method gc.collect>",)
WORTH = ("regressed", "improved")
Passes = tuple[Profiled, Profiled, float]  # head's pass, base's, what the two took (s)


def profiled_run(item: pytest.Item, nextitem: pytest.Item | None) -> Profiled:
    """The worker's answer to a ``profile`` command: the outcome and each function's own time."""
    from ..measure.protocol import run_once

    profiler = cProfile.Profile()
    profiler.enable()
    try:
        result = run_once(item, nextitem, measured=False)
    finally:
        profiler.disable()
    root = str(item.config.rootpath) + os.sep
    stats = profiler.getstats()
    rows = [row for entry in stats if (row := _row(entry, root)) is not None]
    test = getattr(getattr(item, "function", None), "__code__", None)
    mine = [row for entry in stats if (row := _mine(entry, root, test)) is not None]
    outcome = "passed" if result.passed else result.outcome
    return Profiled(outcome, tuple(rows), tuple(mine))


def _row(entry: Any, root: str) -> tuple[str, int, str, float] | None:
    """[file, line, function, own seconds] of one profiled function; None for the harness's.
    The qualified name, so a generator expression is named with the function it is in."""
    code, own = entry.code, entry.inlinetime
    if isinstance(code, str):  # a built-in: '<built-in method builtins.sum>'
        return ("~", 0, code, own) if own > 0 and code not in HARNESS_BUILTINS else None
    file = code.co_filename
    if own <= 0 or any(part in file for part in HARNESS):
        return None
    name = getattr(code, "co_qualname", code.co_name).replace(".<locals>", "")
    return (_file(file, root), code.co_firstlineno, name, own)


def _mine(entry: Any, root: str, test: object) -> ProfileRow | None:
    """[file, line, function, inclusive seconds] of a function of the project's own code; None
    for the rest: built-ins, libraries (a virtual environment inside the project included),
    the harness, and the test function itself."""
    code, inclusive = entry.code, entry.totaltime
    if isinstance(code, str) or code is test or inclusive <= 0:
        return None
    file = code.co_filename
    if not file.startswith(root) or "site-packages" in file or any(h in file for h in HARNESS):
        return None
    name = getattr(code, "co_qualname", code.co_name).replace(".<locals>", "")
    return (file[len(root) :], code.co_firstlineno, name, inclusive)


def _file(file: str, root: str) -> str:
    """Relative to the rootdir, to site-packages, or to the standard library, whose absolute
    path (/root/.pyenv/versions/3.11.7/lib/python3.11/copy.py) wrapped every line it was on."""
    if file.startswith(root):
        return file[len(root) :]
    marker = f"site-packages{os.sep}"
    if marker in file:
        return file.split(marker, 1)[1]
    return file[len(STDLIB) :] if file.startswith(STDLIB) else file


def profile_changes(
    entries: dict[str, TestEntry],
    head: Side,
    base: Side,
    logdir: Path,
    done: Mapping[str, Passes | None] | None = None,
) -> list[str]:
    """Attach a profile diff to every regressed or improved entry (in place); ``done``: the
    passes the rounds already made. The lines say what it cost, or why there is none."""
    wanted = [n for n, e in entries.items() if e.verdict in WORTH]
    if not wanted:
        return []
    began = time.monotonic()
    passes = {n: found for n in wanted if (found := (done or {}).get(n)) is not None}
    spent = sum(seconds for _, _, seconds in passes.values())
    rest = [n for n in wanted if n not in passes]
    try:
        passes.update(_passes(rest, head, base, logdir) if rest else {})
    except WorkerError as exc:
        return [f"no profile of the changed tests: {exc}"]
    for nodeid, (head_pass, base_pass, seconds) in passes.items():
        entry = entries[nodeid]
        entries[nodeid] = replace(entry, profile_diff=_diff(entry, head_pass, base_pass, seconds))
    spent += time.monotonic() - began
    return [
        f"profiled {count(len(passes), 'changed test')} once per side to show where the "
        "energy went (under -v, in the PR comment and on the HTML page): "
        f"{spent:.1f} s, not measured"
    ]


def _passes(wanted: list[str], head: Side, base: Side, logdir: Path) -> dict[str, Passes]:
    logs = [logdir / "profile-head.log", logdir / "profile-base.log"]
    workers = start_both((head, base), logs)
    found = {}
    try:
        for worker in workers:
            worker.ready()
        for i, nodeid in enumerate(wanted):
            following = wanted[i + 1] if i + 1 < len(wanted) else None
            began = time.monotonic()
            answers = [w.profile(nodeid, following) for w in workers]
            if all(a.outcome == "passed" for a in answers):
                seconds = time.monotonic() - began
                found[nodeid] = (answers[0], answers[1], seconds)
        quit_all(workers)
    finally:
        for worker in workers:
            worker.kill()
    return found


def _diff(entry: TestEntry, head: Profiled, base: Profiled, seconds: float) -> Any:
    # Joules only when every component is the CPU-time model's: its energy is CPU seconds x W.
    cputime = bool(entry.components) and all(
        c.meter == "cputime" for c in entry.components.values()
    )
    base_j = entry.baseline.energy_j if entry.baseline is not None else None
    head_j = entry.energy_j
    return profile_diff(
        Profile.from_rows(head.rows, head.mine),
        Profile.from_rows(base.rows, base.mine),
        head_j=head_j if cputime else None,
        base_j=base_j if cputime else None,
        cost_s=seconds,
    )


def profile_in_round(
    workers: Sequence[Worker], nodeid: str, following: str | None, limit: float
) -> tuple[bool, Passes | None]:
    """Where the energy went, while a round's processes still run: one unmeasured pass per
    side under cProfile rather than two more processes after the rounds. (False, None) when
    a side failed at it (the rest of the round gets fresh workers, and profile_changes
    retries the test in fresh ones, saying so if it fails); (True, None) when the test did
    not pass under the profiler."""
    began = time.monotonic()
    try:
        answers = [worker.profile(nodeid, following, limit) for worker in workers]
    except WorkerError:
        return False, None
    if all(answer.outcome == "passed" for answer in answers):
        return True, (answers[0], answers[1], time.monotonic() - began)
    return True, None
