"""``--greenbudget-against=REF``: the controller's side of the paired comparison.

The user's pytest session is the controller. Before its own test loop it checks REF out in a
temporary git worktree, runs the paired schedule (paired/schedule.py) with fresh head and base
worker processes, and turns what they measured into report entries, which the controller then
attaches to its own (unmeasured) run of each test. Nothing here imports pytest: the hooks hand
in the invocation (arguments, folder) and the plans.
"""

from __future__ import annotations

import os
import signal
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from ..report.model import CarbonSettings
from ..settings.plans import Plan
from .entries import Paired as Paired  # re-exported: the plugin and phase.py name it here
from .entries import build_paired
from .layout import BASE_TOP, HEAD_TOP, import_roots
from .profiling import profile_changes
from .progress import Watch
from .schedule import PairedRunner, RoundDone
from .scout import Scouted
from .stats import DEFAULT_DESIGN, PairedDesign
from .timeouts import RunLimits
from .triage import Triage, triage
from .worker_process import Side
from .worktree import Worktree, clean_env, repo_top, resolve

# The controller's own outputs and gates: a worker must not write or judge them again.
VALUE_OPTIONS = (
    "--greenbudget-report",
    "--greenbudget-html",
    "--greenbudget-baseline",
    "--greenbudget-against",
    "--greenbudget-against-python",
    "--greenbudget-config",
    "--greenbudget-against-time",
)
FLAG_OPTIONS = ("--greenbudget-gate-incomparable", "--greenbudget-against-all")


@dataclass(frozen=True)
class Invocation:
    """What the controller was started with, as the hooks read it from pytest."""

    args: tuple[str, ...]
    folder: Path  # the invocation directory
    config: str | None  # the head's greenbudget config file, if any
    ref: str
    python: str | None = None  # --greenbudget-against-python
    timeout: float | None = None  # --greenbudget-against-timeout: seconds per run
    git_timeout: float | None = None  # --greenbudget-against-git-timeout: seconds per git call
    cache: Path | None = None  # the session's cache folder; None: cacheprovider is off


def worker_args(args: Sequence[str]) -> list[str]:
    """The invocation's arguments minus the controller's own outputs and gates."""
    kept: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        name = arg.split("=", 1)[0]
        if name in VALUE_OPTIONS:
            skip = "=" not in arg
            continue
        if name in FLAG_OPTIONS:
            continue
        kept.append(arg)
    return kept


def _env(
    roots: Sequence[Path], twin: Callable[[Path], Path | None] | None = None
) -> dict[str, str]:
    """The environment with the side's own modules first on the path: an editable install
    of the project in this venv would otherwise hand the base side the head's code. ``twin``
    (the base's) maps the head's folders, PYTHONPATH's too, to the worktree's."""
    env = dict(os.environ)
    given = [Path(p) for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    paths = [*roots, *given]
    if twin is not None:
        paths = [(twin(p) if p.is_absolute() else None) or p for p in paths]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(str(p) for p in paths))
    env.pop("PYTEST_XDIST_WORKER", None)
    for name in (HEAD_TOP, BASE_TOP):  # a gated run inside a base test sets its own
        env.pop(name, None)
    return env


def head_side(inv: Invocation, roots: Sequence[Path]) -> Side:
    """The head's workers: the invocation as given, from the invocation folder; ``roots``:
    where the head's own code imports from (layout.import_roots)."""
    argv = (sys.executable, "-m", "pytest", *worker_args(inv.args), *_extra(inv))
    return Side("head", argv, inv.folder, _env(roots), inv.cache)


def _extra(inv: Invocation) -> list[str]:
    extra = []  # no -p no:cacheprovider: each worker gets a copy of the cache (worker_process)
    if inv.config:
        extra.append(f"--greenbudget-config={Path(inv.folder, inv.config).resolve()}")
    return extra


def base_side(inv: Invocation, top: Path, roots: Sequence[Path], tree: Worktree) -> Side:
    """The base's workers: the same selection with the head's settings (meter, config) as the
    head's, so both measure the same way; the plugin is the installed one on both (the same
    instrument)."""
    base_args = [_mapped(a, tree) for a in worker_args(inv.args)]
    base = Side(
        "base",
        (inv.python or sys.executable, "-m", "pytest", *base_args, *_extra(inv)),
        tree.mapped(inv.folder) or tree.path,
        _base_env(top, roots, tree),
        inv.cache,
    )
    return base


def _base_env(top: Path, roots: Sequence[Path], tree: Worktree) -> dict[str, str]:
    """The worktree's twins of the head's import folders first; the worker refuses to run
    if it still imports a file of the head's (paired/layout.py)."""
    env = clean_env(_env(roots, tree.mapped))  # a hook's GIT_DIR is not the base's
    env[HEAD_TOP] = str(top)
    env[BASE_TOP] = str(tree.path)
    return env


