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
import statistics
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..gate.budget import build_entry
from ..gate.compare import percent_change
from ..report.model import BaselineFigures, CarbonSettings, TestEntry
from ..settings.plans import Plan
from ..units import count, format_energy, format_p
from .schedule import PairedRun, PairedRunner, RoundDone, TestPairs
from .sequential import Look
from .stats import DEFAULT_DESIGN, METHOD, PairedDesign, PairedResult
from .timeouts import RunLimits
from .worker_process import Side
from .worktree import Worktree, clean_env, import_root, repo_top, resolve

# The controller's own outputs and gates: a worker must not write or judge them again.
VALUE_OPTIONS = (
    "--greenbudget-report",
    "--greenbudget-html",
    "--greenbudget-baseline",
    "--greenbudget-against",
    "--greenbudget-against-python",
    "--greenbudget-config",
)
FLAG_OPTIONS = ("--greenbudget-gate-incomparable",)


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


def _env(root: Path) -> dict[str, str]:
    """The environment with the side's own modules first on the path: an editable install
    of the project in this venv would otherwise hand the base side the head's code."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH", "")]))
    env.pop("PYTEST_XDIST_WORKER", None)
    return env


def sides(inv: Invocation, top: Path, tree: Worktree) -> tuple[Side, Side]:
    """Both sides run the same selection with the head's settings (meter, config), so they
    measure the same way; the plugin is the installed one on both (the same instrument)."""
    args = worker_args(inv.args)
    extra = []
    if inv.config:
        extra.append(f"--greenbudget-config={Path(inv.folder, inv.config).resolve()}")
    base_args = [_mapped(a, tree) for a in args]
    head = Side("head", (sys.executable, "-m", "pytest", *args, *extra), inv.folder, _env(top),
                inv.cache)  # fmt: skip
    base = Side(
        "base",
        (inv.python or sys.executable, "-m", "pytest", *base_args, *extra),
        tree.mapped(inv.folder) or tree.path,
        clean_env(_env(import_root(tree.path))),  # a hook's GIT_DIR is not the base's
        inv.cache,
    )
    return replace(head, env=_env(import_root(top))), base


def _mapped(arg: str, tree: Worktree) -> str:
    """An absolute path inside the repository becomes the worktree's twin; relative paths
    already resolve there, since the base runs from the twin of the invocation folder."""
    path, sep, rest = arg.partition("::")
    if arg.startswith("-") or not os.path.isabs(path):
        return arg
    twin = tree.mapped(Path(path))
    return f"{twin}{sep}{rest}" if twin else arg


# --- the phase ---------------------------------------------------------------------------


@dataclass
class Paired:
    """What the paired phase produced, for the controller's own run of each test."""

    ref: str
    commit: str
    entries: dict[str, TestEntry]  # compared side by side
    excluded: dict[str, str] = field(default_factory=dict)  # node id -> why not compared
    broken: set[str] = field(default_factory=set)  # excluded because the gate failed to run it
    new: set[str] = field(default_factory=set)
    missing: list[TestEntry] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # shown as they happen, too

    @property
    def label(self) -> str:
        return f"{self.ref}@{self.commit[:7]}"

    def finish(self, entry: TestEntry) -> TestEntry:
        """A test the controller measured itself (not compared): say why."""
        if entry.nodeid in self.new:
            note = f"not on the base side ({self.label})"
            if entry.verdict == "over-budget" or not entry.samples_j:
                return entry.noted(note)
            return replace(entry, verdict="new", message=note)
        reason = self.excluded.get(entry.nodeid)
        if reason and entry.nodeid in self.broken and entry.verdict != "over-budget":
            # never "ok": the comparison it needed did not happen (the run fails for it)
            return replace(entry.noted(f"{reason} with {self.label}"), verdict="inconclusive")
        return entry.noted(f"{reason} with {self.label}") if reason else entry

    @property
    def failure(self) -> str | None:
        """Why the run must fail although verdicts exist: a test the gate could not run."""
        if not self.broken:
            return None
        nodeid = sorted(self.broken)[0]
        more = f" (and {count(len(self.broken) - 1, 'more test')})" if len(self.broken) > 1 else ""
        return f"{nodeid} {self.excluded[nodeid]}{more}"


def measure_against(
    inv: Invocation,
    plans: Mapping[str, Plan],
    carbon: CarbonSettings,
    design: PairedDesign = DEFAULT_DESIGN,
    on_round: Callable[[RoundDone], None] | None = None,
) -> Paired:
    """Raises WorktreeError / WorkerError (one line each) when it cannot compare.
    ``on_round`` hears after every round which tests are still in play."""
    top = repo_top(inv.folder, inv.git_timeout)
    commit = resolve(top, inv.ref, inv.git_timeout)
    with _sigterm_as_interrupt():  # from before the checkout: a SIGTERM mid-way cleans it up
        tree = Worktree.create(top, commit, inv.git_timeout)
        try:
            head, base = sides(inv, top, tree)
            limits = RunLimits(inv.timeout)
            # the logs live beside the checkout, and go with it (a stale one's too)
            runner = PairedRunner(head, base, list(plans), _tolerances(plans), tree.scratch,
                                  design, on_round=on_round, limits=limits)  # fmt: skip
            run = runner.run()
        finally:
            tree.close()
    return _paired(inv.ref, commit, run, plans, carbon, design)


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


