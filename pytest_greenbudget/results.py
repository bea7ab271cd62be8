"""The versioned JSON report: one document describes one run.

Dataclasses mirror the JSON one to one (documented field by field in the README). ``from_dict``
validates and names the offending key; a reader refuses an unknown major version. Writes are
atomic (temporary file in the same folder + ``os.replace``) so a report is never half-written.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

# 1.1: tests[].session_noise; 1.2: paired baselines, incomplete runs; 1.3: thread limits
# (tests[].threads, environment.threads), tests[].notes, budget.meter
SCHEMA_VERSION = "1.3"
VERDICTS = (
    "ok",
    "over-budget",
    "regressed",
    "improved",
    "unchanged",
    "inconclusive",
    "new",
    "missing",
)


class ReportError(ValueError):
    """A report file is unreadable or malformed; the message names the file and key."""


@dataclass(frozen=True)
class Component:
    energy_j: float
    provenance: str  # "measured" | "estimated"
    meter: str
    note: str | None = None


@dataclass(frozen=True)
class Budget:
    """The budget a test was held to, and where it came from (``greenbudget.yaml:7``)."""

    source: str
    energy_j: float | None = None
    carbon_g: float | None = None
    per: str | None = None
    meter: str | None = None  # the meter(s) the budget was set with; None: not said


@dataclass(frozen=True)
class Work:
    """The functional unit (SCI's R) a test declared with ``greenbudget.work(n, unit)``."""

    units: float
    unit: str


@dataclass(frozen=True)
class BaselineFigures:
    """The base-branch figures a test was compared with."""

    energy_j: float
    samples_j: tuple[float, ...]
    ratio: float
    p_value: float | None
    method: str  # "welch" | "yuen" | "ratio-only" | "z" | a paired method
    comparable: bool = True
    mode: str = "unpaired"  # "paired": measured side by side with the base in this job
    ref: str | None = None  # paired: the base ref as given (e.g. "main")
    commit: str | None = None  # paired: the base commit measured
    pairs: tuple[tuple[float, float], ...] = ()  # paired: (head J, base J) per pair, in order
    detectable: float | None = None  # smallest change this comparison could have seen


@dataclass(frozen=True)
class TestEntry:
    __test__ = False  # not a pytest test class, whatever its name says

    nodeid: str
    outcome: str
    energy_j: float | None
    samples_j: tuple[float, ...] = ()
    ci_j: tuple[float, float] | None = None
    wall_s: float | None = None
    cpu_s: float | None = None
    components: Mapping[str, Component] = field(default_factory=dict)
    work: Work | None = None
    energy_per_unit_j: float | None = None
    carbon_g: float | None = None
    budget: Budget | None = None
    budget_used: float | None = None  # measured / budget, on the budget's own quantity
    verdict: str | None = None
    message: str | None = None
    baseline: BaselineFigures | None = None
    repeats: int = 0
    warmup: int = 0
    tolerance: float = 0.05
    session_noise: float = 0.0  # between-session CV the comparison allowed for
    threads: int | None = None  # BLAS/OpenMP thread limit during its runs; None: not limited
    notes: tuple[str, ...] = ()  # advice that is not a verdict (e.g. spinning thread pools)


@dataclass(frozen=True)
class ComponentMeter:
    meter: str
    provenance: str
    reason: str = ""


@dataclass(frozen=True)
class Environment:
    cpu_model: str
    cpu_count: int
    gpus: tuple[str, ...] = ()
    meters: Mapping[str, ComponentMeter] = field(default_factory=dict)
    meter: str = ""
    python: str = ""
    pytest: str = ""
    plugin: str = ""
    platform: str = ""
    commit: str | None = None
    workers: int | None = None  # xdist workers; None for a serial run
    threads: int | None = None  # the session's default thread limit; None: not limited
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class CarbonSettings:
    intensity_g_per_kwh: float
    source: str
    pue: float
    region: str | None = None


@dataclass(frozen=True)
class Report:
    created_utc: str
    environment: Environment
    carbon: CarbonSettings
    tests: tuple[TestEntry, ...]
    schema_version: str = SCHEMA_VERSION
    incomplete: bool = False  # interrupted, collection errors, --co: not a full baseline
    incomplete_reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-shaped data (lists, not tuples), as read back from the file or sent by xdist."""
        data: dict[str, Any] = _jsonable(asdict(self))
        return {"schema_version": data.pop("schema_version"), **data}

    @classmethod
    def from_dict(cls, data: object, where: str = "report") -> Report:
        return _decode_report(data, where)

    def by_nodeid(self) -> dict[str, TestEntry]:
        return {t.nodeid: t for t in self.tests}

    def with_tests(self, tests: tuple[TestEntry, ...]) -> Report:
        return replace(self, tests=tests)


def incomplete_notes(base: Report | None, head: Report | None) -> list[str]:
    """Lines saying that a report is not a whole run, so that it is not taken for one."""
    notes = []
    if base is not None and base.incomplete:
        notes.append(
            f"the baseline is an incomplete run ({_why(base)}): not a full baseline; "
            "tests it lacks read as new"
        )
    if head is not None and head.incomplete:
        notes.append(
            f"this run is incomplete ({_why(head)}): baseline tests it did not run read as missing"
        )
    return notes


def _why(report: Report) -> str:
    return report.incomplete_reason or "no reason recorded"


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def write_report(report: Report, path: str | os.PathLike[str]) -> None:
    """Write atomically: a reader sees the old file or the new one, never half of either."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(report.to_dict(), indent=2, ensure_ascii=False, allow_nan=False)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        os.chmod(tmp, 0o644)  # mkstemp makes it owner-only; a report is meant to be shared
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_report(path: str | os.PathLike[str]) -> Report:
    """Read and validate a report; every failure is a ReportError naming the file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ReportError(f"{path}: cannot read report: {exc.strerror or exc}") from None
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise ReportError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    except ValueError as exc:
        raise ReportError(f"{path}: {exc}") from None
    return _decode_report(data, str(path))


def _refuse_constant(name: str) -> float:
    # Python's json reads NaN and Infinity, which no report writes (allow_nan=False) and
    # which would break every figure computed from them downstream.
    raise ValueError(f"{name} is not a valid energy figure in a report")


# --- decoding, with a clear message for every malformed key --------------------------------


def _need(data: Mapping[str, Any], key: str, types: type | tuple[type, ...], where: str) -> Any:
    if key not in data:
        raise ReportError(f"{where}: missing key '{key}'")
    value = data[key]
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in _tuple(types)):
        raise ReportError(f"{where}: key '{key}' has the wrong type ({type(value).__name__})")
    return value


def _opt(data: Mapping[str, Any], key: str, types: type | tuple[type, ...], where: str) -> Any:
    if data.get(key) is None:
        return None
    return _need(data, key, types, where)


def _tuple(types: type | tuple[type, ...]) -> tuple[type, ...]:
    return types if isinstance(types, tuple) else (types,)


NUM = (int, float)


def _obj(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise ReportError(f"{where}: expected an object, got {type(value).__name__}")
    return value


def _decode_report(data: object, where: str) -> Report:
    try:
        return _decode_top(data, where)
    except (TypeError, ValueError, AttributeError) as exc:
        if isinstance(exc, ReportError):
            raise
        # a value of the wrong shape deep inside (a string where a list belongs, say)
        raise ReportError(f"{where}: malformed report: {exc}") from None


def _decode_top(data: object, where: str) -> Report:
    top = _obj(data, where)
    version = _need(top, "schema_version", str, where)
    major = version.split(".")[0]
    if major != SCHEMA_VERSION.split(".")[0]:
        raise ReportError(
            f"{where}: schema_version {version!r} is not supported; this greenbudget reads "
            f"{SCHEMA_VERSION.split('.')[0]}.x (upgrade pytest-greenbudget to read it)"
        )
    tests = _need(top, "tests", list, where)
    return Report(
        created_utc=_need(top, "created_utc", str, where),
        environment=_decode_env(_obj(top.get("environment"), f"{where}: environment")),
        carbon=_decode_carbon(_obj(top.get("carbon"), f"{where}: carbon"), f"{where}: carbon"),
        tests=tuple(_decode_test(t, f"{where}: tests[{i}]") for i, t in enumerate(tests)),
        schema_version=version,
        incomplete=bool(_opt(top, "incomplete", bool, where)),
        incomplete_reason=_opt(top, "incomplete_reason", str, where),
    )


def _decode_env(env: Mapping[str, Any]) -> Environment:
    meters = {
        name: ComponentMeter(**{k: str(v) for k, v in _obj(m, "meters").items()})
        for name, m in _obj(env.get("meters", {}), "environment.meters").items()
    }
    return Environment(
        cpu_model=str(env.get("cpu_model", "")),
        cpu_count=int(env.get("cpu_count", 0)),
        gpus=tuple(str(g) for g in env.get("gpus", ())),
        meters=meters,
        meter=str(env.get("meter", "")),
        python=str(env.get("python", "")),
        pytest=str(env.get("pytest", "")),
        plugin=str(env.get("plugin", "")),
        platform=str(env.get("platform", "")),
        commit=env.get("commit"),
        workers=env.get("workers"),
        threads=env.get("threads"),
        notes=tuple(str(n) for n in env.get("notes", ())),
    )


def _decode_carbon(carbon: Mapping[str, Any], where: str) -> CarbonSettings:
    return CarbonSettings(
        intensity_g_per_kwh=float(_need(carbon, "intensity_g_per_kwh", NUM, where)),
        source=str(carbon.get("source", "")),
        pue=float(_need(carbon, "pue", NUM, where)),
        region=carbon.get("region"),
    )


def _decode_test(value: object, where: str) -> TestEntry:
    t = _obj(value, where)
    verdict = _opt(t, "verdict", str, where)
    if verdict is not None and verdict not in VERDICTS:
        raise ReportError(f"{where}: unknown verdict {verdict!r}; valid: {', '.join(VERDICTS)}")
    return TestEntry(
        nodeid=_need(t, "nodeid", str, where),
        outcome=_need(t, "outcome", str, where),
        energy_j=_opt(t, "energy_j", NUM, where),
        samples_j=tuple(float(s) for s in _need(t, "samples_j", list, where)),
        ci_j=_pair(_opt(t, "ci_j", list, where)),
        wall_s=_opt(t, "wall_s", NUM, where),
        cpu_s=_opt(t, "cpu_s", NUM, where),
        components=_components(_obj(t.get("components", {}), f"{where}.components")),
        work=Work(**_obj(t["work"], f"{where}.work")) if t.get("work") else None,
        energy_per_unit_j=_opt(t, "energy_per_unit_j", NUM, where),
        carbon_g=_opt(t, "carbon_g", NUM, where),
        budget=Budget(**_obj(t["budget"], f"{where}.budget")) if t.get("budget") else None,
        budget_used=_opt(t, "budget_used", NUM, where),
        verdict=verdict,
        message=_opt(t, "message", str, where),
        baseline=_baseline(t.get("baseline"), f"{where}.baseline"),
        repeats=int(t.get("repeats", 0)),
        warmup=int(t.get("warmup", 0)),
        tolerance=float(t.get("tolerance", 0.05)),
        session_noise=float(t.get("session_noise", 0.0)),
        threads=_opt(t, "threads", int, where),
        notes=tuple(str(n) for n in t.get("notes", ())),
    )


def _pair(value: list[Any] | None) -> tuple[float, float] | None:
    return (float(value[0]), float(value[1])) if value else None


def _components(data: Mapping[str, Any]) -> dict[str, Component]:
    try:
        return {name: Component(**_obj(c, name)) for name, c in data.items()}
    except TypeError as exc:
        raise ReportError(f"components: {exc}") from None


def _baseline(value: object, where: str) -> BaselineFigures | None:
    if value is None:
        return None
    b = dict(_obj(value, where))
    b["samples_j"] = tuple(float(s) for s in b.get("samples_j", ()))
    b["pairs"] = tuple((float(h), float(s)) for h, s in b.get("pairs", ()))
    try:
        return BaselineFigures(**b)
    except TypeError as exc:
        raise ReportError(f"{where}: {exc}") from None
