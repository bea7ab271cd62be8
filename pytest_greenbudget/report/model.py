"""The versioned JSON report: one document describes one run.

Dataclasses mirror the JSON one to one (documented field by field in the README). Nothing
here imports the rest of the package: every stage shares this vocabulary. Reading and
validating is ``decode.py``'s, writing (atomic) ``io.py``'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

# 1.1: tests[].session_noise; 1.2: paired baselines, incomplete runs; 1.3: thread limits
# (tests[].threads, environment.threads), tests[].notes, budget.meter; 1.4:
# tests[].noise_source and tests[].runs_j (a baseline's history of runs); 1.5: tests[].accepted
# and tests[].accepted_reason (an acknowledged regression keeps its verdict), tests[].runs_from
# (when and at which commit each run of a history was made), baseline.floors,
# tests[].components.*.processes (the processes the CPU-time model counted), the verdict
# "unaffected" and the report's "impact" (the changed files a paired run decided on),
# tests[].profile_diff (where a paired regression's or improvement's cost moved); 1.6:
# tests[].profile_diff.your_code (the project's own functions the change went through); 1.7:
# environment.devices (which physical GPU measured each component)
SCHEMA_VERSION = "1.7"
VERDICTS = (
    "ok",
    "over-budget",
    "regressed",
    "improved",
    "unchanged",
    "inconclusive",
    "new",
    "missing",
    "unaffected",
)


# What a report may hold: a reading beyond it is a unit bug, not an energy.
MIN_ENERGY_J, MAX_ENERGY_J = 1e-15, 1e15


class ReportError(ValueError):
    """A report file is unreadable or malformed; the message names the file and key."""


@dataclass(frozen=True)
class Component:
    energy_j: float
    provenance: str  # "measured" | "estimated"
    meter: str
    note: str | None = None
    processes: int | None = None  # processes counted (the CPU-time model); None: machine-wide


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
    # paired: (head J, base J) floor per round, the figures the ratio is of (their geometric
    # means divide to it exactly); reports before 1.5 carry none
    floors: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True)
class RunOrigin:
    """When, and at which commit, one run of a baseline history was made."""

    created_utc: str
    commit: str | None = None


@dataclass(frozen=True)
class ProfileLine:
    """One function's cost in the profiled pass of each side, in the diff's unit."""

    function: str  # "fit", "Model.predict", "{method 'sum' of 'numpy.ndarray' objects}"
    where: str  # "src/pkg/model.py:12" (the head's line, else the base's), "~" for built-ins
    head: float
    base: float

    @property
    def change(self) -> float:
        return self.head - self.base


@dataclass(frozen=True)
class ProfileDiff:
    """Where a paired regression's (or improvement's) cost moved: the functions whose cost
    changed most between one profiled, unmeasured pass of each side (cProfile, own time)."""

    unit: str  # "J": CPU-time model joules; "share": share of the profiled time (other meters)
    functions: tuple[ProfileLine, ...]  # largest change first, at most 10
    cost_s: float  # wall seconds the profiled passes of this test took, both sides
    note: str = ""  # what the figures are, in words
    # the project's own functions the change went through: inclusive time (what they called
    # included), same unit, largest change first, at most 3; the test function left out
    your_code: tuple[ProfileLine, ...] = ()


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
    # Where session_noise came from: "setting" (the user's), "meter default (cputime)",
    # "history of N runs". Reports before 1.4 carry only a setting (or the old 25% default).
    noise_source: str = "setting"
    runs_j: tuple[float, ...] = ()  # baseline history: this test's median per run, newest first
    runs_from: tuple[RunOrigin, ...] = ()  # each of runs_j's runs: its time and commit
    # A regression someone acknowledged (a PR label, the config's accept list): the verdict
    # stays "regressed", so history is honest, but it does not fail. Only with that verdict.
    accepted: bool = False
    accepted_reason: str | None = None  # who or what accepted it, and why
    profile_diff: ProfileDiff | None = None  # paired regressed/improved: where it moved

    def noted(self, note: str) -> TestEntry:
        """This entry with ``note`` added to its message."""
        return replace(self, message=f"{self.message}; {note}" if self.message else note)

    def to_dict(self) -> dict[str, Any]:
        """JSON-shaped data, as an xdist worker sends it to the controller."""
        data: dict[str, Any] = _jsonable(asdict(self))
        return data


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
    devices: Mapping[str, str] = field(default_factory=dict)  # component -> GPU UUID (1.7)


@dataclass(frozen=True)
class CarbonSettings:
    intensity_g_per_kwh: float
    source: str
    pue: float
    region: str | None = None


@dataclass(frozen=True)
class Impact:
    """--greenbudget-against: the changes the paired run decided which tests to pair on."""

    ref: str
    commit: str
    considered: tuple[str, ...] = ()  # changed since REF (untracked files included)
    ignored: tuple[str, ...] = ()  # changed, but matched by the config's paired.ignore
    unaffected: int = 0  # tests no considered change reached: not paired, not measured
    every_test: str | None = None  # why every test was paired, when one reason covers all


@dataclass(frozen=True)
class Report:
    created_utc: str
    environment: Environment
    carbon: CarbonSettings
    tests: tuple[TestEntry, ...]
    schema_version: str = SCHEMA_VERSION
    incomplete: bool = False  # interrupted, collection errors, --co: not a full baseline
    incomplete_reason: str | None = None
    impact: Impact | None = None  # paired runs only

    def to_dict(self) -> dict[str, Any]:
        """JSON-shaped data (lists, not tuples), as read back from the file or sent by xdist."""
        data: dict[str, Any] = _jsonable(asdict(self))
        return {"schema_version": data.pop("schema_version"), **data}

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
