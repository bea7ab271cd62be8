"""Settings resolved once per session, and the plan for each budgeted test.

Precedence, highest first: marker arguments > the first matching budgets entry in the config
file > command-line flags > the config file's ``defaults`` > built-in defaults.
Every value is validated where it is read; errors name the file, line and key (or the test and
keyword for markers) and say what is valid. Nothing here imports pytest.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from .accept import AcceptSettings
from .configfile import ConfigError, KeyPath, RawConfig
from .paired import read_ignore
from .values import convert_value as convert_value  # re-exported: plugin.py reads it here

SUPPORTED_VERSION = 1
BUDGET_KEYS = ("energy", "carbon", "per", "tolerance", "repeats", "warmup", "threads", "meter")
DEFAULT_KEYS = (
    "repeats", "warmup", "tolerance", "session_noise", "meter", "region", "intensity", "pue",
    "watts_per_vcpu", "threads",
)  # fmt: skip
TOP_KEYS = ("version", "defaults", "budgets", "accept", "paired")


@dataclass(frozen=True)
class Defaults:
    """Session-wide values; built-in defaults here, documented in the README."""

    repeats: int = 3
    warmup: int = 1
    tolerance: float = 0.05
    # Between-session CV of a test's energy. None: each test gets its meter's default
    # (gate/noise.py), or its own from a baseline's history of runs; a value set here wins.
    session_noise: float | None = None
    meter: str = "auto"
    region: str | None = None
    intensity: float | None = None
    pue: float = 1.0
    watts_per_vcpu: float | None = None  # CPU-time model: overrides the coefficient table
    threads: int = 0  # BLAS/OpenMP threads during measured runs; 0: not limited


@dataclass(frozen=True)
class BudgetSpec:
    """What one marker or config entry asks for; None means "not said here"."""

    source: str
    energy_j: float | None = None
    carbon_g: float | None = None
    per: str | None = None
    tolerance: float | None = None
    repeats: int | None = None
    warmup: int | None = None
    threads: int | None = None  # 0: "unlimited", lifting a default limit
    meter: str | None = None  # the meter(s) the budget was set with, e.g. "cputime"

    @property
    def has_budget(self) -> bool:
        return self.energy_j is not None or self.carbon_g is not None


@dataclass(frozen=True)
class BudgetRule:
    """A config entry: which tests it selects (node-id glob or marker) and its spec."""

    spec: BudgetSpec
    match: str | None = None
    marker: str | None = None
    meter_at: str = ""  # 'greenbudget.yaml:9: budgets[0].meter', for the meter's name check


@dataclass(frozen=True)
class FileConfig:
    defaults: Mapping[str, Any] = field(default_factory=dict)
    rules: tuple[BudgetRule, ...] = ()
    source: str | None = None
    accept: AcceptSettings = field(default_factory=AcceptSettings)
    meter_at: str = ""  # where defaults.meter is set, e.g. 'greenbudget.yaml:2: defaults.meter'
    ignore: tuple[str, ...] = ()  # paired.ignore: changes that reach no test (settings/paired.py)

    @classmethod
    def from_raw(cls, raw: RawConfig | None) -> FileConfig:
        if raw is None:
            return cls()
        _check_keys(raw, (), raw.data, TOP_KEYS)
        _check_version(raw)
        defaults = _read_defaults(raw)
        budgets = raw.data.get("budgets", [])
        if not isinstance(budgets, list):
            raise raw.error(("budgets",), "must be a list of entries, each with match or marker")
        rules = tuple(_read_rule(raw, i, entry) for i, entry in enumerate(budgets))
        meter_at = raw.where(("defaults", "meter")) if "meter" in defaults else ""
        accept = AcceptSettings.from_raw(raw)
        return cls(defaults, rules, str(raw.path), accept, meter_at, ignore=read_ignore(raw))


@dataclass(frozen=True)
class Plan:
    """How one test is measured and judged."""

    repeats: int
    warmup: int
    tolerance: float
    budget: BudgetSpec | None  # None: measured and reported, no budget
    session_noise: float | None = None  # None: not set, the meter's default applies
    threads: int | None = None  # BLAS/OpenMP thread limit during its runs; None: no limit


# --- reading and validating values ---------------------------------------------------------


def _check_keys(raw: RawConfig, key: KeyPath, value: object, valid: tuple[str, ...]) -> None:
    if not isinstance(value, dict):
        raise raw.error(key, f"must be a mapping with keys {', '.join(valid)}")
    for name in value:
        if name not in valid:
            raise raw.error((*key, name), f"unknown key {name!r}; valid keys: {', '.join(valid)}")


def _check_version(raw: RawConfig) -> None:
    version = raw.data.get("version", SUPPORTED_VERSION)
    if version != SUPPORTED_VERSION or isinstance(version, bool):
        raise raw.error(("version",), f"unsupported version {version!r}; valid: 1")


def _read_defaults(raw: RawConfig) -> dict[str, Any]:
    section = raw.data.get("defaults", {})
    if section is None:
        return {}
    _check_keys(raw, ("defaults",), section, DEFAULT_KEYS)
    values = {k: _convert(raw, ("defaults", k), k, v) for k, v in section.items()}
    if "region" in values and "intensity" in values:
        raise raw.error(("defaults", "intensity"), "give region or intensity, not both")
    return values


def _read_rule(raw: RawConfig, index: int, entry: object) -> BudgetRule:
    key: KeyPath = ("budgets", index)
    _check_keys(raw, key, entry, ("match", "marker", *BUDGET_KEYS))
    assert isinstance(entry, dict)
    selectors = [s for s in ("match", "marker") if s in entry]
    if len(selectors) != 1:
        raise raw.error(key, "each budget entry needs exactly one of 'match' or 'marker'")
    selector = selectors[0]
    if not isinstance(entry[selector], str) or not entry[selector]:
        raise raw.error((*key, selector), f"{selector} must be a non-empty string")
    values = {k: _convert(raw, (*key, k), k, v) for k, v in entry.items() if k in BUDGET_KEYS}
    line = raw.where(key).split(": ")[0]
    spec = BudgetSpec(source=line, **_spec_fields(values))
    _check_per(spec, lambda msg: raw.error((*key, "per"), msg))
    _check_meter(spec, lambda msg: raw.error((*key, "meter"), msg))
    return BudgetRule(spec, meter_at=raw.where((*key, "meter")), **{selector: entry[selector]})


def _spec_fields(values: Mapping[str, Any]) -> dict[str, Any]:
    names = {"energy": "energy_j", "carbon": "carbon_g"}
    return {names.get(k, k): v for k, v in values.items()}


def _check_per(spec: BudgetSpec, error: Callable[[str], Exception]) -> None:
    if spec.per is not None and not spec.has_budget:
        raise error("'per' needs an energy or carbon budget to divide")


def _check_meter(spec: BudgetSpec, error: Callable[[str], Exception]) -> None:
    """A budget's ``meter`` names the meters whose figures it assumes; 'auto' names none."""
    if spec.meter is None:
        return
    if not spec.has_budget:
        raise error("'meter' says which meter a budget was set with; give energy or carbon too")
    parts = spec.meter.split("+")
    if "auto" in parts or "" in parts:
        raise error(
            f"meter {spec.meter!r} does not say which meter produced the figures; name it "
            "as the report's components do: cputime, rapl, nvml, codecarbon, or e.g. rapl+nvml"
        )
    if len(set(parts)) < len(parts):
        raise error(f"meter {spec.meter!r} names a meter twice; name each once, e.g. rapl+nvml")


