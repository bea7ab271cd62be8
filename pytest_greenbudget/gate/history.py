"""A baseline that remembers its newest runs, and the comparison of a head run against them.
Pure: no pytest.

One base report shows a test's repeats inside one session, which share that session's luck;
how far the same code moves between sessions is then a guess (gate/noise.py). Several base
reports of the same suite measure it, per test: each keeps its median per run in ``runs_j``
(newest first) and the head's median is held against their spread, a prediction interval for
one more session. The spread is estimated from few runs, so the test is Student's t on k - 1
degrees of freedom, which keeps false alarms at alpha however few runs there are and makes
the detectable change honest about it.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

from ..report.model import TestEntry
from .stats import ALPHA, Change, detectable_change, t_sf, verdict_for

HISTORY_MIN = 3  # runs: 2 degrees of freedom; fewer and the meter's default is the better guess


def runs_of(entry: TestEntry) -> tuple[float, ...]:
    """The test's median per run, newest first: its history, or its own run alone."""
    if entry.runs_j:
        return entry.runs_j
    if not entry.samples_j:
        return ()  # not measured (failed, skipped, missing): no run to count
    median = entry.energy_j if entry.energy_j is not None else statistics.median(entry.samples_j)
    return (median,) if median > 0 else ()


def history_change(
    runs: Sequence[float], head: Sequence[float], tolerance: float, alpha: float = ALPHA
) -> tuple[Change, float] | None:
    """Head's median against the base runs' medians, and the between-session CV they show;
    None when the runs cannot carry the test (too few, or no spread between them).

    log(head median) - mean(log runs) has variance s^2 (1 + 1/k) when head is one more
    session like the k runs, s^2 their sample variance; the ratio is to their geometric mean.
    The head's own spread is added on top (see ``_head_part``), with Satterthwaite's degrees
    of freedom over both parts.
    """
    logs = [math.log(r) for r in runs if r > 0]
    positive = [s for s in head if s > 0]
    if len(logs) < HISTORY_MIN or len(set(logs)) == 1 or not positive:
        return None
    k, center, variance = len(logs), statistics.fmean(logs), statistics.variance(logs)
    diff = math.log(statistics.median(positive)) - center
    runs_part, head_part = variance * (1.0 + 1.0 / k), _head_part(positive)
    se = math.sqrt(runs_part + head_part)
    dof = (runs_part + head_part) ** 2 / (
        runs_part**2 / (k - 1) + (head_part**2 / (len(positive) - 1) if head_part else 0.0)
    )
    p_value = t_sf(abs(diff) / se, dof)  # one-sided, in the direction of the ratio
    ratio, detectable = math.exp(diff), detectable_change(se, dof, alpha)
    verdict = verdict_for(ratio, tolerance, p_value < alpha, detectable)
    change = Change(ratio, p_value, "history", verdict, detectable=detectable)
    return change, math.sqrt(math.expm1(variance))


def _head_part(samples: Sequence[float]) -> float:
    """The variance of the head's log median from its own runs: pi/2 x var(logs) / n.

    The runs' spread already holds a session's own sampling noise, but only as the base
    sessions showed it. Base runs taken minutes apart on a shared VM agreed within 2% where a
    head session's runs spread by 17% (benchmarks/bench_gate.py --base-runs 5): load persists,
    so neighbouring sessions are alike, and a noisy head read as a significant change (3 false
    alarms in 16). Counting the head's spread again costs nothing when it is small.
    """
    if len(samples) < 2:
        return 0.0
    return math.pi / 2 * statistics.variance([math.log(v) for v in samples]) / len(samples)
