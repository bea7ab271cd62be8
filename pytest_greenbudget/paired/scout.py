"""The head's own unmeasured run, before the paired phase: one worker process runs each
budgeted test once. It times them (the plan's estimate of the phase) and, when Python files
changed, runs under coverage.py to find the files each test executes (impact.py decides).

coverage.py (imported lazily, by the worker's ``python -m coverage run`` and here to read its
data) is the tracer the Python world already trusts: a C tracer, sys.monitoring where Python
has it, and per-test dynamic contexts, the mechanism pytest-cov and pytest-testmon map tests
to code with. The worker switches the context to the test's node id for its call phase only
(worker_session.py); everything else (imports, collection, fixtures) lands in the empty
context, which counts for every test. The worker reads our own rc file, never the user's, so
their ``omit``/``source`` settings cannot hide a file from the decision.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from .impact import Traced
from .wire import TRACE_ENV
from .worker_process import Side, Worker


@dataclass(frozen=True)
class Scouted:
    """Seconds to start and collect, seconds per test run, and the trace when asked for."""

    startup_s: float
    seconds: dict[str, float]
    outcomes: dict[str, str]
    traced: Traced | None = None
    problems: tuple[str, ...] = field(default=())  # why the trace is missing, when it is

    def round_seconds(self, pairs: Mapping[str, int]) -> float:
        """One round's expected wall time, given each test's pairs in it: two workers start
        (counted as one after the other: on a busy 2-core runner they compete), then each
        test runs 2 x its pairs times (a traced run is slower than a plain one: this errs
        long)."""
        runs = sum(2 * n * self.seconds.get(t, 0.0) for t, n in pairs.items())
        return 2 * self.startup_s + runs


def scout(head: Side, tests: Sequence[str], top: Path, logdir: Path, trace: bool) -> Scouted:
    """Raises WorkerError when the head's worker dies (the paired phase could not run
    either). A trace that cannot be read is a problem, not an error: every test is then
    affected."""
    side = _traced(head, top, logdir) if trace else head
    began = time.monotonic()
    listing = logdir / "scout-files.json"  # like a round: only the budgeted tests' files
    listing.write_text(json.dumps(sorted({t.split("::", 1)[0] for t in tests})), "utf-8")
    worker = Worker(side, logdir / ("scout-traced.log" if trace else "scout.log"), files=listing)
    try:
        ready = worker.ready()
        startup = time.monotonic() - began
        order = [t for t in tests if t in set(ready.collected)]
        seconds: dict[str, float] = {}
        outcomes: dict[str, str] = {}
        for position, nodeid in enumerate(order):
            following = order[position + 1] if position + 1 < len(order) else None
            start = time.monotonic()
            outcomes[nodeid] = worker.run(nodeid, False, following).outcome
            seconds[nodeid] = time.monotonic() - start
        worker.quit()  # coverage writes its data as the process exits
    finally:
        worker.kill()
    scouted = Scouted(startup, seconds, outcomes)
    if not trace:
        return scouted
    try:
        traced = read_trace(logdir / "trace.coverage", top, order, outcomes)
    except Exception as exc:  # coverage's own errors are many; any of them means no trace
        return replace(scouted, problems=(f"the trace could not be read: {exc}",))
    return replace(scouted, traced=traced)


def _traced(head: Side, top: Path, logdir: Path) -> Side:
    """The head's side under ``python -m coverage run`` with our rc file."""
    rcfile = logdir / "trace.rc"
    include = f"include = {top}/*\n" if not set("*?[]") & set(str(top)) else ""
    # parallel: one data file per process, so that patch = subprocess (coverage 7.10 on; older
    # ones warn and go on) can trace the Python a test starts in a subprocess. A subprocess has
    # no test context: what it runs counts for every test, conservatively.
    rcfile.write_text(
        f"[run]\ndata_file = {logdir / 'trace.coverage'}\nparallel = true\n"
        f"patch = subprocess\n{include}"
    )
    python, rest = head.argv[0], head.argv[1:]
    if tuple(rest[:2]) != ("-m", "pytest"):
        raise ValueError(f"cannot trace a worker started as {head.argv[:3]}")
    argv = (python, "-m", "coverage", "run", f"--rcfile={rcfile}", *rest)
    return replace(head, argv=argv, env={**head.env, TRACE_ENV: "1"})


def read_trace(
    data_file: Path, top: Path, tests: Sequence[str], outcomes: dict[str, str]
) -> Traced:
    """Per test, the repository files executed in its call; outside them, the shared ones."""
    import coverage

    combined = coverage.Coverage(data_file=str(data_file), config_file=False)
    combined.combine([str(data_file.parent)], strict=True)  # strict: no data is an error
    data = combined.get_data()
    root = top.resolve()
    files: dict[str, set[str]] = {t: set() for t in tests}
    shared: set[str] = set()
    for name in data.measured_files():
        path = _inside(Path(name), root)
        if path is None:
            continue
        for contexts in (data.contexts_by_lineno(name) or {}).values():
            for context in contexts:
                files.get(context, shared).add(path)
    untraced = {t: _why_untraced(outcomes.get(t)) for t in tests if outcomes.get(t) != "passed"}
    for test in tests:  # a call always runs its own body: nothing means another tracer won
        if test not in untraced and not files[test]:
            untraced[test] = "coverage recorded nothing in its call"
    return Traced({t: frozenset(f) for t, f in files.items()}, frozenset(shared), untraced)


def _why_untraced(outcome: str | None) -> str:
    said = {None: "was not collected", "skipped": "was skipped", "error": "had an error"}
    return f"its traced run on the head {said.get(outcome, outcome)}"


def _inside(path: Path, root: Path) -> str | None:
    try:
        return path.resolve().relative_to(root).as_posix()
    except (ValueError, OSError):
        return None
