"""State of one pytest session: settings, plans, probes, entries. The hooks delegate here.

Kept free of pytest imports: the hooks hand in what they read from pytest (options, markers,
node ids), which keeps this testable without running pytest.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .gate import budget as judge
from .gate.accept import Acceptance, blocking
from .gate.compare import (
    INCOMPARABLE,
    compare_reports,
    disjoint_warning,
    fingerprint_differences,
    missing_entries,
)
from .gate.merge import baseline_of
from .measure.probe import Probe, RunSample
from .measure.threads import thread_limit
from .meters.base import Meter, MeterOptions
from .report.io import read_report
from .report.model import CarbonSettings, Environment, Impact, Report, TestEntry
from .settings import carbon, configfile
from .settings.plans import (
    BudgetRule,
    BudgetSpec,
    Defaults,
    FileConfig,
    Plan,
    glob_match,
    make_plan,
    resolve_defaults,
)

# (warmup, repeats) -> the measured runs' samples, or None when a run did not pass
Sampler = Callable[[int, int], "list[RunSample] | None"]

OPTION_NAMES = ("repeats", "warmup", "tolerance", "session_noise", "meter", "region", "threads")


@dataclass(frozen=True)
class Options:
    """The command-line flags that concern this plugin."""

    config: str | None = None
    report: str | None = None
    baseline: tuple[str, ...] = ()  # one report, or several runs of the base (a history)
    gate_incomparable: bool = False
    cli: Mapping[str, Any] = field(default_factory=dict)  # overrides of Defaults

    @classmethod
    def from_getoption(cls, getoption: Callable[[str], Any]) -> Options:
        cli = {name: getoption(f"greenbudget_{name}") for name in OPTION_NAMES}
        return cls(
            getoption("greenbudget_config"),
            getoption("greenbudget_report"),
            tuple(getoption("greenbudget_baseline") or ()),
            bool(getoption("greenbudget_gate_incomparable")),
            cli,
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
        """Raises ConfigError / CarbonError / ReportError with a message for a usage error."""
        file = FileConfig.from_raw(configfile.find_config(rootdir, options.config))
        defaults = resolve_defaults(file, options.cli)
        grid = carbon.carbon_settings(defaults.region, defaults.intensity, defaults.pue)
        return cls(options, file, defaults, grid, load_baseline(options.baseline))

    def meter_options(self, parallel: bool) -> MeterOptions:
        d = self.defaults
        return MeterOptions(attribute=parallel, country=d.region, watts_per_vcpu=d.watts_per_vcpu)


def load_baseline(paths: tuple[str, ...]) -> Report | None:
    """One base report as it is; several are runs of the base, joined into one history.
    Raises ReportError / MergeError (ValueErrors) naming the file at fault."""
    return baseline_of([read_report(path) for path in paths], paths)


CONFIRMED = "confirmed by a second measurement"
NOT_CONFIRMED = "a first measurement flagged a regression that a second one did not confirm"


class Run:
    """Mutable bookkeeping for one session."""

    def __init__(self, settings: Settings, meter: Meter, environment: Environment) -> None:
        self.settings = settings
        self.meter = meter
        self.environment = replace(environment, threads=settings.defaults.threads or None)
        self.plans: dict[str, Plan] = {}
        self.probes: dict[str, Probe] = {}
        self.entries: dict[str, TestEntry] = {}
        self.notes: list[str] = []
        self.impact: Impact | None = None  # --greenbudget-against: the changes it decided on
        self.selecting: set[int] = set()  # config entries that selected a collected test
        self.seen: list[str] = []  # collected node ids, in order
        self.comparable, self.gating = self._gating()
        self.rootdir = Path.cwd()
        self._acceptance: Acceptance | None = None

    def _gating(self) -> tuple[bool, bool]:
        """Whether the baseline came from a comparable machine, and whether it may fail tests."""
        base = self.settings.baseline
        if base is None:
            return True, False
        differences = fingerprint_differences(base.environment, self.environment)
        if differences:
            self.notes.append(f"{INCOMPARABLE}: " + "; ".join(differences))
        return not differences, not differences or self.settings.options.gate_incomparable

    def plan(
        self, nodeid: str, marker: BudgetSpec | None, has_marker: Callable[[str], bool]
    ) -> None:
        self.seen.append(nodeid)
        rule = self._rule_for(nodeid, has_marker)
        plan = make_plan(self.settings.defaults, rule, marker)
        if plan is not None:
            self.plans[nodeid] = plan

    def _rule_for(self, nodeid: str, has_marker: Callable[[str], bool]) -> BudgetSpec | None:
        chosen = None
        for index, rule in enumerate(self.settings.file.rules):
            if _selects(rule, nodeid, has_marker):
                self.selecting.add(index)  # every entry that selects it, for unused_entries
                chosen = chosen or rule.spec
        return chosen

    def unused_entries(self, nodeids: Sequence[str] | None = None) -> list[str]:
        """One line per config entry that selects none of the collected tests. ``nodeids``:
        an xdist controller's collected ids, where markers are unknown (glob entries only)."""
        rules = self.settings.file.rules
        if nodeids is not None:
            used = {i for i, r in enumerate(rules) if r.match is None}
            used |= {i for i, r in enumerate(rules) for n in nodeids if _selects(r, n, _no)}
        else:
            used, nodeids = self.selecting, self.seen
        example = f"; collected ids look like {nodeids[0]!r}" if nodeids else ""
        return [
            f"greenbudget: the budget entry at {rule.spec.source} "
            f"({'match' if rule.match else 'marker'}: {rule.match or rule.marker!r}) "
            f"selects none of the collected tests{example}"
            for i, rule in enumerate(rules)
            if i not in used
        ]

    def thread_limit(self, nodeid: str) -> AbstractContextManager[None]:
        """BLAS/OpenMP pools limited as the test's plan says, around each run's call phase
        (warm-up runs too); entered before the meter starts, so its cost is not measured."""
        plan = self.plans.get(nodeid)
        return thread_limit(plan.threads if plan else None)

    def probe(self, nodeid: str) -> Probe:
        """The fixture object; active only for planned tests."""
        meter = self.meter if nodeid in self.plans else None
        return self.probes.setdefault(nodeid, Probe(meter))

    def measure(self, nodeid: str, take: Sampler) -> TestEntry | None:
        """Measure, judge against budget and baseline; a flagged regression is measured once
        more and only fails when the second measurement flags it too. None when a run did
        not pass (the caller records why)."""
        first = self._measure_once(nodeid, take)
        if first is None:
            return None
        entry = self._against_baseline(first)
        if blocking(entry) and self.gating:
            second = self._measure_once(nodeid, take)
            if second is None:
                return None
            again = self._against_baseline(second)
            confirmed = again.verdict == "regressed"
            entry = again.noted(CONFIRMED if confirmed else NOT_CONFIRMED)
        entry = self.accepted(entry)
        self.entries[nodeid] = entry
        return entry

    def fails(self, entry: TestEntry) -> bool:
        if entry.verdict == "over-budget":
            return True
        per_test = entry.baseline is None or entry.baseline.comparable  # e.g. thread limits
        gate_anyway = self.settings.options.gate_incomparable
        return blocking(entry) and self.gating and (per_test or gate_anyway)

    def accepted(self, entry: TestEntry) -> TestEntry:
        """A regression the pull request's label or the config's accept list acknowledges
        is marked accepted (it keeps its verdict and does not fail). Git and the event file
        are read once, at the first regression."""
        if entry.verdict != "regressed":
            return entry
        if self._acceptance is None:
            self._acceptance = self._read_acceptance()
            self.notes.extend(self._acceptance.notes)
        return self._acceptance.apply(entry)

    def _read_acceptance(self) -> Acceptance:
        import os

        from .github.actions import ActionsEnv, ActionsError
        from .paired.commits import head_in_range

        try:
            env = ActionsEnv.from_environ(os.environ)
        except ActionsError:  # greenbudget comment reports it; the tests need no event
            env = ActionsEnv()
        accept = self.settings.file.accept
        return Acceptance.from_settings(
            accept, env.labels(), env.pr_number(), lambda rule: head_in_range(self.rootdir, rule)
        )

    def _measure_once(self, nodeid: str, take: Sampler) -> TestEntry | None:
        plan = self.plans[nodeid]
        samples = take(plan.warmup, plan.repeats)
        if samples is None:
            return None
        return judge.build_entry(nodeid, plan, samples, self.settings.carbon)

    def _against_baseline(self, entry: TestEntry) -> TestEntry:
        base = self.settings.baseline
        if base is None:
            return entry
        head = Report("", self.environment, self.settings.carbon, (entry,))
        gate = self.settings.options.gate_incomparable
        return compare_reports(base, head, gate_incomparable=gate).report.tests[0]

    def add_worker_entries(self, tests: tuple[TestEntry, ...]) -> None:
        """xdist: the controller collects what each worker measured."""
        for entry in tests:
            self.entries[entry.nodeid] = entry

    def adopt_paired(
        self,
        entries: Mapping[str, TestEntry],
        missing: list[TestEntry],
        notes: list[str],
        impact: Impact | None = None,
    ) -> None:
        """--greenbudget-against: the side-by-side verdicts gate, like a comparable baseline."""
        self.gating = True
        self.impact = impact
        self.entries.update((nodeid, self.accepted(e)) for nodeid, e in entries.items())
        self.entries.update((entry.nodeid, entry) for entry in missing)
        self.notes.extend(notes)

    def record_unmeasured(self, nodeid: str, outcome: str, reason: str) -> None:
        self.entries[nodeid] = judge.failed_entry(nodeid, self.plans[nodeid], outcome, reason)

    def settle(self, nodeid: str, outcome: str, notes: list[str]) -> None:
        """The outcome pytest reports for the test (xpassed, or an error from a teardown
        after the measured runs), and notes about its runs, on its entry."""
        entry = self.entries[nodeid]
        message = "; ".join(m for m in (entry.message, *notes) if m) or None
        self.entries[nodeid] = replace(entry, outcome=outcome, message=message)

    def report(
        self, environment: Environment, whole_run: bool = True, incomplete: str | None = None
    ) -> Report:
        """The run's report. Only the whole run (not one xdist worker's share of it) can say
        which baseline tests went missing. ``incomplete``: why not every test ran."""
        now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        env = replace(environment, notes=(*environment.notes, *self.notes))
        tests = tuple(self.entries.values())
        report = Report(
            now, env, self.settings.carbon, tests,
            incomplete=incomplete is not None, incomplete_reason=incomplete, impact=self.impact,
        )  # fmt: skip
        base = self.settings.baseline
        if base is None or not whole_run:
            return report
        disjoint = disjoint_warning(base, report)
        if disjoint:
            env = replace(env, notes=(*env.notes, *disjoint))
        return replace(report, environment=env, tests=report.tests + missing_entries(base, report))


def incomplete_reason(
    *,
    no_call: str | None,
    collection_errors: int,
    interrupted: bool,
    internal_error: bool,
    stopped: object,
) -> str | None:
    """Why a session did not run every collected test, or None when it did. ``no_call``: the
    option that runs no test body (--collect-only, --setup-only, --setup-plan). ``stopped`` is
    pytest's session.shouldfail or shouldstop (a message, True, or False)."""
    if no_call:
        return f"{no_call}: no test ran"
    if collection_errors:
        return f"{collection_errors} collection error{'s' if collection_errors > 1 else ''}"
    if internal_error:
        return "pytest stopped on an internal error"
    message = stopped if isinstance(stopped, str) else "stopped early" if stopped else None
    if interrupted:
        return f"interrupted ({message})" if message else "interrupted"
    return message


def _selects(rule: BudgetRule, nodeid: str, has_marker: Callable[[str], bool]) -> bool:
    if rule.match is not None:
        return glob_match(rule.match, nodeid)
    return rule.marker is not None and has_marker(rule.marker)


def _no(_: str) -> bool:
    return False
