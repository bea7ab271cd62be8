"""Where a test's cost moved between base and head, from one cProfile pass of each. Pure.

Each side's pass gives each function's own time (cProfile's ``tottime``: time in the function
itself, not in what it calls). A function's share is its own time over the pass's total. For
the CPU-time model, energy is CPU seconds times the test's watts per CPU second, the same for
every function of one test, so a function's joules are its share of the test's measured median
energy on that side; for other meters (RAPL, NVML, a plugin's) energy does not follow time
that way, and the diff stays in time, labelled as such: each side's own time as a share of the
base pass's total (one denominator, so a function that did not change keeps its share). The
functions are matched by file (relative to the side's own checkout) and name, not by line, so
a function that moved within its file is still one function; the head's line is shown.

Own time names where the time went, often inside a library. ``your_code`` names which of the
project's own functions it went through: their inclusive time (what they called included), in
the same unit and denominator, the few that changed most.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ..report.model import ProfileDiff, ProfileLine

TOP = 10
YOUR_TOP = 3  # the project's functions shown: a caller and its callee share one change

# (file, line, function, own seconds) as a worker sends them
Row = Sequence[object]


@dataclass(frozen=True)
class Profile:
    """One side's pass: own seconds per (file, function), and the line to show."""

    seconds: dict[tuple[str, str], float]
    lines: dict[tuple[str, str], int]
    inclusive: dict[tuple[str, str], float] = field(default_factory=dict)  # the project's own

    @classmethod
    def from_rows(cls, rows: Iterable[Row], mine: Iterable[Row] = ()) -> Profile:
        """``rows``: own seconds of every function; ``mine``: inclusive seconds of the
        project's own functions."""
        seconds: dict[tuple[str, str], float] = {}
        inclusive: dict[tuple[str, str], float] = {}
        lines: dict[tuple[str, str], int] = {}
        for into, given in ((seconds, rows), (inclusive, mine)):
            for file, line, name, value in given:
                key = (str(file), str(name))
                into[key] = into.get(key, 0.0) + float(value)  # type: ignore[arg-type]
                lines.setdefault(key, int(line))  # type: ignore[call-overload]
        return cls(seconds, lines, inclusive)

    def total(self) -> float:
        return sum(self.seconds.values())


def profile_diff(
    head: Profile,
    base: Profile,
    *,
    head_j: float | None,
    base_j: float | None,
    cost_s: float,
    top: int = TOP,
) -> ProfileDiff:
    """The ``top`` functions whose cost changed most, in joules when both energies are given
    (the CPU-time model), else in shares of the profiled time."""
    joules = head_j is not None and base_j is not None
    scale_h = head_j if joules and head_j is not None else 1.0
    scale_b = base_j if joules and base_j is not None else 1.0
    # Both sides in the base pass's time unless in joules: a share of each side's own total
    # would mirror every rise into a fall of everything else (an unchanged function's share
    # shrinks when another one grows).
    head_total = base.total() if not joules and base.total() > 0 else head.total()
    own = _changes(head, base, head.seconds, base.seconds, (head_total, scale_h, scale_b))
    yours = _changes(head, base, head.inclusive, base.inclusive, (head_total, scale_h, scale_b))
    note = (
        "CPU-time model joules: each function's share of the profiled pass's own time x the "
        "side's median measured energy"
        if joules
        else "own time as a share of the base pass's total time, both sides (this meter's "
        "energy does not follow CPU time)"
    )
    unit = "J" if joules else "share"
    return ProfileDiff(unit, tuple(own[:top]), cost_s, note, tuple(yours[:YOUR_TOP]))


def _changes(
    head: Profile,
    base: Profile,
    head_s: dict[tuple[str, str], float],
    base_s: dict[tuple[str, str], float],
    scales: tuple[float, float, float],
) -> list[ProfileLine]:
    """Lines for the functions of ``head_s``/``base_s`` (seconds per function), largest change
    first: seconds over ``head_total`` (head) and the base's total (base), times the sides'
    scales (joules, or 1 for shares)."""
    head_total, scale_h, scale_b = scales
    base_total = base.total()
    h = {k: v / head_total for k, v in head_s.items()} if head_total > 0 else {}
    b = {k: v / base_total for k, v in base_s.items()} if base_total > 0 else {}
    lines = [
        ProfileLine(
            key[1], _where(key, head, base), h.get(key, 0.0) * scale_h, b.get(key, 0.0) * scale_b
        )
        for key in h.keys() | b.keys()
    ]
    lines.sort(key=lambda line: (-abs(line.change), line.where, line.function))
    # Below 1% of the largest change is the timer's noise, not a finding.
    floor = abs(lines[0].change) * 0.01 if lines else 0.0
    return [line for line in lines if abs(line.change) > floor]


def _where(key: tuple[str, str], head: Profile, base: Profile) -> str:
    file = key[0]
    line = head.lines.get(key, base.lines.get(key, 0))
    return file if file == "~" else f"{file}:{line}"