def _mapped(arg: str, tree: Worktree) -> str:
    """An absolute path inside the repository becomes the worktree's twin; relative paths
    already resolve there, since the base runs from the twin of the invocation folder."""
    path, sep, rest = arg.partition("::")
    if arg.startswith("-") or not os.path.isabs(path):
        return arg
    twin = tree.mapped(Path(path))
    return f"{twin}{sep}{rest}" if twin else arg


def measure_against(
    inv: Invocation,
    plans: Mapping[str, Plan],
    carbon: CarbonSettings,
    design: PairedDesign = DEFAULT_DESIGN,
    watch: Watch | None = None,
) -> Paired:
    """Raises WorktreeError / WorkerError (one line each) when it cannot compare."""
    watch = watch or Watch()
    top = repo_top(inv.folder, inv.git_timeout)
    commit = resolve(top, inv.ref, inv.git_timeout)
    # From before the checkout: a SIGTERM mid-way cleans it up.
    with _sigterm_as_interrupt(), tempfile.TemporaryDirectory(prefix="greenbudget-") as temp:
        logs = Path(temp)
        other = inv.python is not None
        roots = import_roots(top)  # once: it reads every installed distribution's metadata
        found = triage(head_side(inv, roots), list(plans), top, commit, logs, watch, other)
        planner = Planner(watch, f"{inv.ref}@{commit[:7]}", design, found)
        try:
            if not found.paired or found.scouted is not None:  # else round 1's opening pairs
                planner.plan(found)
            if found.paired:
                return _run(inv, (top, roots), commit, (plans, carbon), logs, planner)
        except NoRoom:
            pass  # no round measured: every paired test is inconclusive, with the cap's reason
    found = planner.found
    return build_paired(inv.ref, commit, None, plans, carbon, design, found, watch.capped)


class NoRoom(Exception):
    """The time cap leaves no room for round 1: no round is measured."""


@dataclass
class Planner:
    """Says the plan once the tests' times are known, from the head's traced run or from
    round 1's opening pairs, and stops the phase when round 1 would not fit the cap."""

    watch: Watch
    label: str  # REF@sha
    design: PairedDesign
    found: Triage

    def plan(self, found: Triage) -> Callable[[Mapping[str, int]], float]:
        """Says the plan; returns the estimate of a round; NoRoom when round 1 cannot fit."""
        self.found, watch, design = found, self.watch, self.design
        one = found.round_s(dict.fromkeys(found.paired, design.pairs))  # first rounds: all
        skipped, new = len(found.skipped), len(found.new)
        watch.plan(self.label, len(found.paired) - skipped - new, len(found.impact.unaffected),
                   design, one, found.changes_line(), (skipped, new), found.timed_by,
                   found.impact.note if found.paired else None)  # fmt: skip
        if found.paired and not watch.fits(one):
            watch.stop(0, design.max_rounds, one)
            raise NoRoom
        return found.round_s

    def opened(self, scouted: Scouted) -> Callable[[Mapping[str, int]], float]:
        return self.plan(self.found.timed(scouted))


def _run(
    inv: Invocation, where: tuple[Path, Sequence[Path]], commit: str,
    judged: tuple[Mapping[str, Plan], CarbonSettings], logs: Path, planner: Planner,
) -> Paired:  # fmt: skip
    """``where``: the repository's top and where the head's code imports from."""
    (top, roots), (plans, carbon) = where, judged
    watch, design, found = planner.watch, planner.design, planner.found
    tree = Worktree.create(top, commit, inv.git_timeout)
    try:
        head, base = head_side(inv, roots), base_side(inv, top, roots, tree)
        tolerances = _tolerances(plans)
        runner = PairedRunner(
            head, base, found.paired, tolerances, logs, design,
            on_round=partial(_said, watch), limits=RunLimits(inv.timeout), watch=watch,
            estimate=found.round_s if found.scouted else None,
            opening=None if found.scouted else planner.opened,
        )  # fmt: skip
        run = runner.run()
        found = planner.found  # with the opening's times
        paired = build_paired(inv.ref, commit, run, plans, carbon, design, found, watch.capped)
        # Where the energy went, for the changed tests the rounds could not profile: one
        # more head and base process each, while the base's worktree still exists.
        done = {nodeid: pairs.profile for nodeid, pairs in run.tests.items()}
        paired.notes += profile_changes(paired.entries, head, base, logs, done)
        return paired
    finally:
        tree.close()


def _said(watch: Watch, done: RoundDone) -> None:
    watch.round_done(done.number, done.max_rounds, len(done.in_play), len(done.left))


def _tolerances(plans: Mapping[str, Plan]) -> Callable[[str], float]:
    return lambda nodeid: plans[nodeid].tolerance


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """A CI runner cancels a job with SIGTERM, and a closed terminal or ssh session sends
    SIGHUP; both skip ``finally`` blocks. As an interrupt they remove the worktree and kill
    the workers like Ctrl-C does."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    names = [n for n in ("SIGTERM", "SIGHUP") if hasattr(signal, n)]  # no SIGHUP on Windows
    try:
        previous = {n: signal.signal(getattr(signal, n), interrupt) for n in names}
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        for name, handler in previous.items():
            signal.signal(getattr(signal, name), handler)
