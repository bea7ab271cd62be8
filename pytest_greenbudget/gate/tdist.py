"""Student's t distribution from the regularized incomplete beta, in pure Python.

The plugin loads the gate in every pytest run and must not drag scipy in with it; these few
functions are what the significance tests and the power figures need.

Above ``LARGE_DF`` degrees of freedom the beta function's terms (lgamma of df/2, about
df log df) lose the digits the tail needs, and Newton's steps on that noise never settled: a
Welch test with a known session noise and a quiet sample reaches df 1e7 and more. There the
t is within O(1/df^2) of its normal limit, and asymptotic forms take over.
"""

from __future__ import annotations

import functools
import math
import statistics

LARGE_DF = 1e6  # measured against scipy: both forms agree within 1e-8 relative here
NORMAL = statistics.NormalDist()


def _lentz(value: float, factor: float) -> float:
    """One step of Lentz's method, kept away from zero so the fraction never divides by it."""
    value = 1.0 + factor * value
    return 1e-300 if abs(value) < 1e-300 else value


def _beta_fraction(a: float, b: float, x: float) -> float:
    """Continued fraction for I_x(a, b) (Numerical Recipes 6.4); fast for x < (a+1)/(a+b+2)."""
    c, d = 1.0, 1.0 / _lentz(1.0, -(a + b) * x / (a + 1.0))
    result = d
    for m in range(1, 500):
        even = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
        odd = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
        for factor in (even, odd):
            d, c = 1.0 / _lentz(d, factor), _lentz(1.0 / c, factor)
            result *= d * c
        if abs(d * c - 1.0) < 1e-15:
            return result
    raise ArithmeticError(f"incomplete beta did not converge (a={a}, b={b}, x={x})")


def betainc(a: float, b: float, x: float, y: float | None = None) -> float:
    """Regularized incomplete beta I_x(a, b); the fraction is used where it converges fast.

    ``y`` is 1 - x when the caller has it exactly: near x = 1, ``1 - x`` rounds away the
    digits that the upper tail is made of (a t of 1e-5 at df 6e5 read 0.4999952, not
    0.4999960)."""
    y = 1.0 - x if y is None else y
    if x <= 0.0 or y <= 0.0:
        return 0.0 if x <= 0.0 else 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
    front = math.exp(log_front + a * math.log(x) + b * math.log(y))
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _beta_fraction(a, b, x) / a
    return 1.0 - front * _beta_fraction(b, a, y) / b


def t_sf(t: float, df: float) -> float:
    """P(T > t) for Student's t with ``df`` (not necessarily whole, up to infinite) degrees
    of freedom."""
    _check_df(df)
    if math.isinf(t):
        return 0.0 if t > 0 else 1.0
    if df > LARGE_DF:
        return _sf_large(t, df)
    tail = 0.5 * betainc(df / 2.0, 0.5, df / (df + t * t), t * t / (df + t * t))
    return tail if t > 0 else 1.0 - tail


def t_pdf(t: float, df: float) -> float:
    log_scale = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)
    return math.exp(log_scale - (df + 1) / 2 * math.log1p(t * t / df))


@functools.lru_cache(maxsize=1024)
def t_isf(p: float, df: float) -> float:
    """The t with P(T > t) = p, for 0 < p < 1. Cached: the same few (p, df) pairs recur."""
    _check_df(df)
    if not 0.0 < p < 1.0:
        raise ValueError(f"need 0 < p < 1, got {p}")
    if p > 0.5:
        return -t_isf(1.0 - p, df)
    if p == 0.5:
        return 0.0
    return _isf_large(p, df) if df > LARGE_DF else _isf_newton(p, df)


def _isf_newton(p: float, df: float) -> float:
    """Newton's method from the normal quantile, for p < 0.5.

    t's tails are heavier, so the start lies below the root, and sf is convex for t > 0:
    each tangent lands short of the root, the steps never overshoot, and they stop when they
    become negligible, or turn back (rounding at the root).
    """
    t = _z(p)
    for _ in range(400):
        step = (t_sf(t, df) - p) / t_pdf(t, df)
        if step <= 0.0:
            return t
        t += step
        if step <= 1e-12 * max(t, 1.0):
            return t
    raise ArithmeticError(f"t quantile did not converge (p={p}, df={df})")


def _z(p: float) -> float:
    """The normal quantile for an upper tail p, taken from the lower tail, where inv_cdf
    keeps its digits for small p (1 - p would round them away)."""
    return -NORMAL.inv_cdf(p)


def _isf_large(p: float, df: float) -> float:
    """Cornish-Fisher expansion of the t quantile in 1/df (Abramowitz and Stegun 26.7.5);
    the first omitted term is O(df^-4)."""
    if math.isinf(df):
        return _z(p)
    z, v = _z(p), df
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    return z + g1 / v + g2 / v**2 + g3 / v**3


def _sf_large(t: float, df: float) -> float:
    """Wallace's normal approximation (1959): relative error about 2/df^2 in the tails the
    gate reads, from sqrt(df log(1 + t^2/df)), computed with log1p to keep its digits."""
    if math.isinf(df):
        z = abs(t)
    else:
        z = (8 * df + 1) / (8 * df + 3) * math.sqrt(df * math.log1p(t * t / df))
    tail = 0.5 * math.erfc(z / math.sqrt(2.0))
    return tail if t >= 0 else 1.0 - tail


def _check_df(df: float) -> None:
    if not df > 0:  # NaN included
        raise ValueError(f"need degrees of freedom > 0, got {df}")
