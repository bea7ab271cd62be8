"""Settings resolved once per session: the flags that concern the plugin (``Options``) and
what they and the config file resolve to (``Settings``). Pure: no pytest; the plugin hands in
``config.getoption``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..meters.base import MeterOptions
from ..report.model import CarbonSettings, Report
from . import carbon, configfile
from .plans import Defaults, FileConfig, resolve_defaults

OPTION_NAMES = ("repeats", "warmup", "tolerance", "session_noise", "meter", "region", "threads")


@dataclass(frozen=True)
class Options:
    """The command-line flags that concern this plugin."""

    config: str | None = None
    report: str | None = None
    baseline: tuple[str, ...] = ()  # one report, or several runs of the base (a history)
    gate_incomparable: bool = False
    cli: Mapping[str, Any] = field(default_factory=dict)  # overrides of Defaults
    report_only: bool = False  # verdicts reported, never failing a test (adopting budgets)

    @classmethod
    def from_getoption(cls, getoption: Callable[[str], Any]) -> Options:
        cli = {name: getoption(f"greenbudget_{name}") for name in OPTION_NAMES}
        return cls(
            getoption("greenbudget_config"),
            getoption("greenbudget_report"),
            tuple(getoption("greenbudget_baseline") or ()),
            bool(getoption("greenbudget_gate_incomparable")),
            cli,
            bool(getoption("greenbudget_report_only")),
        )


@dataclass(frozen=True)
class Settings:
    """Everything resolved once at configure time."""

    options: Options
    file: FileConfig
    defaults: Defaults
    carbon: CarbonSettings
    baseline: Report | None = None

    @classmethod
    def load(cls, options: Options, rootdir: Path) -> Settings:
        """Raises ConfigError / CarbonError with a message for a usage error. The baseline
        report is read by the run's side (session.load_baseline) and added with_baseline."""
        file = FileConfig.from_raw(configfile.find_config(rootdir, options.config))
        defaults = resolve_defaults(file, options.cli)
        grid = carbon.carbon_settings(defaults.region, defaults.intensity, defaults.pue)
        return cls(options, file, defaults, grid)

    def with_baseline(self, baseline: Report | None) -> Settings:
        return replace(self, baseline=baseline)

    def meter_options(self, parallel: bool) -> MeterOptions:
        d = self.defaults
        return MeterOptions(attribute=parallel, country=d.region, watts_per_vcpu=d.watts_per_vcpu)
