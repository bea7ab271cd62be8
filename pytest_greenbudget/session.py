"""State of one pytest session: settings, plans, probes, entries. The hooks delegate here.

Kept free of pytest imports: the hooks hand in what they read from pytest (options, markers,
node ids), which keeps this testable without running pytest.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import carbon, configfile, judge
from .meters.base import Meter, MeterDescription
from .probe import Probe, RunSample, run_repeated
from .results import CarbonSettings, Environment, Report, TestEntry
from .settings import BudgetSpec, Defaults, FileConfig, Plan, glob_match, make_plan

OPTION_NAMES = ("repeats", "warmup", "tolerance", "meter", "region")


@dataclass(frozen=True)
class Options:
    """The command-line flags that concern this plugin."""

    config: str | None = None
    report: str | None = None
    cli: Mapping[str, Any] = field(default_factory=dict)  # overrides of Defaults

    @classmethod
    def from_getoption(cls, getoption: Callable[[str], Any]) -> Options:
        cli = {name: getoption(f"greenbudget_{name}") for name in OPTION_NAMES}
        return cls(getoption("greenbudget_config"), getoption("greenbudget_report"), cli)


@dataclass(frozen=True)
class Settings:
    """Everything resolved once at configure time."""

    options: Options
    file: FileConfig
    defaults: Defaults
    carbon: CarbonSettings

    @classmethod
    def load(cls, options: Options, rootdir: Path) -> Settings:
        """Raises ConfigError / CarbonError with a message fit for a usage error."""
        file = FileConfig.from_raw(configfile.find_config(rootdir, options.config))
        defaults = _defaults(file, options)
        pue = defaults.pue
        return cls(options, file, defaults, carbon.carbon_settings(defaults.region, defaults.intensity, pue))


def _defaults(file: FileConfig, options: Options) -> Defaults:
    from .settings import resolve_defaults

    return resolve_defaults(file, options.cli)


class Run:
    """Mutable bookkeeping for one session."""

    def __init__(self, settings: Settings, meter: Meter) -> None:
        self.settings = settings
        self.meter = meter
        self.description: MeterDescription = meter.describe()
        self.plans: dict[str, Plan] = {}
        self.probes: dict[str, Probe] = {}
        self.entries: dict[str, TestEntry] = {}

    def plan(self, nodeid: str, marker: BudgetSpec | None, has_marker: Callable[[str], bool]) -> None:
        rule = self._rule_for(nodeid, has_marker)
        plan = make_plan(self.settings.defaults, rule, marker)
        if plan is not None:
            self.plans[nodeid] = plan

    def _rule_for(self, nodeid: str, has_marker: Callable[[str], bool]) -> BudgetSpec | None:
        for rule in self.settings.file.rules:
            if rule.match is not None and glob_match(rule.match, nodeid):
                return rule.spec
            if rule.marker is not None and has_marker(rule.marker):
                return rule.spec
        return None

    def probe(self, nodeid: str) -> Probe:
        """The fixture object; active only for planned tests."""
        meter = self.meter if nodeid in self.plans else None
        return self.probes.setdefault(nodeid, Probe(meter))

    def measure(self, nodeid: str, call: Callable[[], object]) -> TestEntry:
        plan = self.plans[nodeid]
        probe = self.probe(nodeid)
        samples: list[RunSample] = run_repeated(call, self.meter, probe, plan.warmup, plan.repeats)
        entry = judge.build_entry(nodeid, plan, samples, self.settings.carbon)
        self.entries[nodeid] = entry
        return entry

    def record_unmeasured(self, nodeid: str, outcome: str, reason: str) -> None:
        self.entries[nodeid] = judge.failed_entry(nodeid, self.plans[nodeid], outcome, reason)

    def report(self, environment: Environment) -> Report:
        now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        tests = tuple(self.entries.values())  # in the order the tests ran
        return Report(now, environment, self.settings.carbon, tests)
