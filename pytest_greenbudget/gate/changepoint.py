"""Where a test's energy on main stepped: a t-test change-point detector. Pure: no pytest.

It marks, it does not gate. The method is the one Apache Otava (formerly Hunter, MongoDB's
"E-Divisive means" successor for CI performance histories) documents for its t-test mode,
reduced to what a chart needs:

1. Work on log energies, so a step is a ratio whatever a test's size.
2. For every run k that leaves at least ``MIN_RUNS`` runs on each side, compute Welch's t
   between the ``WINDOW`` runs before k and the ``WINDOW`` runs from k on (a local window, so
   that a step up and a later step back down are both seen, where one global split of the
   whole series would average them away).
3. Keep a split when its two-sided p-value, multiplied by the number of splits tried
   (Bonferroni: the best of many splits looks significant by chance), is below ``ALPHA``;
   strongest first, and none within ``MIN_RUNS`` runs of one already kept (the neighbours of a
   step see the same step).

A marker is the first run of the new level and the step's ratio (the after side's geometric
mean over the before side's). Runs are in time order, oldest first.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from .tdist import t_sf

ALPHA = 0.01
MIN_RUNS = 3  # each side needs a spread of its own
MAX_STEPS = 5  # a chart with more markers than this is noise, not steps
WINDOW = 6  # runs compared on each side of a split: local, so a step up and back are both seen


@dataclass(frozen=True)
class Step:
    index: int  # first run (0-based, oldest first) of the new level
    ratio: float  # after / before, geometric means of the two sides
    p_value: float  # after the Bonferroni correction


def change_points(energies: Sequence[float], alpha: float = ALPHA) -> list[Step]:
    """The steps in a series of per-run energies (oldest first), in time order."""
    if any(not (e > 0 and math.isfinite(e)) for e in energies):
        return []  # a missing or zero run: no log; the chart shows the runs without markers
    logs = [math.log(e) for e in energies]
    found: list[Step] = []
    _segment(logs, 0, len(logs), alpha, found)
    return sorted(found, key=lambda s: s.index)


def _segment(logs: list[float], start: int, stop: int, alpha: float, found: list[Step]) -> None:
    part = logs[start:stop]
    best = _best(part, window=None)
    if best is not None and best.p_value >= alpha:
        best = _best(part, window=WINDOW)  # a step up and back: one global split cannot see it
    if best is None or best.p_value >= alpha or len(found) >= MAX_STEPS:
        return
    found.append(Step(start + best.index, best.ratio, best.p_value))
    _segment(logs, start, start + best.index, alpha, found)
    _segment(logs, start + best.index, stop, alpha, found)


def _best(logs: list[float], window: int | None) -> Step | None:
    """The split with the largest |t| (its p-value Bonferroni-corrected over the splits
    tried), comparing everything before and after it, or ``window`` runs on each side."""
    splits = range(MIN_RUNS, len(logs) - MIN_RUNS + 1)
    if not splits:
        return None

    def sides(k: int) -> tuple[list[float], list[float]]:
        lo, hi = (0, len(logs)) if window is None else (max(0, k - window), k + window)
        return logs[lo:k], logs[k:hi]

    k = max(splits, key=lambda k: abs(_welch(*sides(k))[0]))
    t, df = _welch(*sides(k))
    return Step(k, _ratio(*sides(k)), min(1.0, 2 * t_sf(abs(t), df) * len(splits)))


def _ratio(before: list[float], after: list[float]) -> float:
    return math.exp(statistics.fmean(after) - statistics.fmean(before))


def _welch(a: list[float], b: list[float]) -> tuple[float, float]:
    """Welch's t and its degrees of freedom; a tiny floor on the variances keeps two flat
    sides (a perfect counter) from dividing by zero: their step is then certain."""
    va = max(statistics.variance(a), 1e-12) / len(a)
    vb = max(statistics.variance(b), 1e-12) / len(b)
    t = (statistics.fmean(b) - statistics.fmean(a)) / math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    return t, df
