"""What the paired phase tells the user before and while it runs, and the wall-time cap.

Before the phase: the plan (tests to pair, tests unaffected, an estimate of the time from a
first run of each test: the head's traced run, or round 1's first pair of each test). During
it: one line per round (round k of at most N, tests in play, elapsed time), the same under
``-q``, where the plan shrinks to one line: CI logs keep one line per round and nothing that
rewrites itself. ``--greenbudget-against-time`` stops starting rounds when the next one would
end past the cap. Pure: no pytest.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..units import count, parse_duration  # noqa: F401  (re-exported for the tests)

if TYPE_CHECKING:
    from .stats import PairedDesign


def format_duration(seconds: float) -> str:
    """'45 s', '3m05s', '1h02m'."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"


@dataclass
class Watch:
    """The phase's clock and voice: ``say`` writes one line to the terminal."""

    say: Callable[[str], None] = lambda line: None
    quiet: bool = False  # -q: the plan in one line
    cap_s: float | None = None  # --greenbudget-against-time
    impact: bool = True  # False: --greenbudget-against-all, every test is paired
    ignore: tuple[str, ...] = ()  # paired.ignore from the config
    outputs: tuple[Path, ...] = ()  # this run's own report files: never a change
    imports: frozenset[str] = frozenset()  # what the budgeted test modules import (realpaths)
    fail_after: int = 0  # -x / --maxfail=N: regressions after which no round starts; 0: none
    began: float = field(default_factory=time.monotonic)
    capped: str | None = None  # why rounds stopped early, once they did

    def elapsed(self) -> float:
        return time.monotonic() - self.began

    def fits(self, seconds: float) -> bool:
        return self.cap_s is None or self.elapsed() + seconds <= self.cap_s

    def stop(self, done: int, most: int, next_s: float) -> None:
        """Record (and say) that the cap ended the phase after ``done`` rounds."""
        assert self.cap_s is not None
        self.capped = (
            f"the time cap of {format_duration(self.cap_s)} stopped the gate after "
            f"{count(done, 'round')} of at most {most} (the next would take about "
            f"{format_duration(next_s)}, {format_duration(self.elapsed())} had passed)"
        )
        self.say(f"greenbudget: {self.capped}")

    def failed_enough(self, regressed: int, done: int, most: int) -> bool:
        """Whether pytest will stop at the regressions found so far (-x, --maxfail), so that
        more rounds would only make a user who asked to stop early wait; said once, and the
        tests still in play end inconclusive with the reason. Not said here: the schedule says
        it after the round's own line."""
        if not self.fail_after or regressed < self.fail_after or self.capped:
            return False
        flag = "-x" if self.fail_after == 1 else f"--maxfail={self.fail_after}"
        self.capped = (
            f"{flag} stopped the gate after {count(done, 'round')} of at most {most}: "
            f"{count(regressed, 'test')} regressed"
        )
        return True  # said after that round's own line (say_capped)

    def say_capped(self) -> None:
        self.say(f"greenbudget: {self.capped}")

    def plan(
        self, label: str, paired: int, unaffected: int, design: PairedDesign, round_s: float,
        changes: str | None, left: tuple[int, int] = (0, 0),
        timed_by: str = "the head's own run", why: str | None = None,
    ) -> None:  # fmt: skip
        """The plan, once each test has run once (``timed_by`` says where): one line, and the
        changes unless -q. ``left``: budgeted tests not in ``paired`` after all, as skipped on
        the head and as new (the base has no such test). ``why``: why every test is paired,
        said in the one line under -q, which leaves out the changes."""
        skipped, new = left
        line = f"greenbudget: pairing {count(paired, 'budgeted test')} with {label}"
        if paired:
            low, high = design.rounds * round_s, design.max_rounds * round_s
            span = format_duration(low)
            span += f" (up to {format_duration(high)})" if high > low else ""
            line += (
                f" in {design.rounds}-{design.max_rounds} rounds of fresh base and head "
                f"processes, about {span} by {timed_by}"
            )
        if unaffected:
            they = "it runs" if unaffected == 1 else "they run"
            line += f"; {count(unaffected, 'test')} unaffected (no file {they} changed)"
        if skipped:
            line += f"; {count(skipped, 'test')} skipped on the head"
        if new:
            line += f"; {count(new, 'new test')} (not on the base: measured here alone)"
        if why and self.quiet:  # else the changes line says it
            line += f"; every test paired: {why}"
        self.say(line)
        if changes and not self.quiet:
            self.say(f"greenbudget: {changes}")

    def round_done(self, number: int, most: int, in_play: int, finished: int) -> None:
        """One line as each round ends: the tests still in play for the next, and those that
        left."""
        line = f"greenbudget: round {number} of at most {most} done: "
        line += f"{count(in_play, 'test')} still in play"
        if finished:
            line += f", {finished} finished"
        self.say(f"{line}, {format_duration(self.elapsed())} elapsed")
