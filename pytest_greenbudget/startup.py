"""What the plugin builds, and when: settings at configure when there is something to read,
the meter only when a test is to be measured. Kept out of plugin.py (hooks only).

An unmarked suite with no config file and no greenbudget flag imports this module, plugin.py,
hookspecs.py and configfile.py, and nothing else of ours: no session, judge, settings, results
or meter module, and no meter is built (benchmarks/bench_overhead.py measures what that costs).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .meters.base import Meter
    from .results import Environment
    from .session import Settings

# Flags that ask for settings (and their validation) even when no test is marked.
FLAGS = (
    "config", "meter", "repeats", "warmup", "tolerance", "session_noise", "region", "report",
    "html", "baseline", "gate_incomparable", "threads",
)  # fmt: skip
OUTPUTS = ("report", "html", "baseline")  # written or compared even when nothing is measured


def settings_wanted(config: pytest.Config) -> bool:
    """A flag or a config file: read the settings now, so their errors stop the run early."""
    if any(config.getoption(f"greenbudget_{name}") for name in FLAGS):
        return True
    from .configfile import ConfigError, find_config

    try:
        return find_config(config.rootpath, config.getoption("greenbudget_config")) is not None
    except ConfigError as exc:
        raise pytest.UsageError(f"greenbudget: {exc}") from None


def outputs_wanted(config: pytest.Config) -> bool:
    return any(config.getoption(f"greenbudget_{name}") for name in OUTPUTS)


def load_settings(config: pytest.Config) -> Settings:
    """Settings from the flags and the config file, after the path flags are checked; every
    problem is a one-line usage error."""
    from .cmdline import path_problem
    from .configfile import ConfigError
    from .session import Options, Settings
    from .untrusted import printable

    problem = path_problem(config)
    if problem:
        raise pytest.UsageError(f"greenbudget: {problem}")
    options = Options.from_getoption(config.getoption)
    try:
        return Settings.load(options, config.rootpath)
    except (ConfigError, ValueError) as exc:  # ReportError and CarbonError are ValueErrors
        raise pytest.UsageError(f"greenbudget: {printable(exc)}") from None


def make_meter(config: pytest.Config, name: str, workers: int | None) -> tuple[Meter, Environment]:
    """The meter from the hook, checked, and the environment it describes; every failure is
    a one-line usage error."""
    from .environment import gather
    from .meters.base import Meter, MeterUnavailable

    try:
        meter = config.hook.pytest_greenbudget_make_meter(config=config, name=name)
    except MeterUnavailable as exc:
        raise pytest.UsageError(f"greenbudget: meter {name!r}: {exc}") from None
    if not isinstance(meter, Meter):
        raise pytest.UsageError(
            f"greenbudget: pytest_greenbudget_make_meter returned {meter!r} for meter "
            f"{name!r}, which is not a meter (it needs name, start, stop, describe, close)"
        )
    try:
        description = meter.describe()
    except Exception as exc:
        raise pytest.UsageError(f"greenbudget: meter {name!r} failed: {exc!r}") from None
    return meter, gather(description, pytest.__version__, workers)
