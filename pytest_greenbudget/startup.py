"""What the plugin does at start-up: the command-line options it adds (one group, every flag
prefixed, ``type=`` callables reusing the config file's validation), then what it builds, and
when: settings at configure when there is something to read, the meter only when a test is to
be measured. Kept out of plugin.py (hooks only).

An unmarked suite with no config file and no greenbudget flag imports this module, plugin.py,
hookspecs.py, cmdline.py (its checks import nothing of ours up front) and
settings/configfile.py, and nothing else of ours: no session, budget, plans,
report or meter module, and no meter is built (benchmarks/bench_overhead.py measures what that
costs).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .gate.accept import Acceptance
    from .meters.base import Meter
    from .report.model import Environment
    from .session import Run
    from .settings.resolved import Settings

# Flags that ask for settings (and their validation) even when no test is marked.
FLAGS = (
    "config", "meter", "repeats", "warmup", "tolerance", "session_noise", "region", "report",
    "html", "baseline", "gate_incomparable", "threads", "report_only",
)  # fmt: skip
REPORT_ONLY = "report-only (--greenbudget-report-only): budgets and regressions are judged and reported, and never fail a test"  # noqa: E501
OUTPUTS = ("report", "html", "baseline")  # written or compared even when nothing is measured


def settings_wanted(config: pytest.Config) -> bool:
    """A flag or a config file: read the settings now, so their errors stop the run early."""
    if any(config.getoption(f"greenbudget_{name}") for name in FLAGS):
        return True
    from .settings.configfile import ConfigError, find_config

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
    from .report.untrusted import printable
    from .session import load_baseline
    from .settings.configfile import ConfigError
    from .settings.resolved import Options, Settings

    problem = path_problem(config)
    if problem:
        raise pytest.UsageError(f"greenbudget: {problem}")
    options = Options.from_getoption(config.getoption)
    try:
        settings = Settings.load(options, config.rootpath)
        return settings.with_baseline(load_baseline(options.baseline))
    except (ConfigError, ValueError) as exc:  # ReportError and CarbonError are ValueErrors
        raise pytest.UsageError(f"greenbudget: {printable(exc)}") from None


def make_meter(
    config: pytest.Config, settings: Settings, workers: int | None
) -> tuple[Meter, Environment]:
    """The meter from the hook, checked, and the environment it describes; every failure is
    a one-line usage error, naming where the meter was chosen."""
    from .measure.environment import gather
    from .meters.base import Meter, MeterUnavailable

    name = settings.defaults.meter
    given = settings.options.cli.get("meter")
    where = (
        "--greenbudget-meter: "
        if given
        else settings.file.meter_at + ": " * bool(settings.file.meter_at)
    )
    try:
        meter = config.hook.pytest_greenbudget_make_meter(config=config, name=name)
    except MeterUnavailable as exc:
        raise pytest.UsageError(f"greenbudget: {where}meter {name!r}: {exc}") from None
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


# --- the command-line options -------------------------------------------------------------


def start_run(config: pytest.Config, settings: Settings, pending: list[str], warn: bool) -> Run:
    """The session's Run with its meter; the meter's notes (e.g. RAPL unreadable: the figure
    is estimated, and the fix) become one warning each where ``warn`` (not per xdist worker)."""
    from .invocation import xdist_workers
    from .session import Run

    meter, env = make_meter(config, settings, xdist_workers(config))
    run = Run(settings, meter, env, lambda: read_acceptance(settings, config.rootpath))
    run.notes.extend(pending)
    if settings.options.report_only:
        run.notes.append(REPORT_ONLY)
    if warn:
        for note in env.notes:
            config.issue_config_time_warning(pytest.PytestConfigWarning(note), 3)
    return run


def read_acceptance(settings: Settings, rootdir: Path) -> Acceptance:
    """Regressions acknowledged for this run: the pull request's label (from the Actions
    event file) and the config's accept entries whose commit range holds HEAD."""
    from .gate.accept import Acceptance
    from .github.actions import ActionsEnv, ActionsError
    from .paired.commits import head_in_range

    try:
        env = ActionsEnv.from_environ(os.environ)
    except ActionsError:  # greenbudget comment reports it; the tests need no event
        env = ActionsEnv()
    in_range = partial(head_in_range, rootdir)
    return Acceptance.from_settings(settings.file.accept, env.labels(), env.pr_number(), in_range)


def _parser(name: str) -> Callable[[str], Any]:
    """A flag's ``type=``, importing settings/flags.py only when a value is parsed: an
    unmarked run that gives no greenbudget flag imports nothing it would not use."""

    def parse(text: str) -> Any:
        from .settings import flags

        return getattr(flags, name)(text)

    return parse


def _setting(name: str) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        from .settings.flags import flag_type

        return flag_type(name)(text)

    return parse