def _paired(
    ref: str,
    commit: str,
    run: PairedRun,
    plans: Mapping[str, Plan],
    carbon: CarbonSettings,
    design: PairedDesign,
) -> Paired:
    paired = Paired(ref, commit, {}, new=set(run.new))
    for nodeid, pairs in run.tests.items():
        if pairs.excluded is not None:
            paired.excluded[nodeid] = pairs.excluded
            if pairs.broken:
                paired.broken.add(nodeid)
            continue
        entry = _compared(pairs, plans[nodeid], carbon, paired, design)
        paired.entries[nodeid] = entry
    paired.missing = [_missing(nodeid, paired.label) for nodeid in run.missing]
    paired.notes = _notes(run, paired)
    return paired


def _compared(
    pairs: TestPairs, plan: Plan, carbon: CarbonSettings, paired: Paired, design: PairedDesign
) -> TestEntry:
    samples = list(pairs.head)
    entry = build_entry(pairs.nodeid, plan, samples, carbon)
    entry = replace(entry, repeats=len(samples), warmup=design.warmup)
    flat = [p for r in pairs.rounds for p in r]
    try:  # the look the test left the schedule at (or the last one, if it never left)
        look = pairs.look or Look.at(pairs.rounds, plan.tolerance, design)
    except ValueError as exc:
        return entry.noted(f"not compared with {paired.label}: {exc}")
    result = look.result
    base_j = [b for _, b in flat]
    figures = BaselineFigures(
        statistics.median(base_j), tuple(base_j), result.ratio, result.p_value, METHOD,
        comparable=True, mode="paired", ref=paired.ref, commit=paired.commit,
        pairs=tuple(flat), detectable=result.detectable,
    )  # fmt: skip
    entry = replace(entry, baseline=figures)
    if entry.verdict == "over-budget":  # the budget's failure names its source: keep it
        return entry
    head_j = statistics.median(h for h, _ in flat)
    text = describe(result, figures.energy_j, head_j, paired.label, len(flat))
    if result.verdict == "inconclusive":
        text += f"; {look.why_inconclusive(design)}"
    return replace(entry, verdict=result.verdict, message=text)


def describe(result: PairedResult, base_j: float, head_j: float, label: str, pairs: int) -> str:
    """One line, e.g. 'energy regressed +12% vs main@abc1234 (3.10 J -> 3.47 J, p=0.002,
    12 pairs in 6 rounds), measured side by side in this job'."""
    p = "no test" if result.p_value is None else format_p(result.p_value)
    detail = f"{format_energy(base_j)} -> {format_energy(head_j)}, {p}, "
    detail += f"{pairs} pairs in {result.rounds} rounds"
    if result.detectable is not None:
        detail += f", could see {percent_change(1.0 + result.detectable)}"
    change = percent_change(result.ratio)
    what = {
        "unchanged": f"energy {change} vs {label}, within tolerance",
        "inconclusive": f"energy {change} vs {label}, inconclusive ({_why(result)})",
    }.get(result.verdict, f"energy {result.verdict} {change} vs {label}")
    return f"{what} ({detail}), measured side by side in this job"


def _why(result: PairedResult) -> str:
    """Beyond the tolerance but not significant, or within it but too noisy to rule a rise
    of the tolerance out (the detectable change says how large a rise it could have seen)."""
    return "not significant" if result.beyond_tolerance else "too noisy to rule out the tolerance"


def _missing(nodeid: str, label: str) -> TestEntry:
    return TestEntry(
        nodeid=nodeid,
        outcome="not-run",
        energy_j=None,
        verdict="missing",
        message=f"budgeted on the base side ({label}) but not here",
    )


def _notes(run: PairedRun, paired: Paired) -> list[str]:
    seconds = run.round_seconds
    total, rounds = sum(seconds), max(len(seconds), 1)
    notes = [
        f"measured side by side with {paired.label} in this job: "
        f"{count(len(paired.entries), 'test')}, {count(len(seconds), 'round')} of fresh "
        f"head and base processes, {total:.1f} s ({total / rounds:.1f} s per round, "
        f"{sum(run.startup_seconds) / rounds:.2f} s of it starting and collecting)"
    ]
    paired.problems = [f"base side ({paired.label}): {error}" for error in run.base_errors]
    return notes + paired.problems
