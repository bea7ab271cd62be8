"""Repeats guidance: how many samples the regression rule needs to see a change.

Split from ``stats`` (which holds the rule itself) because it is a design-time question the
summary asks once per test, not part of judging one.
"""

from __future__ import annotations

import math

from .stats import ALPHA, NORMAL, TRIM, YUEN_FROM, t_isf

MIN_REPEATS, MAX_REPEATS = 3, 50
POWER = 0.9


def _test_shape(n: int) -> tuple[float, float]:
    """(standard error per unit log-sd, degrees of freedom) of the test run at n per side.

    Welch: sqrt(2/n); its degrees of freedom swing between n-1 and 2(n-1) with the two sample
    variances, and 1.5(n-1) sits just under their mean at n = 3 (pi/2 (n-1)), where the swing
    costs most power. Yuen: the winsorized variance of a standard normal, w, makes the
    expected squared error 2(n-1)w / (h(h-1)) with h samples kept, on 2(h-1) degrees.
    """
    g = int(n * TRIM) if n >= YUEN_FROM else 0
    if g == 0:
        return math.sqrt(2.0 / n), 1.5 * (n - 1)
    h, share = n - 2 * g, g / n
    z = NORMAL.inv_cdf(1.0 - share)
    w = 1.0 - 2.0 * share - 2.0 * z * NORMAL.pdf(z) + 2.0 * share * z * z
    return math.sqrt(2.0 * (n - 1) * w / (h * (h - 1))), 2.0 * (h - 1)


def _power(n: int, sigma: float, effect: float, gate: float) -> float:
    """Chance that the rule flags a true log-ratio ``effect`` at n samples per side.

    The product of the two conditions' chances: the median-ratio gate (the median of n normal
    values has variance close to pi/(2n+1)) and the t-test (a normal approximation to the
    noncentral t, Abramowitz & Stegun 26.7.10). The two rise together, so the product errs
    low and the advice errs towards more repeats.
    """
    gate_power = NORMAL.cdf((effect - gate) / (sigma * math.sqrt(2 * math.pi / (2 * n + 1))))
    se, df = _test_shape(n)
    crit = t_isf(ALPHA, df)
    shift = effect / (sigma * se) - crit * (1.0 - 1.0 / (4.0 * df))
    return gate_power * NORMAL.cdf(shift / math.sqrt(1.0 + crit * crit / (2.0 * df)))


def repeats_needed(cv: float, tolerance: float, change: float | None = None) -> int | None:
    """Fewest samples per side (3..50) for the rule to flag a real ``change`` 90% of the time.

    ``change`` defaults to twice the tolerance: a change exactly at the tolerance leaves the
    median ratio as likely below the gate as above it, so no n catches it 90% of the time.
    False positives stay under alpha (1%) at every n: the gate only removes flags the t-test
    would raise. None when more than 50 samples would be needed.
    """
    target = 2.0 * tolerance if change is None else change
    if not (cv >= 0 and tolerance >= 0 and target > tolerance and math.isfinite(cv + target)):
        raise ValueError(f"need cv >= 0 and change > tolerance >= 0; got {cv}, {tolerance}")
    sigma = math.sqrt(math.log1p(cv * cv))
    if sigma == 0.0:
        return MIN_REPEATS
    effect, gate = math.log1p(target), math.log1p(tolerance)
    for n in range(MIN_REPEATS, MAX_REPEATS + 1):
        if _power(n, sigma, effect, gate) >= POWER:
            return n
    return None
