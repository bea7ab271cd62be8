"""Pure statistics for energy samples: summaries, the regression test, repeats guidance.

Samples of one test are modelled as lognormal: noise on a shared machine (a busy neighbour, a
slower clock) scales a run rather than adding a fixed number of joules to it, so tests work on
log samples and a change is a ratio. Only ``math`` and ``statistics``: the plugin loads this
module in every pytest run and must not drag numpy or scipy in with it.

The rule (docs/regressions.md): a test regressed when the median ratio head/base exceeds
1 + tolerance AND a one-sided Welch t-test on log samples gives p < alpha; from 6 samples per
side Yuen's 20% trimmed variant replaces Welch, so one stray run cannot decide the verdict.
Neither regressed nor improved is "unchanged" only when the same test could have found a
change of the tolerance (p < alpha with 90% power); otherwise it is "inconclusive".
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# Re-exported: the t distribution lived here before tdist.py, and callers import it from here.
from .tdist import betainc as betainc
from .tdist import t_isf as t_isf
from .tdist import t_sf as t_sf

ALPHA = 0.01
POWER = 0.9  # "could have seen": found this often, were the change real
TRIM = 0.2  # fraction trimmed from each end in Yuen's test
YUEN_FROM = 6  # per side: trimming one sample of each end still leaves four
TOO_FEW = "too few samples for a significance test"
NO_SPREAD = "identical samples, no spread for a significance test"
NON_POSITIVE = "zero-energy samples, no significance test on a log scale"
NORMAL = statistics.NormalDist()


# --- summaries ------------------------------------------------------------------------------


def _variance(values: Sequence[float]) -> float:
    mean = math.fsum(values) / len(values)
    return math.fsum((v - mean) ** 2 for v in values) / (len(values) - 1)


def _mean_interval(values: Sequence[float]) -> tuple[float, float]:
    """t-based 95% interval of the mean of ``values``."""
    mean = math.fsum(values) / len(values)
    half = t_isf(0.025, len(values) - 1) * math.sqrt(_variance(values) / len(values))
    return mean - half, mean + half


@dataclass(frozen=True)
class Summary:
    """Median, spread and a 95% confidence interval of one test's samples.

    The interval is the t interval of the mean of the log samples, exponentiated: under the
    lognormal model it covers the population median 95% of the time at any n >= 2, where an
    order-statistic interval needs 6 samples to reach 95% at all. With a zero sample the logs
    do not exist and it is the t interval of the plain mean. Either way it is widened to
    contain the sample median, which is what the report shows beside it.
    """

    n: int
    median: float
    ci_low: float
    ci_high: float
    cv: float  # sample standard deviation / mean

    @classmethod
    def from_samples(cls, samples: Sequence[float]) -> Summary:
        values = _checked(samples, "samples")
        mid = statistics.median(values)
        if len(values) < 2:
            return cls(len(values), mid, mid, mid, 0.0)
        low, high = _interval(values)
        mean = math.fsum(values) / len(values)
        cv = math.sqrt(_variance(values)) / abs(mean) if mean else 0.0
        return cls(len(values), mid, min(low, mid), max(high, mid), cv)

    @property
    def ci(self) -> tuple[float, float] | None:
        """The interval, or None for a single sample, which has none."""
        return (self.ci_low, self.ci_high) if self.n >= 2 else None


def _interval(values: Sequence[float]) -> tuple[float, float]:
    if min(values) <= 0:
        return _mean_interval(values)
    low, high = _mean_interval([math.log(v) for v in values])
    return math.exp(low), math.exp(high)


def _checked(samples: Sequence[float], what: str) -> list[float]:
    values = [float(s) for s in samples]
    if not values:
        raise ValueError(f"{what}: no samples")
    if not all(math.isfinite(v) and v >= 0 for v in values):
        raise ValueError(f"{what}: energy samples must be finite and not negative: {values}")
    return values


# --- the regression test --------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """How head compares with base. ``p_value`` is one-sided in the direction of ``ratio``."""

    ratio: float  # head median / base median
    p_value: float | None  # None when method is "ratio-only"
    method: str  # "welch" | "yuen" | "z" (session noise alone) | "history" | "ratio-only"
    verdict: str  # "regressed" | "improved" | "unchanged" | "inconclusive"
    note: str = ""  # why there is no significance test, for "ratio-only"
    detectable: float | None = None  # smallest rise found at p < alpha with 90% power


def _part(logs: Sequence[float], trim: float) -> tuple[float, float, int]:
    """(trimmed mean, squared standard error, degrees of freedom); trim=0 is Welch's."""
    n, ordered = len(logs), sorted(logs)
    g = int(n * trim)  # the same count as scipy's ttest_ind(trim=...)
    h = n - 2 * g
    kept = ordered[g : n - g]
    winsorized = [kept[0]] * g + kept + [kept[-1]] * g
    return math.fsum(kept) / h, (n - 1) * _variance(winsorized) / (h * (h - 1)), h - 1


