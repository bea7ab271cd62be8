"""Bytes or JSON data -> a validated ``Report``; every failure is one ``ReportError`` line.

The renderers, the gate and ``noise`` trust what this returns, so every field is checked for
type AND range here, once: numbers are finite and within bounds that keep every figure computed
from them finite (a ratio of two energies, a square of a log). Keys a later minor version adds
are ignored, so a 1.x reader reads any 1.y report; keys are never echoed into messages raw.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from .checks import (
    MAX_RATIO,
    amount,
    array,
    count,
    energies,
    energy,
    flag,
    fraction,
    mapping,
    need,
    number,
    obj,
    opt,
    pair,
    string,
    strings,
)
from .model import (
    SCHEMA_VERSION,
    VERDICTS,
    BaselineFigures,
    Budget,
    CarbonSettings,
    Component,
    ComponentMeter,
    Environment,
    Impact,
    ProfileDiff,
    ProfileLine,
    Report,
    ReportError,
    RunOrigin,
    TestEntry,
    Work,
)
from .untrusted import printable

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
    top = obj(data, where)
    version = need(top, "schema_version", where, string)
    major = version.split(".")[0]
    if major != SCHEMA_VERSION.split(".")[0]:
        raise ReportError(
            f"{where}: schema_version {printable(repr(version))} is not supported; this "
            f"greenbudget reads {SCHEMA_VERSION.split('.')[0]}.x (upgrade pytest-greenbudget to "
            "read it)"
        )
    tests = need(top, "tests", where, array)
    return Report(
        created_utc=need(top, "created_utc", where, string),
        environment=_environment(need(top, "environment", where, obj), f"{where}: environment"),
        carbon=_carbon(need(top, "carbon", where, obj), f"{where}: carbon"),
        tests=tuple(_test(t, f"{where}: tests[{i}]") for i, t in enumerate(tests)),
        schema_version=version,
        incomplete=opt(top, "incomplete", where, flag, False),
        incomplete_reason=opt(top, "incomplete_reason", where, string, None),
        impact=_impact(top.get("impact"), f"{where}: impact"),
    )


def decode_entry(data: object, where: str) -> TestEntry:
    """One test's entry, as a worker sends it to the xdist controller."""
    return _test(data, where)


# --- the sections ----------------------------------------------------------------------------


def _impact(value: object, where: str) -> Impact | None:
    if value is None:
        return None
    data = obj(value, where)
    return Impact(
        ref=need(data, "ref", where, string),
        commit=need(data, "commit", where, string),
        considered=opt(data, "considered", where, strings, ()),
        ignored=opt(data, "ignored", where, strings, ()),
        unaffected=opt(data, "unaffected", where, count, 0),
        every_test=opt(data, "every_test", where, string, None),
    )


def _environment(env: Mapping[str, Any], where: str) -> Environment:
    return Environment(
        cpu_model=opt(env, "cpu_model", where, string, ""),
        cpu_count=opt(env, "cpu_count", where, count, 0),
        gpus=opt(env, "gpus", where, strings, ()),
        meters=opt(env, "meters", where, mapping(_component_meter), {}),
        meter=opt(env, "meter", where, string, ""),
        python=opt(env, "python", where, string, ""),
        pytest=opt(env, "pytest", where, string, ""),
        plugin=opt(env, "plugin", where, string, ""),
        platform=opt(env, "platform", where, string, ""),
        commit=opt(env, "commit", where, string, None),
        workers=opt(env, "workers", where, count, None),
        threads=opt(env, "threads", where, count, None),
        notes=opt(env, "notes", where, strings, ()),
        devices=opt(env, "devices", where, mapping(string), {}),
    )


def _component_meter(value: object, where: str) -> ComponentMeter:
    m = obj(value, where)
    return ComponentMeter(
        meter=need(m, "meter", where, string),
        provenance=need(m, "provenance", where, string),
        reason=opt(m, "reason", where, string, ""),
    )


def _carbon(carbon: Mapping[str, Any], where: str) -> CarbonSettings:
    return CarbonSettings(
        intensity_g_per_kwh=need(carbon, "intensity_g_per_kwh", where, number(0.0, 1e6)),
        source=opt(carbon, "source", where, string, ""),
        pue=need(carbon, "pue", where, number(1.0, 100.0)),
        region=opt(carbon, "region", where, string, None),
    )


