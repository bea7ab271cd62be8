"""Bytes or JSON data -> a validated ``Report``; every failure is one ``ReportError`` line.

The renderers, the gate and ``noise`` trust what this returns, so every field is checked for
type AND range here, once: numbers are finite and within bounds that keep every figure computed
from them finite (a ratio of two energies, a square of a log). Keys a later minor version adds
are ignored, so a 1.x reader reads any 1.y report; keys are never echoed into messages raw.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from .results import (
    SCHEMA_VERSION,
    VERDICTS,
    BaselineFigures,
    Budget,
    CarbonSettings,
    Component,
    ComponentMeter,
    Environment,
    Report,
    ReportError,
    TestEntry,
    Work,
)
from .untrusted import printable

T = TypeVar("T")
# Energies are zero or within [1e-15 J, 1e15 J]: a femtojoule to 280 GWh. Any ratio of two
# stays within 1e30, so no comparison, log or square computed from them overflows.
MIN_ENERGY_J, MAX_ENERGY_J = 1e-15, 1e15
MAX_RATIO = 1e31
MAX_COUNT = 1_000_000  # cpu_count, repeats, warmup, workers
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def parse_report(data: bytes, where: str) -> Report:
    """A report from a file's bytes; ``where`` (a path, an artifact) starts every message."""
    return decode_report(_json(_text(data, where), where), where)


def _text(data: bytes, where: str) -> str:
    if data.startswith(UTF16_BOMS):
        raise ReportError(f"{where}: the file is UTF-16 text; a report is UTF-8 JSON")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ReportError(
            f"{where}: not UTF-8 text (invalid byte at offset {exc.start}); a report is UTF-8 JSON"
        ) from None


