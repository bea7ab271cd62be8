"""Student's t distribution from the regularized incomplete beta, in pure Python.

The plugin loads the gate in every pytest run and must not drag scipy in with it; these few
functions are what the significance tests and the power figures need.
"""

from __future__ import annotations

import functools
import math


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


def betainc(a: float, b: float, x: float) -> float:
    """Regularized incomplete beta I_x(a, b); the fraction is used where it converges fast."""
    if x <= 0.0 or x >= 1.0:
        return 0.0 if x <= 0.0 else 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
    front = math.exp(log_front + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _beta_fraction(a, b, x) / a
    return 1.0 - front * _beta_fraction(b, a, 1.0 - x) / b


def t_sf(t: float, df: float) -> float:
    """P(T > t) for Student's t with ``df`` (not necessarily whole) degrees of freedom."""
    if math.isinf(t):
        return 0.0 if t > 0 else 1.0
    tail = 0.5 * betainc(df / 2.0, 0.5, df / (df + t * t))
    return tail if t > 0 else 1.0 - tail


def t_pdf(t: float, df: float) -> float:
    log_scale = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)
    return math.exp(log_scale - (df + 1) / 2 * math.log1p(t * t / df))


@functools.lru_cache(maxsize=1024)
def t_isf(p: float, df: float) -> float:
    """The t with P(T > t) = p, for 0 < p < 0.5, by Newton's method from t = 0.

    sf is convex for t > 0, so each tangent lands short of the root: the steps never overshoot
    and stop when they become negligible. Cached: the same few (p, df) pairs recur.
    """
    t = 0.0
    for _ in range(200):
        step = (t_sf(t, df) - p) / t_pdf(t, df)
        t += step
        if step <= 1e-12 * max(t, 1.0):
            return t
    raise ArithmeticError(f"t quantile did not converge (p={p}, df={df})")