def add_options(parser: pytest.Parser) -> None:
    flag_type = _setting
    duration_option, fds_option = _parser("duration_option"), _parser("fds_option")
    rounds_option, seconds_option = _parser("rounds_option"), _parser("seconds_option")
    pairs_option = _parser("pairs_option")
    group = parser.getgroup("greenbudget", "energy budgets (pytest-greenbudget)")
    add = group.addoption
    add(
        "--greenbudget-config",
        metavar="PATH",
        help="budget file (default: greenbudget.yaml, "
        "greenbudget.yml or [tool.greenbudget] in pyproject.toml at the rootdir)",
    )
    add(
        "--greenbudget-meter",
        metavar="NAME",
        type=flag_type("meter"),
        help="meter: auto (default), cputime, rapl, nvml, codecarbon, or a plugin's",
    )
    add(
        "--greenbudget-repeats",
        metavar="N",
        type=flag_type("repeats"),
        help="measured runs of each budgeted test (default 3)",
    )
    add(
        "--greenbudget-warmup",
        metavar="N",
        type=flag_type("warmup"),
        help="unmeasured runs before them (default 1)",
    )
    add(
        "--greenbudget-tolerance",
        metavar="PCT",
        type=flag_type("tolerance"),
        help="regression tolerance, e.g. 5%% (default 5%%)",
    )
    add(
        "--greenbudget-session-noise",
        metavar="PCT",
        type=flag_type("session_noise"),
        help="between-session CV of energy on this machine (default: per meter, e.g. 25%% "
        "for cputime, 0.5%% for nvml; measure yours with `greenbudget noise`)",
    )
    add(
        "--greenbudget-region",
        metavar="ISO3",
        type=flag_type("region"),
        help="grid region for gCO2e, ISO 3166 alpha-3 (e.g. FRA)",
    )
    add(
        "--greenbudget-threads",
        metavar="N",
        type=flag_type("threads"),
        help="limit BLAS/OpenMP thread pools to N threads during measured runs "
        "(through threadpoolctl; 'unlimited' lifts a config default)",
    )
    add("--greenbudget-report", metavar="PATH", help="write the JSON report here")
    add("--greenbudget-html", metavar="PATH", help="write the self-contained HTML report here")
    add(
        "--greenbudget-baseline",
        metavar="PATH",
        action="append",
        help="a report from the base branch: fail tests whose energy regressed; repeat it "
        "with several runs of the base to judge each test by its own noise between them",
    )
    add(
        "--greenbudget-against",
        metavar="REF",
        help="measure the base REF (branch, tag, commit) side by side with the working tree "
        "in this job and fail tests whose energy regressed",
    )
    add(
        "--greenbudget-against-python",
        metavar="PATH",
        help="interpreter for the base side (a prepared venv, e.g. with its extensions built)",
    )
    add(
        "--greenbudget-against-rounds",
        metavar="N[:MAX]",
        type=rounds_option,
        help="rounds of fresh base and head processes before the first look (default 2), "
        "and the cap (default 10): from the first look on, a test leaves as soon as it is "
        "decided, hopeless, or looks unchanged but slow to show it",
    )
    add(
        "--greenbudget-against-pairs",
        metavar="N",
        type=pairs_option,
        help="measured pairs per test in every round (default: 4; a test whose first 2 "
        "pairs lay within 4%% takes 2 in its first round and 1 in each later one)",
    )
    add(
        "--greenbudget-against-all",
        action="store_true",
        help="pair every budgeted test, also those no changed file reaches ('unaffected')",
    )
    add(
        "--greenbudget-against-time",
        metavar="DURATION",
        type=duration_option,
        help="start no round that would end past this wall time, e.g. 10m (then: inconclusive)",
    )
    add(
        "--greenbudget-against-skip-empty",
        action="store_true",
        help="an empty --greenbudget-against (an unset variable) runs without the paired gate, "
        "with a note, instead of a usage error",
    )
    add(
        "--greenbudget-against-timeout",
        metavar="SECONDS",
        type=seconds_option,
        help="the most one run of a test may take on either side before the gate gives up on "
        "that test (default: 10x the head's slowest run of it, at least 60 s)",
    )
    add(
        "--greenbudget-against-git-timeout",
        metavar="SECONDS",
        type=seconds_option,
        help="the most one git call of the paired gate may take, e.g. a checkout that fetches "
        "Git LFS files (default 120)",
    )
    add("--greenbudget-paired-worker", type=fds_option, help=argparse.SUPPRESS)
    add("--greenbudget-paired-files", help=argparse.SUPPRESS)  # a worker collects only these
    add(
        "--greenbudget-gate-incomparable",
        action="store_true",
        help="gate on a baseline even when it came from another machine or meter, or ran "
        "with another worker count or thread limit",
    )
    add(
        "--greenbudget-report-only",
        action="store_true",
        help="measure, judge and report as usual, but never fail a test for its budget or a "
        "regression (while a team adopts budgets)",
    )
    add(
        "--greenbudget-disable",
        action="store_true",
        help="run the tests without measuring or enforcing any budget",
    )