def _test(value: object, where: str) -> TestEntry:
    t = obj(value, where)
    return TestEntry(
        nodeid=need(t, "nodeid", where, string),
        outcome=need(t, "outcome", where, string),
        energy_j=opt(t, "energy_j", where, energy, None),
        samples_j=need(t, "samples_j", where, energies),
        ci_j=opt(t, "ci_j", where, pair, None),
        wall_s=opt(t, "wall_s", where, amount, None),
        cpu_s=opt(t, "cpu_s", where, amount, None),
        components=opt(t, "components", where, mapping(_component), {}),
        work=opt(t, "work", where, _work, None),
        energy_per_unit_j=opt(t, "energy_per_unit_j", where, amount, None),
        carbon_g=opt(t, "carbon_g", where, amount, None),
        budget=opt(t, "budget", where, _budget, None),
        budget_used=opt(t, "budget_used", where, amount, None),
        verdict=opt(t, "verdict", where, _verdict, None),
        message=opt(t, "message", where, string, None),
        baseline=opt(t, "baseline", where, _baseline, None),
        repeats=opt(t, "repeats", where, count, 0),
        warmup=opt(t, "warmup", where, count, 0),
        tolerance=opt(t, "tolerance", where, number(0.0, 1e6), 0.05),
        session_noise=opt(t, "session_noise", where, number(0.0, 100.0), 0.0),
        threads=opt(t, "threads", where, count, None),
        notes=opt(t, "notes", where, strings, ()),
        noise_source=opt(t, "noise_source", where, string, "setting"),
        runs_j=opt(t, "runs_j", where, energies, ()),
        runs_from=opt(t, "runs_from", where, _origins, ()),
        profile_diff=opt(t, "profile_diff", where, _profile, None),
        accepted=opt(t, "accepted", where, flag, False),
        accepted_reason=opt(t, "accepted_reason", where, string, None),
    )


def _origins(value: object, where: str) -> tuple[RunOrigin, ...]:
    found = []
    for i, item in enumerate(array(value, where)):
        o = obj(item, f"{where}[{i}]")
        created = need(o, "created_utc", f"{where}[{i}]", string)
        found.append(RunOrigin(created, opt(o, "commit", f"{where}[{i}]", string, None)))
    return tuple(found)


def _profile(value: object, where: str) -> ProfileDiff:
    p = obj(value, where)
    unit = need(p, "unit", where, string)
    if unit not in ("J", "share"):
        raise ReportError(f"{where}.unit must be 'J' or 'share', not {printable(repr(unit))}")
    functions = _profile_lines(need(p, "functions", where, array), f"{where}.functions")
    cost = need(p, "cost_s", where, amount)
    note = opt(p, "note", where, string, "")
    none: tuple[ProfileLine, ...] = ()  # a report before 1.6
    yours = opt(p, "your_code", where, lambda v, _: _profile_lines(v, f"{where}.your_code"), none)
    return ProfileDiff(unit, functions, cost, note, yours)


def _profile_lines(value: object, where: str) -> tuple[ProfileLine, ...]:
    lines = []
    for i, item in enumerate(array(value, where)):
        at = f"{where}[{i}]"
        f = obj(item, at)
        lines.append(
            ProfileLine(
                need(f, "function", at, string),
                need(f, "where", at, string),
                need(f, "head", at, number(-MAX_RATIO, MAX_RATIO)),
                need(f, "base", at, number(-MAX_RATIO, MAX_RATIO)),
            )
        )
    return tuple(lines)


def _verdict(value: object, where: str) -> str:
    verdict = string(value, where)
    if verdict not in VERDICTS:
        raise ReportError(
            f"{where}: unknown verdict {printable(repr(verdict))}; valid: {', '.join(VERDICTS)}"
        )
    return verdict


def _component(value: object, where: str) -> Component:
    c = obj(value, where)
    return Component(
        energy_j=need(c, "energy_j", where, energy),
        provenance=need(c, "provenance", where, string),
        meter=need(c, "meter", where, string),
        note=opt(c, "note", where, string, None),
        processes=opt(c, "processes", where, count, None),  # from 1.5
    )


def _work(value: object, where: str) -> Work:
    w = obj(value, where)
    units = need(w, "units", where, number(0.0, MAX_RATIO))
    if units == 0:
        raise ReportError(f"{where}: key 'units' must be greater than zero")
    return Work(units=units, unit=need(w, "unit", where, string))


def _budget(value: object, where: str) -> Budget:
    b = obj(value, where)
    return Budget(
        source=need(b, "source", where, string),
        energy_j=opt(b, "energy_j", where, energy, None),
        carbon_g=opt(b, "carbon_g", where, amount, None),
        per=opt(b, "per", where, string, None),
        meter=opt(b, "meter", where, string, None),
    )


def _baseline(value: object, where: str) -> BaselineFigures:
    b = obj(value, where)
    pairs: list[Any] = opt(b, "pairs", where, array, [])
    floors: list[Any] = opt(b, "floors", where, array, [])
    return BaselineFigures(
        energy_j=need(b, "energy_j", where, energy),
        samples_j=opt(b, "samples_j", where, energies, ()),
        ratio=need(b, "ratio", where, amount),
        p_value=opt(b, "p_value", where, fraction, None),
        method=need(b, "method", where, string),
        comparable=opt(b, "comparable", where, flag, True),
        mode=opt(b, "mode", where, _mode, "unpaired"),
        ref=opt(b, "ref", where, string, None),
        commit=opt(b, "commit", where, string, None),
        pairs=tuple(pair(p, f"{where}: key 'pairs'[{i}]") for i, p in enumerate(pairs)),
        detectable=opt(b, "detectable", where, amount, None),
        floors=tuple(pair(f, f"{where}: key 'floors'[{i}]") for i, f in enumerate(floors)),
    )


def _mode(value: object, where: str) -> str:
    mode = string(value, where)
    if mode not in ("paired", "unpaired"):
        raise ReportError(f"{where} must be 'paired' or 'unpaired'")
    return mode
