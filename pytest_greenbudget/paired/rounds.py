"""What the paired schedule (schedule.py) measured: per test, per round, and for the whole run.
Pure: no pytest."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..measure.probe import RunSample
from .profiling import Passes
from .sequential import Look
from .wire import Ready


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
    look: Look | None = None  # the latest look at it: the verdict when it left the schedule
    stays: bool = True  # its latest look keeps it in play
    profile: Passes | None = None  # where the energy went, profiled in the round it left


@dataclass
class PairedRun:
    """The outcome of the whole schedule."""

    common: list[str]
    new: list[str]  # budgeted on head, not collected on base
    missing: list[str]  # budgeted on base, not budgeted on head
    tests: dict[str, TestPairs]
    base_errors: tuple[str, ...] = ()
    round_seconds: list[float] = field(default_factory=list)
    startup_seconds: list[float] = field(default_factory=list)  # per round: until both ready

    @classmethod
    def from_base(cls, budgeted: Sequence[str], base: Ready) -> PairedRun:
        """The tests to compare: the head's budgeted tests the base's first worker collected;
        the rest are new, and those budgeted only on the base are missing."""
        collected, mine = set(base.collected), set(budgeted)
        common = [t for t in budgeted if t in collected]
        new = [t for t in budgeted if t not in collected]
        missing = [t for t in base.budgeted if t not in mine]
        return cls(common, new, missing, {t: TestPairs(t) for t in common}, base.errors)


@dataclass(frozen=True)
class RoundDone:
    """What one finished round left: for a progress line, and for the next round's plan."""

    number: int  # 1-based
    max_rounds: int
    in_play: tuple[str, ...]  # tests the next round runs (none: the schedule is over)
    left: tuple[str, ...]  # tests that left the schedule after this round
    seconds: float  # since the first round started
