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
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..report.model import ProfileDiff, ProfileLine

TOP = 10

# (file, line, function, own seconds) as a worker sends them
Row = Sequence[object]


@dataclass(frozen=True)
class Profile:
    """One side's pass: own seconds per (file, function), and the line to show."""

    seconds: dict[tuple[str, str], float]
    lines: dict[tuple[str, str], int]

    @classmethod
    def from_rows(cls, rows: Iterable[Row]) -> Profile:
        seconds: dict[tuple[str, str], float] = {}
        lines: dict[tuple[str, str], int] = {}
        for file, line, name, own in rows:
            key = (str(file), str(name))
            seconds[key] = seconds.get(key, 0.0) + float(own)  # type: ignore[arg-type]
            lines.setdefault(key, int(line))  # type: ignore[call-overload]
        return cls(seconds, lines)

    def total(self) -> float:
        return sum(self.seconds.values())

    def shares(self) -> dict[tuple[str, str], float]:
        total = self.total()
        return {k: v / total for k, v in self.seconds.items()} if total > 0 else {}


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
    h, b = head.shares(), base.shares()
    if not joules and base.total() > 0:
        # Both sides in the base pass's time: a share of each side's own total would mirror
        # every rise into a fall of everything else (an unchanged function's share shrinks
        # when another one grows).
        h = {k: v / base.total() for k, v in head.seconds.items()}
    lines = [
        ProfileLine(
            key[1], _where(key, head, base), h.get(key, 0.0) * scale_h, b.get(key, 0.0) * scale_b
        )
        for key in h.keys() | b.keys()
    ]
    lines.sort(key=lambda line: (-abs(line.change), line.where, line.function))
    # Below 1% of the largest change is the timer's noise, not a finding.
    floor = abs(lines[0].change) * 0.01 if lines else 0.0
    lines = [line for line in lines if abs(line.change) > floor]
    note = (
        "CPU-time model joules: each function's share of the profiled pass's own time x the "
        "side's median measured energy"
        if joules
        else "own time as a share of the base pass's total time, both sides (this meter's "
        "energy does not follow CPU time)"
    )
    return ProfileDiff("J" if joules else "share", tuple(lines[:top]), cost_s, note)


def _where(key: tuple[str, str], head: Profile, base: Profile) -> str:
    file = key[0]
    line = head.lines.get(key, base.lines.get(key, 0))
    return file if file == "~" else f"{file}:{line}"
