"""The paired schedule: rounds of fresh head and base processes, pairs inside them. Pure.

Round-major: a round starts one head and one base worker (only two processes alive), and both
run every test still in play in the same order. Per test: ``warmup`` unmeasured runs on each
side, then up to ``pairs`` measured pairs (fewer for a quiet test: PairedDesign.round_done),
the order inside each pair drawn at random; one side measures while the other waits on its
pipe. From round ``design.rounds`` on, every test still in play is looked at after each round
(paired/sequential.py): a test that is decided or hopeless leaves, and the next round's
processes run only the tests still in play, up to ``design.max_rounds``. The first test fresh
processes run measures a cold first run (3x the rest on torch-optimizer): it takes COLD_PAIRS
at least (unless fewer pairs were asked for), so that its floor leaves that run out (a quiet
test's one pair would be it alone).

The plan needs each test's time before the rounds. When a trace decides which tests to pair,
the head's traced run (scout.py) gives it. Otherwise (every test affected without a trace, the
common case: a changed module the test files import) no process of its own times them: round
1 runs every test's first pair before the rest of its pairs, the ``opening``, whose times make
the plan. That saves a process start and a run of every test (0.9 s of 7 s on the quiet
benchmark), and the opening pairs are measured pairs of round 1 like the rest.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from ..measure.probe import RunSample
from .pair_checks import problem_of, same_meters
from .profiling import WORTH, profile_in_round
from .progress import Watch
from .rounds import PairedRun, RoundDone, TestPairs
from .scout import Scouted
from .sequential import Look
from .stats import DEFAULT_DESIGN, PairedDesign
from .timeouts import RunLimits
from .wire import SAME
from .worker_process import (
    Outcome,
    Ready,
    RunTimeout,
    Side,
    Worker,
    quit_all,
    start_both,
)

__all__ = ["PairedRun", "PairedRunner", "RoundDone", "TestPairs"]

Pair = tuple[float, float]  # (head J, base J)
NEW = "new"  # an opening's outcome for a test the base does not have: not paired
COLD_PAIRS = 2  # the fewest pairs of a round's first test (its first run is cold)
Estimate = Callable[[Mapping[str, int]], float]  # a round's seconds, given each test's pairs


class PairedRunner:
    """Runs the schedule; ``tolerance`` gives each test's tolerance; ``on_round`` is called
    after every round (a progress line). ``opening``: when no head's own run timed the tests,
    called once round 1 has run each test's first pair, with their times; it returns the
    estimate of a round, or raises to stop (the time cap)."""

    def __init__(
        self,
        head: Side,
        base: Side,
        budgeted: Sequence[str],
        tolerance: Callable[[str], float],
        logdir: Path,
        design: PairedDesign = DEFAULT_DESIGN,
        rng: random.Random | None = None,
        on_round: Callable[[RoundDone], None] | None = None,
        limits: RunLimits | None = None,
        watch: Watch | None = None,
        estimate: Estimate | None = None,
        opening: Callable[[Scouted], Estimate] | None = None,
    ) -> None:
        self.sides = (head, base)
        self.limits = limits or RunLimits()
        self.budgeted = list(budgeted)
        self.tolerance = tolerance
        self.logdir = logdir
        self.design = design
        self.rng = rng or random.Random()
        self.on_round = on_round
        self.result: PairedRun | None = None
        self.watch = watch or Watch()  # its time cap stops rounds from starting
        self.estimate = estimate  # a round's expected seconds, given each test's pairs
        self._scale = 1.0  # how far the last round ran over (or under) its estimate
        self.opening = opening
        self.head_outcomes: dict[str, str] = {}  # each test's latest outcome on the head

    def run(self) -> PairedRun:
        began = time.monotonic()
        in_play: list[str] | None = None  # None: every test the first round finds
        while in_play is None or in_play:
            played = self._round(in_play)
            if not played and self.watch.capped:
                break  # the time cap: no round ran, the tests keep their last look
            in_play = [t for t in played if self.result and self.result.tests[t].stays]
            failed = bool(in_play) and self._failed_enough()
            if len(self.round_seconds) >= self.design.max_rounds or failed:
                in_play = []
            if self.on_round:
                left = tuple(t for t in played if t not in in_play)
                done = RoundDone(len(self.round_seconds), self.design.max_rounds,
                                 tuple(in_play), left, time.monotonic() - began)  # fmt: skip
                self.on_round(done)
            if failed:
                self.watch.say_capped()
        assert self.result is not None
        return self.result

    def _failed_enough(self) -> bool:
        """-x or --maxfail: enough tests left as regressed for pytest to stop at them."""
        tests = self.result.tests.values() if self.result else ()
        regressed = sum(
            1 for t in tests if t.look and t.look.stop and t.look.verdict == "regressed"
        )
        return self.watch.failed_enough(regressed, len(self.round_seconds), self.design.max_rounds)

    @property
    def round_seconds(self) -> list[float]:
        return self.result.round_seconds if self.result else []

    def _live(self) -> list[str]:
        assert self.result is not None
        return [t for t in self.result.common if self.result.tests[t].excluded is None]

    def _stays(self, nodeid: str) -> bool:
        """Look at one test after its round: it stays in play unless decided or hopeless."""
        assert self.result is not None
        pairs = self.result.tests[nodeid]
        try:
            pairs.look = Look.at(pairs.rounds, self.tolerance(nodeid), self.design)
        except ValueError:
            return False  # a zero reading: no log ratio now, nor after more rounds
        return pairs.look.stop is None

    def _may_start(self, tests: list[str], index: int) -> bool:
        """False (and the cap said) when the next round would end past the time cap."""
        if self.watch.capped:
            return False
        expected = self._expected(tests)
        if self.watch.fits(expected):
            return True
        self.watch.stop(index, self.design.max_rounds, expected)
        return False

    def _expected(self, tests: Sequence[str]) -> float:
        if self.estimate is not None:
            return self.estimate(self._pairs(tests)) * self._scale
        return self.round_seconds[-1] if self.round_seconds else 0.0

    def _pairs(self, tests: Sequence[str]) -> dict[str, int]:
        """Each test's measured pairs in its next round (fewer for a quiet test)."""
        known = self.result.tests if self.result else {}
        return {t: self.design.pairs_for(known[t].rounds if t in known else ()) for t in tests}

    def _round(self, tests: list[str] | None) -> list[str]:
        index = len(self.round_seconds)
        if tests is not None and index and not self._may_start(tests, index):
            return []
        began = time.monotonic()
        files = self._files(index, tests)
        workers = self._start(index, 0, files)
        try:
            if self.result is None:
                self.result = PairedRun.from_base(self.budgeted, self._ready(workers)[1])
            else:
                self._ready(workers)
            self.result.startup_seconds.append(time.monotonic() - began)
            live = self._live()
            order = [t for t in (live if tests is None else tests) if t in live]
            planned = self._pairs(order)  # before the round adds to each test's rounds
            opened: dict[str, list[Pair]] = {}
            if index == 0 and self.opening is not None:
                workers, opened = self._open(workers, order, files)
            cold = not opened  # the next test is the first these processes run
            for position, nodeid in enumerate(order):
                pairs = self.result.tests[nodeid]
                if pairs.excluded is not None:
                    continue  # it left in the opening
                following = order[position + 1] if position + 1 < len(order) else None
                first = (opened.get(nodeid, []), cold)
                cold = not self._test(workers, pairs, following, index, first)
                if cold:
                    workers = self._restart(workers, index, position + 1, files)
            quit_all(workers)
        finally:
            for worker in workers:
                worker.kill()
        took = time.monotonic() - began
        self.result.round_seconds.append(took)
        expected = self.estimate(planned) if self.estimate is not None else 0.0
        if expected > 0:
            self._scale = took / expected
        return [t for t in order if t in self._live()]

    def _open(
        self, workers: list[Worker], order: list[str], files: list[Path | None]
    ) -> tuple[list[Worker], dict[str, list[Pair]]]:
        """Round 1's first pair of every test, before the rest of the round: their times make
        the plan (``opening``). Returns the workers (fresh ones after a stuck run) and each
        test's opening pair, which stays in the round."""
        assert self.result is not None and self.opening is not None
        opened: dict[str, list[Pair]] = {}
        for position, nodeid in enumerate(order):
            pairs = self.result.tests[nodeid]
            after = order[(position + 1) % len(order)]  # the last one's: the round's first
            stopped = self._pair(workers, pairs, True, SAME if after == nodeid else after)
            if stopped == "stuck":
                workers = self._restart(workers, 0, position + 1, files)
            elif stopped is None:
                opened[nodeid] = [(pairs.head[-1].reading.energy_j,
                                   pairs.base[-1].reading.energy_j)]  # fmt: skip
        seconds = {t: self.limits.head_s[t] for t in order if t in self.limits.head_s}
        # Both workers started at once: as two start-ups of half that each (Scouted's model).
        startup = self.result.startup_seconds[0] / 2
        outcomes = {**dict.fromkeys(self.result.new, NEW), **self.head_outcomes}
        self.estimate = self.opening(Scouted(startup, seconds, outcomes))
        return workers, opened

    def _restart(
        self, workers: list[Worker], index: int, position: int, files: list[Path | None]
    ) -> list[Worker]:
        """Fresh workers for the rest of a round, the old ones stuck in a test."""
        for worker in workers:
            worker.kill()
        workers = self._start(index, position, files)
        self._ready(workers)
        return workers

    def _start(self, index: int, restart: int, files: list[Path | None]) -> list[Worker]:
        tail = f"-{restart}" if restart else ""
        logs = [self.logdir / f"round{index + 1}-{s.name}{tail}.log" for s in self.sides]
        return start_both(self.sides, logs, files)

    def _ready(self, workers: list[Worker]) -> list[Ready]:
        return [w.ready(self.limits.startup) for w in workers]

    def _files(self, index: int, tests: list[str] | None) -> list[Path | None]:
        """Per side, the test files its worker collects: those of the tests in play. The
        first round's base collects everything its arguments select, so that tests budgeted
        only on the base (removed or unbudgeted here) are still found and reported."""
        listing = self.logdir / f"round{index + 1}-files.json"
        names = sorted({t.split("::", 1)[0] for t in (self.budgeted if tests is None else tests)})
        listing.write_text(json.dumps(names), encoding="utf-8")
        return [listing, None if self.result is None else listing]

    def _test(
        self, workers: list[Worker], pairs: TestPairs, following: str | None, index: int,
        first: tuple[list[Pair], bool],
    ) -> bool:  # fmt: skip
        """The test's runs in this round after its opening pairs (``first[0]``): its warm-up
        pairs, then measured pairs until the round has them all, or fewer for a quiet test
        (PairedDesign.round_done). False when a run timed out (the workers are stuck). An
        opening pair takes the first run's place, measured (the design has no warm-up).
        ``first[1]``: the processes ran no test before it (COLD_PAIRS, above)."""
        opened, cold = first
        least = min(COLD_PAIRS, self.design.pairs) if cold else 0  # not past pairs given
        most = self.design.warmup + max(self.design.most_pairs(pairs.rounds), least)
        round_pairs = list(opened)
        for n in range(len(opened), most):
            measured = n >= self.design.warmup
            if (
                measured
                and len(round_pairs) >= least
                and self.design.round_done(pairs.rounds, round_pairs)
            ):
                break  # its last runs said "same": the worker tears down before the next test
            stopped = self._pair(workers, pairs, measured, following if n + 1 == most else SAME)
            if stopped:
                return stopped == "excluded"
            if measured:
                round_pairs.append((pairs.head[-1].reading.energy_j,
                                    pairs.base[-1].reading.energy_j))  # fmt: skip
        while len(pairs.rounds) < index:
            pairs.rounds.append([])  # rounds this test sat out keep their place
        pairs.rounds.append(round_pairs)
        pairs.stays = self._stays(pairs.nodeid)
        if not pairs.stays and pairs.look is not None and pairs.look.verdict in WORTH:
            return self._profile(workers, pairs, following)
        return True

    def _pair(
        self, workers: list[Worker], pairs: TestPairs, measured: bool, nxt: str | None
    ) -> str | None:
        """One run per side, the side going first drawn at random; a measured pair's samples
        go to ``pairs``. None when both ran; "excluded" when the test is no longer compared
        (``pairs.excluded`` says why); "stuck" when a run timed out."""
        order = [0, 1] if self.rng.random() < 0.5 else [1, 0]
        if not self.limits.knows(pairs.nodeid):
            order = [0, 1]  # the head first: its time sets the base's limit
        readings: dict[int, RunSample] = {}
        for side in order:
            try:
                outcome = self._run(workers, side, pairs.nodeid, measured, nxt)
            except RunTimeout as exc:
                pairs.excluded = self.limits.timed_out(pairs.nodeid, exc.side, exc.limit)
                pairs.broken = True
                return "stuck"
            problem = problem_of(outcome, self.sides[side].name, measured)
            if problem:
                pairs.excluded = problem
                return "excluded"
            if measured and outcome.sample is not None:
                readings[side] = outcome.sample
        if measured:
            same_meters(readings[0], readings[1])
            pairs.head.append(readings[0])
            pairs.base.append(readings[1])
        return None

    def _profile(self, workers: list[Worker], pairs: TestPairs, following: str | None) -> bool:
        """Where the energy went, in this round's processes (profiling.profile_in_round)."""
        limit = self.limits.limit(pairs.nodeid)
        done, pairs.profile = profile_in_round(workers, pairs.nodeid, following, limit)
        return done

    def _run(
        self, workers: list[Worker], side: int, nodeid: str, measured: bool, nxt: str | None
    ) -> Outcome:
        began = time.monotonic()
        outcome = workers[side].run(nodeid, measured, nxt, self.limits.limit(nodeid))
        self.limits.record(nodeid, self.sides[side].name, time.monotonic() - began)
        if side == 0:
            self.head_outcomes[nodeid] = outcome.outcome
        return outcome
