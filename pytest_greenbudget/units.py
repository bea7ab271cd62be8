"""Quantities as people write them ("40 J", "1.2 Wh", "5 mgCO2e", "5%") <-> SI floats.

Energy is held in joules, carbon in grams CO2e, tolerances as fractions. Pure: no pytest.
"""

from __future__ import annotations

import math
import re

ENERGY_UNITS: dict[str, float] = {
    "uJ": 1e-6,
    "µJ": 1e-6,
    "μJ": 1e-6,  # GREEK SMALL LETTER MU, which keyboards produce as often as MICRO SIGN
    "mJ": 1e-3,
    "J": 1.0,
    "kJ": 1e3,
    "mWh": 3.6,
    "Wh": 3600.0,
    "kWh": 3.6e6,
}
CARBON_UNITS: dict[str, float] = {
    "ugCO2e": 1e-6,
    "µgCO2e": 1e-6,
    "mgCO2e": 1e-3,
    "gCO2e": 1.0,
    "kgCO2e": 1e3,
}

_QUANTITY = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([^\s\d].*?)?\s*$")


MAX_CHARS = 100  # "1.5 kWh" is 7


class UnitError(ValueError):
    """A quantity could not be read; the message says what would be valid."""


def _split(text: object, what: str, example: str) -> tuple[float, str]:
    if isinstance(text, bool) or not isinstance(text, str):
        raise UnitError(f"{what} must be a string with a unit, e.g. '{example}', not {text!r}")
    if len(text) > MAX_CHARS:  # the pattern is quadratic in runs of blanks: bound its input
        raise UnitError(
            f"{what} {text[:20]!r}... is {len(text)} characters; write e.g. '{example}'"
        )
    match = _QUANTITY.match(text)
    if not match:
        raise UnitError(f"cannot read {what} {text!r}; write a number and a unit, e.g. '{example}'")
    return float(match.group(1)), (match.group(2) or "")


# A budget below a femto-unit (a subnormal 1e-320, say) makes budget use infinite; one above
# 1e15 (280 GWh) is a typo. Both bounds keep every figure computed from a budget finite.
SMALLEST, LARGEST = 1e-15, 1e15


def _positive(value: float, text: str, what: str) -> float:
    if not math.isfinite(value) or value <= 0:
        raise UnitError(f"{what} must be greater than zero, got {text!r}")
    if not SMALLEST <= value <= LARGEST:
        raise UnitError(
            f"{what} {text!r} is out of range: from {SMALLEST:g} to {LARGEST:g} in SI units"
        )
    return value


def _parse(text: object, units: dict[str, float], what: str, example: str) -> float:
    number, unit = _split(text, what, example)
    if unit not in units:
        valid = ", ".join(units)
        shown = f"unknown unit {unit!r}" if unit else "missing unit"
        raise UnitError(f"{shown} in {what} {text!r}; valid units: {valid}")
    return _positive(number * units[unit], str(text), what)


def parse_energy(text: object) -> float:
    """'40 J' -> 40.0 joules."""
    return _parse(text, ENERGY_UNITS, "energy", "40 J")


def parse_carbon(text: object) -> float:
    """'5 mgCO2e' -> 0.005 grams CO2e."""
    return _parse(text, CARBON_UNITS, "carbon", "5 mgCO2e")


MAX_PERCENT = 10000.0  # a 100-fold change; more is a typo


def parse_percent(text: object) -> float:
    """'5%' -> 0.05. Zero is allowed (gate on any significant change)."""
    number, unit = _split(text, "tolerance", "5%")
    if unit != "%":
        raise UnitError(f"tolerance {text!r} must be a percentage, e.g. '5%'")
    if not math.isfinite(number) or not 0 <= number <= MAX_PERCENT:
        raise UnitError(f"tolerance must be from 0% to {MAX_PERCENT:g}%, got {text!r}")
    return number / 100.0


def _pick(value: float, ladder: list[tuple[str, float]]) -> tuple[str, float]:
    # Compared as shown (three digits): 0.99999 J is "1.00 J", never "1000 mJ".
    shown = abs(float(f"{value:.3g}"))
    for unit, scale in ladder:
        if shown >= scale:
            return unit, scale
    return ladder[-1]


def format_energy(joules: float, digits: int = 3) -> str:
    """40.0 -> '40.0 J'; 0.0021 -> '2.10 mJ'; 7200 -> '2.00 Wh'. Three significant digits."""
    ladder = [("kWh", 3.6e6), ("Wh", 3600.0), ("J", 1.0), ("mJ", 1e-3), ("µJ", 1e-6)]
    unit, scale = _pick(joules, ladder)
    return f"{_sig(joules / scale, digits)} {unit}"


def format_carbon(grams: float, digits: int = 3) -> str:
    """0.0051 -> '5.10 mgCO2e'."""
    ladder = [("kgCO2e", 1e3), ("gCO2e", 1.0), ("mgCO2e", 1e-3), ("µgCO2e", 1e-6)]
    unit, scale = _pick(grams, ladder)
    return f"{_sig(grams / scale, digits)} {unit}"


def format_percent(fraction: float, signed: bool = False) -> str:
    """0.05 -> '5%'; 10.0 -> '1000%'; with signed, 0.231 -> '+23.1%'."""
    if signed:
        return f"{fraction * 100:+.1f}%"
    percent = fraction * 100
    return f"{percent:.0f}%" if abs(percent) >= 100 else f"{percent:.3g}%"


def _sig(value: float, digits: int) -> str:
    if value == 0:
        return "0"
    value = float(f"{value:.{digits}g}")  # 0.99999 rounds to 1.00, not 1.000
    decimals = max(digits - 1 - math.floor(math.log10(abs(value))), 0)
    return f"{value:.{decimals}f}"


def count(n: int, noun: str) -> str:
    """'1 test', '3 tests': a number and its noun, regular plural."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def format_p(p: float, exact: bool = False) -> str:
    """A p-value as every format shows it: 'p=0.002', or 'p<0.001' below that; ``exact``:
    'p=0.00083', for a verdict that a p below 0.001 did not settle (a paired look late in the
    schedule needs p < 0.00065, and 'inconclusive, p<0.001' read as a contradiction)."""
    return "p<0.001" if p < 0.001 and not exact else f"p={p:.2g}"


DURATION = re.compile(r"(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s?)?")


def parse_duration(text: str) -> float:
    """'10m', '1h30m', '90s' or '90' (seconds) -> seconds; ValueError says what is valid."""
    match = DURATION.fullmatch(text.strip().lower())
    if not text.strip() or match is None or not any(match.groups()):
        raise ValueError(f"{text!r}: give a duration such as 10m, 90s or 1h30m")
    hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    total = hours * 3600 + minutes * 60 + seconds
    if total <= 0:
        raise ValueError(f"{text!r}: the cap must be longer than 0 s")
    return total
