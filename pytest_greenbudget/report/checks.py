"""The value checkers decode.py builds its decoders from: each takes (value, where)
and answers the value, checked for type and range, or raises one ``ReportError`` line that
names ``where`` and what is valid. Pure: no pytest.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from .model import MAX_ENERGY_J, MIN_ENERGY_J, ReportError
from .untrusted import printable

T = TypeVar("T")
# Energies are zero or within [1e-15 J, 1e15 J]: a femtojoule to 280 GWh. Any ratio of two
# stays within 1e30, so no comparison, log or square computed from them overflows.
MAX_RATIO = 1e31
MAX_COUNT = 1_000_000  # cpu_count, repeats, warmup, workers


Check = Callable[[object, str], T]


def need(data: Mapping[str, Any], key: str, where: str, check: Check[T]) -> T:
    if key not in data:
        raise ReportError(f"{where}: missing key '{key}'")
    return check(data[key], f"{where}: key '{key}'")


def opt(data: Mapping[str, Any], key: str, where: str, check: Check[T], default: T) -> T:
    if data.get(key) is None:
        return default
    return check(data[key], f"{where}: key '{key}'")


def wrong(value: object, where: str, wanted: str) -> ReportError:
    return ReportError(f"{where} must be {wanted}, not {type(value).__name__}")


def obj(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise wrong(value, where, "an object")
    return value


def array(value: object, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise wrong(value, where, "a list")
    return value


def string(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise wrong(value, where, "a string")
    return value


def flag(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise wrong(value, where, "true or false")
    return value


def count(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise wrong(value, where, "a whole number")
    if not 0 <= value <= MAX_COUNT:
        raise ReportError(f"{where} must be between 0 and {MAX_COUNT}")
    return value


def number(low: float, high: float) -> Check[float]:
    def check(value: object, where: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise wrong(value, where, "a number")
        try:
            number = float(value)
        except OverflowError:  # an integer of 10**400
            number = math.inf
        if not (math.isfinite(number) and low <= number <= high):
            raise ReportError(f"{where} must be a number between {low:g} and {high:g}")
        return number

    return check


def energy(value: object, where: str) -> float:
    joules = number(0.0, MAX_ENERGY_J)(value, where)
    if 0 < joules < MIN_ENERGY_J:
        raise ReportError(f"{where} must be 0 or at least {MIN_ENERGY_J:g} J")
    return joules


amount = number(0.0, MAX_RATIO)  # seconds, grams, budget use, ratios: finite, not negative
fraction = number(0.0, 1.0)


def strings(value: object, where: str) -> tuple[str, ...]:
    return tuple(string(v, f"{where}[{i}]") for i, v in enumerate(array(value, where)))


def energies(value: object, where: str) -> tuple[float, ...]:
    return tuple(energy(v, f"{where}[{i}]") for i, v in enumerate(array(value, where)))


def pair(value: object, where: str) -> tuple[float, float]:
    items = energies(value, where)
    if len(items) != 2:
        raise ReportError(f"{where} must hold exactly two numbers, not {len(items)}")
    return items[0], items[1]


def mapping(check: Check[T]) -> Check[dict[str, T]]:
    def read(value: object, where: str) -> dict[str, T]:
        return {
            string(k, f"{where} key"): check(v, f"{where}[{printable(repr(k))}]")
            for k, v in obj(value, where).items()
        }

    return read