def _json(text: str, where: str) -> object:
    try:
        return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        raise ReportError(f"{where}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    except RecursionError:
        raise ReportError(f"{where}: JSON nested too deeply to be a report") from None
    except ValueError as exc:  # a refused constant or number, or an integer of 4300+ digits
        raise ReportError(f"{where}: {printable(str(exc))}") from None


def _refuse_constant(name: str) -> float:
    # Python's json reads NaN and Infinity, which no report writes (allow_nan=False) and
    # which would break every figure computed from them downstream.
    raise ValueError(f"{name} is not a valid number in a report")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400 reads as infinity
        raise ValueError(f"the number {text[:40]} is out of range")
    return value


def decode_report(data: object, where: str) -> Report:
    top = _obj(data, where)
    version = _need(top, "schema_version", where, _str)
    major = version.split(".")[0]
    if major != SCHEMA_VERSION.split(".")[0]:
        raise ReportError(
            f"{where}: schema_version {printable(repr(version))} is not supported; this "
            f"greenbudget reads {SCHEMA_VERSION.split('.')[0]}.x (upgrade pytest-greenbudget to "
            "read it)"
        )
    tests = _need(top, "tests", where, _list)
    return Report(
        created_utc=_need(top, "created_utc", where, _str),
        environment=_environment(_need(top, "environment", where, _obj), f"{where}: environment"),
        carbon=_carbon(_need(top, "carbon", where, _obj), f"{where}: carbon"),
        tests=tuple(_test(t, f"{where}: tests[{i}]") for i, t in enumerate(tests)),
        schema_version=version,
        incomplete=_opt(top, "incomplete", where, _bool, False),
        incomplete_reason=_opt(top, "incomplete_reason", where, _str, None),
    )


def decode_entry(data: object, where: str) -> TestEntry:
    """One test's entry, as a worker sends it to the xdist controller."""
    return _test(data, where)


# --- value checkers: each takes (value, where) and answers the value or raises -------------


Check = Callable[[object, str], T]


def _need(data: Mapping[str, Any], key: str, where: str, check: Check[T]) -> T:
    if key not in data:
        raise ReportError(f"{where}: missing key '{key}'")
    return check(data[key], f"{where}: key '{key}'")


def _opt(data: Mapping[str, Any], key: str, where: str, check: Check[T], default: T) -> T:
    if data.get(key) is None:
        return default
    return check(data[key], f"{where}: key '{key}'")


def _wrong(value: object, where: str, wanted: str) -> ReportError:
    return ReportError(f"{where} must be {wanted}, not {type(value).__name__}")


def _obj(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise _wrong(value, where, "an object")
    return value


def _list(value: object, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise _wrong(value, where, "a list")
    return value


def _str(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise _wrong(value, where, "a string")
    return value


def _bool(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise _wrong(value, where, "true or false")
    return value


def _count(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _wrong(value, where, "a whole number")
    if not 0 <= value <= MAX_COUNT:
        raise ReportError(f"{where} must be between 0 and {MAX_COUNT}")
    return value


def _number(low: float, high: float) -> Check[float]:
    def check(value: object, where: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _wrong(value, where, "a number")
        try:
            number = float(value)
        except OverflowError:  # an integer of 10**400
            number = math.inf
        if not (math.isfinite(number) and low <= number <= high):
            raise ReportError(f"{where} must be a number between {low:g} and {high:g}")
        return number

    return check


def _energy(value: object, where: str) -> float:
    joules = _number(0.0, MAX_ENERGY_J)(value, where)
    if 0 < joules < MIN_ENERGY_J:
        raise ReportError(f"{where} must be 0 or at least {MIN_ENERGY_J:g} J")
    return joules


_amount = _number(0.0, MAX_RATIO)  # seconds, grams, budget use, ratios: finite, not negative
_fraction = _number(0.0, 1.0)


def _opt_str(value: object, where: str) -> str | None:
    return None if value is None else _str(value, where)


def _strings(value: object, where: str) -> tuple[str, ...]:
    return tuple(_str(v, f"{where}[{i}]") for i, v in enumerate(_list(value, where)))


def _energies(value: object, where: str) -> tuple[float, ...]:
    return tuple(_energy(v, f"{where}[{i}]") for i, v in enumerate(_list(value, where)))


def _pair(value: object, where: str) -> tuple[float, float]:
    items = _energies(value, where)
    if len(items) != 2:
        raise ReportError(f"{where} must hold exactly two numbers, not {len(items)}")
    return items[0], items[1]


def _mapping(check: Check[T]) -> Check[dict[str, T]]:
    def read(value: object, where: str) -> dict[str, T]:
        return {
            _str(k, f"{where} key"): check(v, f"{where}[{printable(repr(k))}]")
            for k, v in _obj(value, where).items()
        }

    return read


# --- the sections ----------------------------------------------------------------------------


def _environment(env: Mapping[str, Any], where: str) -> Environment:
    return Environment(
        cpu_model=_opt(env, "cpu_model", where, _str, ""),
        cpu_count=_opt(env, "cpu_count", where, _count, 0),
        gpus=_opt(env, "gpus", where, _strings, ()),
        meters=_opt(env, "meters", where, _mapping(_component_meter), {}),
        meter=_opt(env, "meter", where, _str, ""),
        python=_opt(env, "python", where, _str, ""),
        pytest=_opt(env, "pytest", where, _str, ""),
        plugin=_opt(env, "plugin", where, _str, ""),
        platform=_opt(env, "platform", where, _str, ""),
        commit=_opt(env, "commit", where, _str, None),
        workers=_opt(env, "workers", where, _count, None),
        threads=_opt(env, "threads", where, _count, None),
        notes=_opt(env, "notes", where, _strings, ()),
    )


def _component_meter(value: object, where: str) -> ComponentMeter:
    m = _obj(value, where)
    return ComponentMeter(
        meter=_need(m, "meter", where, _str),
        provenance=_need(m, "provenance", where, _str),
        reason=_opt(m, "reason", where, _str, ""),
    )


def _carbon(carbon: Mapping[str, Any], where: str) -> CarbonSettings:
    return CarbonSettings(
        intensity_g_per_kwh=_need(carbon, "intensity_g_per_kwh", where, _number(0.0, 1e6)),
        source=_opt(carbon, "source", where, _str, ""),
        pue=_need(carbon, "pue", where, _number(1.0, 100.0)),
        region=_opt(carbon, "region", where, _str, None),
    )


def _test(value: object, where: str) -> TestEntry:
    t = _obj(value, where)
    return TestEntry(
        nodeid=_need(t, "nodeid", where, _str),
        outcome=_need(t, "outcome", where, _str),
        energy_j=_opt(t, "energy_j", where, _energy, None),
        samples_j=_need(t, "samples_j", where, _energies),
        ci_j=_opt(t, "ci_j", where, _pair, None),
        wall_s=_opt(t, "wall_s", where, _amount, None),
        cpu_s=_opt(t, "cpu_s", where, _amount, None),
        components=_opt(t, "components", where, _mapping(_component), {}),
        work=_opt(t, "work", where, _work, None),
        energy_per_unit_j=_opt(t, "energy_per_unit_j", where, _amount, None),
        carbon_g=_opt(t, "carbon_g", where, _amount, None),
        budget=_opt(t, "budget", where, _budget, None),
        budget_used=_opt(t, "budget_used", where, _amount, None),
        verdict=_opt(t, "verdict", where, _verdict, None),
        message=_opt(t, "message", where, _str, None),
        baseline=_opt(t, "baseline", where, _baseline, None),
        repeats=_opt(t, "repeats", where, _count, 0),
        warmup=_opt(t, "warmup", where, _count, 0),
        tolerance=_opt(t, "tolerance", where, _number(0.0, 1e6), 0.05),
        session_noise=_opt(t, "session_noise", where, _number(0.0, 100.0), 0.0),
        threads=_opt(t, "threads", where, _count, None),
        notes=_opt(t, "notes", where, _strings, ()),
        noise_source=_opt(t, "noise_source", where, _str, "setting"),
        runs_j=_opt(t, "runs_j", where, _energies, ()),
    )


def _verdict(value: object, where: str) -> str:
    verdict = _str(value, where)
    if verdict not in VERDICTS:
        raise ReportError(
            f"{where}: unknown verdict {printable(repr(verdict))}; valid: {', '.join(VERDICTS)}"
        )
    return verdict


def _component(value: object, where: str) -> Component:
    c = _obj(value, where)
    return Component(
        energy_j=_need(c, "energy_j", where, _energy),
        provenance=_need(c, "provenance", where, _str),
        meter=_need(c, "meter", where, _str),
        note=_opt(c, "note", where, _str, None),
    )


def _work(value: object, where: str) -> Work:
    w = _obj(value, where)
    units = _need(w, "units", where, _number(0.0, MAX_RATIO))
    if units == 0:
        raise ReportError(f"{where}: key 'units' must be greater than zero")
    return Work(units=units, unit=_need(w, "unit", where, _str))


def _budget(value: object, where: str) -> Budget:
    b = _obj(value, where)
    return Budget(
        source=_need(b, "source", where, _str),
        energy_j=_opt(b, "energy_j", where, _energy, None),
        carbon_g=_opt(b, "carbon_g", where, _amount, None),
        per=_opt(b, "per", where, _str, None),
        meter=_opt(b, "meter", where, _str, None),
    )


def _baseline(value: object, where: str) -> BaselineFigures:
    b = _obj(value, where)
    pairs: list[Any] = _opt(b, "pairs", where, _list, [])
    return BaselineFigures(
        energy_j=_need(b, "energy_j", where, _energy),
        samples_j=_opt(b, "samples_j", where, _energies, ()),
        ratio=_need(b, "ratio", where, _amount),
        p_value=_opt(b, "p_value", where, _fraction, None),
        method=_need(b, "method", where, _str),
        comparable=_opt(b, "comparable", where, _bool, True),
        mode=_opt(b, "mode", where, _mode, "unpaired"),
        ref=_opt(b, "ref", where, _str, None),
        commit=_opt(b, "commit", where, _str, None),
        pairs=tuple(_pair(p, f"{where}: key 'pairs'[{i}]") for i, p in enumerate(pairs)),
        detectable=_opt(b, "detectable", where, _amount, None),
    )


def _mode(value: object, where: str) -> str:
    mode = _str(value, where)
    if mode not in ("paired", "unpaired"):
        raise ReportError(f"{where} must be 'paired' or 'unpaired'")
    return mode