@dataclass(frozen=True)
class _Test:
    """A one-sided test's p-value, and the standard error and degrees of freedom behind it."""

    p_value: float
    method: str
    se: float
    dof: float


def _statistic(
    base: Sequence[float], head: Sequence[float], trim: float, known: float = 0.0
) -> tuple[float, float, float]:
    """Welch-Satterthwaite t, degrees of freedom and standard error for head above base
    (Yuen's with trim).

    ``known`` is a variance on the log scale taken as known, not estimated (the noise between
    sessions): it widens the standard error and adds no uncertainty to the degrees of freedom.
    """
    (mean_b, se2_b, dof_b), (mean_h, se2_h, dof_h) = _part(base, trim), _part(head, trim)
    sample = se2_b + se2_h
    if sample + known == 0.0:
        return math.nan, math.nan, 0.0
    # Satterthwaite over all parts; the known part has infinite degrees of freedom.
    total = sample + known
    dof = total**2 / (se2_b**2 / dof_b + se2_h**2 / dof_h) if sample else math.inf
    return (mean_h - mean_b) / math.sqrt(total), dof, math.sqrt(total)


def _untestable(base: Sequence[float], head: Sequence[float]) -> str:
    """Why no significance test can run, or "" when one can."""
    if min(len(base), len(head)) < 2:
        return TOO_FEW
    if min(min(base), min(head)) <= 0:
        return NON_POSITIVE
    # On the logs, not the joules: two distinct large floats can share a logarithm.
    if all(len({math.log(v) for v in side}) == 1 for side in (base, head)):
        return NO_SPREAD
    return ""


def session_variance(session_noise: float) -> float:
    """Variance of log(head session / base session) for a between-session CV: two sessions,
    each lognormal with that CV around the code's true cost."""
    return 2.0 * math.log1p(session_noise * session_noise)


def _significance(base: Sequence[float], head: Sequence[float], up: bool, known: float) -> _Test:
    logs_b, logs_h = [math.log(v) for v in base], [math.log(v) for v in head]
    method, (t, df, se) = "yuen", (math.nan, math.nan, 0.0)
    if min(len(base), len(head)) >= YUEN_FROM:
        t, df, se = _statistic(logs_b, logs_h, TRIM, known)
    # Below 6 per side, or when trimming left both sides flat where the raw logs were not.
    if math.isnan(t):
        method, (t, df, se) = "welch", _statistic(logs_b, logs_h, 0.0, known)
    return _Test(_tail(t if up else -t, df), method, se, df)


def _tail(t: float, df: float) -> float:
    return NORMAL.cdf(-t) if math.isinf(df) else t_sf(t, df)


def _quantile(p: float, df: float) -> float:
    """The t (or, with infinite degrees of freedom, z) with P(T > t) = p."""
    return NORMAL.inv_cdf(1.0 - p) if math.isinf(df) else t_isf(p, df)


def detectable_change(se: float, dof: float, alpha: float = ALPHA, power: float = POWER) -> float:
    """The smallest rise a one-sided test with this standard error (of a difference of logs)
    finds at p < alpha in ``power`` of trials: (t_alpha + t_beta) x SE, back on the ratio
    scale. The usual normal-shift approximation; it errs small only at very few degrees of
    freedom, where the figure is large anyway."""
    return math.expm1((_quantile(alpha, dof) + _quantile(1.0 - power, dof)) * se)