def _convert(raw: RawConfig, key: KeyPath, name: str, value: object) -> Any:
    try:
        return convert_value(name, value)
    except (ValueError, TypeError) as exc:
        raise raw.error(key, str(exc)) from None


# --- resolution ------------------------------------------------------------------------------


def resolve_defaults(file: FileConfig, cli: Mapping[str, Any]) -> Defaults:
    """Built-in defaults < config file defaults < command-line flags."""
    merged = {**file.defaults, **{k: v for k, v in cli.items() if v is not None}}
    if merged.get("region") and "intensity" in file.defaults and "region" in cli:
        merged.pop("intensity")  # a region on the command line replaces the file's number
    return replace(Defaults(), **merged)


def marker_spec(
    args: tuple[object, ...], kwargs: Mapping[str, object], where: str, test: str
) -> BudgetSpec:
    """Validate ``@pytest.mark.greenbudget(...)`` arguments; ValueError names the test and
    the keyword. ``where`` is file:line (the budget's source), ``test`` the node id."""
    if args:
        raise ValueError(
            f"{test}: greenbudget marker takes keywords only "
            f"({', '.join(k + '=' for k in BUDGET_KEYS)}), got positional {args[0]!r}"
        )
    values: dict[str, Any] = {}
    for name, value in kwargs.items():
        if name not in BUDGET_KEYS:
            valid = ", ".join(BUDGET_KEYS)
            raise ValueError(f"{test}: unknown greenbudget marker keyword {name!r}; valid: {valid}")
        try:
            values[name] = convert_value(name, value)
        except ValueError as exc:
            raise ValueError(f"{test}: greenbudget marker keyword {name!r}: {exc}") from None
    spec = BudgetSpec(source=f"marker at {where}", **_spec_fields(values))
    _check_per(spec, lambda msg: ValueError(f"{test}: greenbudget marker: {msg}"))
    _check_meter(spec, lambda msg: ValueError(f"{test}: greenbudget marker: {msg}"))
    return spec


