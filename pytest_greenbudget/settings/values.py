"""One setting from its written form (a config file's value, a flag, a marker keyword) to
the value a plan holds: parsed, type-checked and range-checked, or a ValueError that says
what would be valid. The reading of the file is configfile.py's, the plans plans.py's. Pure: no
pytest.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .. import units

UNLIMITED = "unlimited"  # the threads value that lifts a limit a wider layer set

# Caps: beyond them a value is a typo, not a plan (10**12 repeats would run until killed).
MAX_REPEATS, MAX_WARMUP = 1000, 100
# Each paired round starts a fresh head and base process: 100 is hours of a real suite.
MAX_ROUNDS = 100
# Within what report readers accept (report/checks.py), so every report this writes reads back.
MAX_INTENSITY, MAX_PUE, MAX_WATTS = 1e5, 100.0, 1e4


def convert_value(name: str, value: object) -> Any:
    """One setting from its written form; ValueError says what would be valid."""
    converters: dict[str, Callable[[object], Any]] = {
        "energy": units.parse_energy,
        "carbon": units.parse_carbon,
        "tolerance": units.parse_percent,
        "session_noise": units.parse_percent,
        "repeats": lambda v: _int(v, "repeats", 1, MAX_REPEATS),
        "warmup": lambda v: _int(v, "warmup", 0, MAX_WARMUP),
        "per": lambda v: _word(v, "per", "sample"),
        "meter": lambda v: _word(v, "meter", "auto"),
        "region": _region,
        "intensity": _intensity,
        "pue": _pue,
        "watts_per_vcpu": _watts,
        "threads": parse_threads,
    }
    return converters[name](value)


def _int(value: object, name: str, least: int, most: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be a whole number from {least} to {most}, not {value!r}")
    if not least <= value <= most:
        raise ValueError(f"{name} must be from {least} to {most}, got {_short(value)}")
    return value


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."


def _number(value: object, name: str, least: float, strict: bool, what: str) -> float:
    """A finite int or float above ``least`` (or at it, unless ``strict``): .nan, .inf and
    1e400 stop here, where they enter, instead of at the report's JSON writer."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    try:
        number = float(value) if ok else math.nan  # type: ignore[arg-type]
    except OverflowError:  # an integer too big for a float
        number = math.inf
    if not (math.isfinite(number) and (number > least if strict else number >= least)):
        raise ValueError(f"{name} must be {what}, not {_short(value)}")
    return number


def _word(value: object, name: str, example: str) -> str:
    if not isinstance(value, str) or not value.strip() or " " in value.strip():
        raise ValueError(f"{name} must be a single word such as {example!r}, not {value!r}")
    return value.strip()


def _region(value: object) -> str:
    if not isinstance(value, str) or len(value) != 3 or not value.isalpha():
        raise ValueError(f"region must be an ISO 3166 alpha-3 code such as 'FRA', not {value!r}")
    return value.upper()


def _intensity(value: object) -> float:
    number = _number(value, "intensity", 0.0, True, "a positive number of gCO2e per kWh")
    if number > MAX_INTENSITY:
        raise ValueError(f"intensity must be at most {MAX_INTENSITY:g} gCO2e per kWh")
    return number


def _watts(value: object) -> float:
    number = _number(value, "watts_per_vcpu", 0.0, True, "a positive number of watts")
    if number > MAX_WATTS:
        raise ValueError(f"watts_per_vcpu must be at most {MAX_WATTS:g} W")
    return number


def _pue(value: object) -> float:
    what = "a number from 1.0 (no data-centre overhead) to 100"
    number = _number(value, "pue", 1.0, False, what)
    if number > MAX_PUE:
        raise ValueError(f"pue must be {what}, not {_short(value)}")
    return number


def parse_threads(value: object) -> int:
    """A ``threads`` setting: a whole number >= 1, or "unlimited" (0 here) to lift a limit
    that a wider layer (the config's defaults) set."""
    if isinstance(value, str) and value.strip().lower() == UNLIMITED:
        return 0
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(
            f"threads must be a whole number >= 1 (e.g. 1: one BLAS/OpenMP thread) "
            f"or 'unlimited', not {value!r}"
        )
    return value