def _known_only(base: Sequence[float], head: Sequence[float], up: bool, known: float) -> _Test:
    """With one sample a side (or no spread), the session noise alone can still judge: a z-test
    of the difference of mean logs against the known between-session variance."""
    diff = statistics.fmean(map(math.log, head)) - statistics.fmean(map(math.log, base))
    se = math.sqrt(known)
    return _Test(NORMAL.cdf(-(diff if up else -diff) / se), "z", se, math.inf)


def verdict_for(
    ratio: float, tolerance: float, significant: bool, detectable: float | None = None
) -> str:
    """Regressed or improved past the tolerance when significant; else "unchanged" when the
    test could have found a rise of the tolerance, "inconclusive" when it could not."""
    if significant and ratio > 1.0 + tolerance:
        return "regressed"
    if significant and ratio < 1.0 - tolerance:
        return "improved"
    if detectable is not None and detectable > tolerance:
        return "inconclusive"
    return "unchanged"


def detect_change(
    base: Sequence[float],
    head: Sequence[float],
    tolerance: float,
    alpha: float = ALPHA,
    session_noise: float = 0.0,
) -> Change:
    """Compare two samples of one test's energy (joules) under the rule in the module doc.

    ``session_noise`` is the coefficient of variation of a test's cost between pytest sessions
    on the same machine (measured with ``greenbudget noise``). Repeats within one session share
    that session's luck, so without it a slow session reads as a significant rise.

    ``detectable`` is the smallest rise this comparison finds at p < alpha with 90% power;
    "inconclusive" replaces "unchanged" when it exceeds the tolerance. Ratio-only comparisons
    have no test and so no such figure: their verdict rests on the ratio, and says so.

    Raises ValueError for an empty side, a negative or non-finite sample, or a zero base
    median, none of which a ratio can be formed from.
    """
    base_v, head_v = _checked(base, "base"), _checked(head, "head")
    if not (math.isfinite(tolerance) and tolerance >= 0 and 0 < alpha < 1):
        raise ValueError(f"need tolerance >= 0 and 0 < alpha < 1, got {tolerance}, {alpha}")
    if not (math.isfinite(session_noise) and session_noise >= 0):
        raise ValueError(f"need session_noise >= 0, got {session_noise}")
    base_median = statistics.median(base_v)
    if base_median == 0:
        raise ValueError("base median is zero: no ratio to compare with")
    ratio, known = statistics.median(head_v) / base_median, session_variance(session_noise)
    note = _untestable(base_v, head_v)
    if note and not (known > 0 and note in (TOO_FEW, NO_SPREAD)):
        return Change(ratio, None, "ratio-only", verdict_for(ratio, tolerance, True), note)
    if note:
        test = _known_only(base_v, head_v, ratio >= 1.0, known)
    else:
        test = _significance(base_v, head_v, ratio >= 1.0, known)
    detectable = detectable_change(test.se, test.dof, alpha)
    verdict = verdict_for(ratio, tolerance, test.p_value < alpha, detectable)
    return Change(ratio, test.p_value, test.method, verdict, detectable=detectable)


def smallest_detectable(session_noise: float, alpha: float = ALPHA) -> float:
    """The rise that the session noise alone lets through as significant half the time: below
    it no number of repeats within one session can tell a change from a slow session."""
    return math.expm1(NORMAL.inv_cdf(1.0 - alpha) * math.sqrt(session_variance(session_noise)))


def session_noise_from(sessions: Mapping[str, Sequence[float]]) -> tuple[float, int]:
    """Between-session CV pooled over tests, from each test's medians in several sessions of
    the same code (A/A runs), and the degrees of freedom behind it.

    Pooling assumes the tests share the machine's noise, which is what makes a handful of
    sessions enough: 4 tests x 3 sessions give 8 degrees of freedom.
    """
    squares, dof = 0.0, 0
    for medians in sessions.values():
        logs = [math.log(m) for m in medians if m > 0]
        if len(logs) >= 2:
            squares += _variance(logs) * (len(logs) - 1)
            dof += len(logs) - 1
    if dof == 0:
        raise ValueError("need at least two sessions of one test with positive energy")
    return math.sqrt(math.expm1(squares / dof)), dof