def glob_match(pattern: str, nodeid: str) -> bool:
    """``*`` any text, ``?`` one character; everything else literal, brackets included,
    because parametrize ids (``test_x[cpu-32]``) are what people select."""
    import re

    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, nodeid, flags=re.DOTALL) is not None


def make_plan(
    defaults: Defaults, rule: BudgetSpec | None, marker: BudgetSpec | None
) -> Plan | None:
    """Combine marker > file entry > defaults for one test; None when it is not budgeted."""
    if rule is None and marker is None:
        return None
    layers = [s for s in (marker, rule) if s is not None]

    def pick(name: str) -> Any:
        return next((getattr(s, name) for s in layers if getattr(s, name) is not None), None)

    budget = _merge_budget(layers)
    threads = pick("threads")
    return Plan(
        repeats=pick("repeats") or defaults.repeats,
        warmup=defaults.warmup if pick("warmup") is None else pick("warmup"),
        tolerance=defaults.tolerance if pick("tolerance") is None else pick("tolerance"),
        budget=budget,
        session_noise=defaults.session_noise,
        threads=(defaults.threads if threads is None else threads) or None,
    )


def _merge_budget(layers: list[BudgetSpec]) -> BudgetSpec | None:
    """The budget values come whole from the highest layer that sets any of them, so a
    marker's energy budget is never combined with a file's carbon budget by accident."""
    for spec in layers:
        if spec.has_budget:
            return spec
    return None


__all__ = ["ConfigError", "Defaults", "FileConfig", "Plan", "make_plan", "marker_spec"]


def own_files_collected(rule: BudgetRule, files: set[str], narrowed: bool) -> bool:
    """Could the entry have selected a collected test? Running one file must not warn about
    the entries for the others. A run that named no file or test id collected every file:
    an entry that selects nothing then is a typo, a renamed test or another rootdir. A
    narrowed run warns only about an entry whose file part (``test_x.py::...``) names a
    collected file, by path or, seen from another rootdir, by file name."""
    if not narrowed:
        return True
    if rule.match is None or "::" not in rule.match:
        return False  # a marker entry, or a glob without a file part: could be any file's
    own = rule.match.split("::", 1)[0]
    name = own.rsplit("/", 1)[-1]
    return any(glob_match(own, f) or glob_match(name, f.rsplit("/", 1)[-1]) for f in files)
