"""The paired schedule: rounds of fresh head and base processes, pairs inside them. Pure.

Round-major: a round starts one head and one base worker (only two processes alive), and both
run every test still in play in the same order. Per test: ``warmup`` unmeasured runs on each
side, then ``pairs`` measured pairs, the order inside each pair drawn at random; one side
measures while the other waits on its pipe. After ``design.rounds`` rounds the tests whose
comparison is inconclusive near the threshold get more rounds (new process pairs running only
those tests), up to ``design.max_rounds``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..measure.probe import RunSample
from .stats import DEFAULT_DESIGN, PairedDesign, PairedResult
from .timeouts import RunLimits
from .worker_process import Outcome, Ready, RunTimeout, Side, Worker, start_both


@dataclass
class TestPairs:
    """Everything measured for one test on both sides."""

    __test__ = False

    nodeid: str
    rounds: list[list[tuple[float, float]]] = field(default_factory=list)
    head: list[RunSample] = field(default_factory=list)
    base: list[RunSample] = field(default_factory=list)
    excluded: str | None = None  # why it is not compared (fails on base, skipped...)
    broken: bool = False  # excluded because the gate could not run it (timed out): a failure

    def result(self, tolerance: float, alpha: float) -> PairedResult:
        return PairedResult.from_rounds(self.rounds, tolerance, alpha)


@dataclass
class PairedRun:
    """The outcome of the whole schedule."""

    common: list[str]
    new: list[str]  # budgeted on head, not collected on base
    missing: list[str]  # budgeted on base, not budgeted on head
    tests: dict[str, TestPairs]
    base_errors: tuple[str, ...] = ()
    round_seconds: list[float] = field(default_factory=list)


class PairedRunner:
    """Runs the schedule; ``tolerance`` gives each test's tolerance (for the extension)."""

    def __init__(
        self,
        head: Side,
        base: Side,
        budgeted: Sequence[str],
        tolerance: Callable[[str], float],
        logdir: Path,
        design: PairedDesign = DEFAULT_DESIGN,
        rng: random.Random | None = None,
        limits: RunLimits | None = None,
    ) -> None:
        self.sides = (head, base)
        self.limits = limits or RunLimits()
        self.budgeted = list(budgeted)
        self.tolerance = tolerance
        self.logdir = logdir
        self.design = design
        self.rng = rng or random.Random()
        self.result: PairedRun | None = None

    def run(self) -> PairedRun:
        active = self._round(None)
        for _ in range(self.design.rounds - 1):
            if not active:
                break
            active = self._round(active)
        more = [t for t in self._live() if self._wants_more(t)]
        while more and len(self.round_seconds) < self.design.max_rounds:
            more = self._round(more)  # one batch, looked at once: two looks in all
        assert self.result is not None
        return self.result

    @property
    def round_seconds(self) -> list[float]:
        return self.result.round_seconds if self.result else []

    def _live(self) -> list[str]:
        assert self.result is not None
        return [t for t in self.result.common if self.result.tests[t].excluded is None]

    def _wants_more(self, nodeid: str) -> bool:
        assert self.result is not None
        tol = self.tolerance(nodeid)
        try:
            alpha = self.design.alpha_per_look
            return self.result.tests[nodeid].result(tol, alpha).wants_more(tol)
        except ValueError:
            return False

    def _round(self, tests: list[str] | None) -> list[str]:
        began = time.monotonic()
        index = len(self.round_seconds)
        workers = self._start(index, 0)
        try:
            if self.result is None:
                self.result = self._first(*self._ready(workers))
            else:
                self._ready(workers)
            live = self._live()
            order = [t for t in (live if tests is None else tests) if t in live]
            for position, nodeid in enumerate(order):
                following = order[position + 1] if position + 1 < len(order) else None
                if not self._test(workers, self.result.tests[nodeid], following, index):
                    for worker in workers:  # stuck in that test: the rest needs fresh ones
                        worker.kill()
                    workers = self._start(index, position + 1)
                    self._ready(workers)
            for worker in workers:
                worker.quit()
        finally:
            for worker in workers:
                worker.kill()
        self.result.round_seconds.append(time.monotonic() - began)
        return [t for t in order if t in self._live()]

    def _start(self, index: int, restart: int) -> list[Worker]:
        tail = f"-{restart}" if restart else ""
        logs = [self.logdir / f"round{index + 1}-{s.name}{tail}.log" for s in self.sides]
        return start_both(self.sides, logs)

    def _ready(self, workers: list[Worker]) -> list[Ready]:
        return [w.ready(self.limits.startup) for w in workers]

    def _first(self, head: Ready, base: Ready) -> PairedRun:
        collected = set(base.collected)
        common = [t for t in self.budgeted if t in collected]
        new = [t for t in self.budgeted if t not in collected]
        mine = set(self.budgeted)
        missing = [t for t in base.budgeted if t not in mine]
        tests = {t: TestPairs(t) for t in common}
        return PairedRun(common, new, missing, tests, base.errors)

    def _test(
        self, workers: list[Worker], pairs: TestPairs, following: str | None, index: int
    ) -> bool:
        """The test's runs in this round; False when a run timed out (the workers are stuck)."""
        plan = [False] * self.design.warmup + [True] * self.design.pairs
        done = [0, 0]
        round_pairs: list[tuple[float, float]] = []
        for measured in plan:
            order = [0, 1] if self.rng.random() < 0.5 else [1, 0]
            if not self.limits.knows(pairs.nodeid):
                order = [0, 1]  # the head first: its time sets the base's limit
            readings: dict[int, RunSample] = {}
            for side in order:
                done[side] += 1
                nxt = "same" if done[side] < len(plan) else following
                try:
                    outcome = self._run(workers[side], pairs.nodeid, measured, nxt)
                except RunTimeout as exc:
                    pairs.excluded = self._timed_out(pairs.nodeid, exc)
                    pairs.broken = True
                    return False
                problem = _problem(outcome, self.sides[side].name, measured)
                if problem:
                    pairs.excluded = problem
                    return True
                if measured and outcome.sample is not None:
                    readings[side] = outcome.sample
            if measured:
                head, base = readings[0], readings[1]
                pairs.head.append(head)
                pairs.base.append(base)
                round_pairs.append((head.reading.energy_j, base.reading.energy_j))
        while len(pairs.rounds) < index:
            pairs.rounds.append([])  # rounds this test sat out keep their place
        pairs.rounds.append(round_pairs)
        return True

    def _run(self, worker: Worker, nodeid: str, measured: bool, nxt: str | None) -> Outcome:
        began = time.monotonic()
        outcome = worker.run(nodeid, measured, nxt, self.limits.limit(nodeid))
        self.limits.record(nodeid, worker.side.name, time.monotonic() - began)
        return outcome

    def _timed_out(self, nodeid: str, exc: RunTimeout) -> str:
        return (
            f"timed out on the {exc.side} side: one run took over {exc.limit:.0f} s "
            f"(the limit: {self.limits.explain(nodeid)}); not compared"
        )


def _problem(outcome: Outcome, side: str, measured: bool) -> str | None:
    if outcome.outcome == "passed":
        if measured and outcome.sample is None:  # another plugin ran the call phase
            return f"was not measured on the {side} side; not compared"
        return None
    verb = "was skipped" if outcome.outcome == "skipped" else "fails"
    detail = f": {outcome.message}" if outcome.message else ""
    return f"{verb} on the {side} side{detail}; not compared"
