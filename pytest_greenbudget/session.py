"""State of one pytest session: settings, plans, probes, entries. The hooks delegate here.

Kept free of pytest imports: the hooks hand in what they read from pytest (options, markers,
node ids), which keeps this testable without running pytest.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace

from .gate import budget
from .gate.accept import Acceptance, blocking
from .gate.compare import (
    INCOMPARABLE,
    compare_reports,
    disjoint_warning,
    fingerprint_differences,
    missing_entries,
)
from .gate.devices import moved_devices, moved_warning
from .gate.merge import baseline_of
from .measure.probe import Probe, RunSample
from .measure.threads import thread_limit
from .meters.base import Meter
from .report.io import read_report
from .report.model import Environment, Impact, Report, TestEntry
from .settings.plans import (
    BudgetRule,
    BudgetSpec,
    Plan,
    glob_match,
    make_plan,
    own_files_collected,
)
from .settings.resolved import Settings


def load_baseline(paths: tuple[str, ...]) -> Report | None:
    """One base report as it is; several are runs of the base, joined into one history.
    Raises ReportError / MergeError (ValueErrors) naming the file at fault."""
    return baseline_of([read_report(path) for path in paths], paths)


CONFIRMED = "confirmed by a second measurement"
NOT_CONFIRMED = "a first measurement flagged a regression that a second one did not confirm"
NOT_COMPARED = "not compared side by side: the comparison could not run (see the run's notes)"


class Run:
    """Mutable bookkeeping for one session."""

    def __init__(
        self,
        settings: Settings,
        meter: Meter,
        environment: Environment,
        read_acceptance: Callable[[], Acceptance] | None = None,
    ) -> None:
        self.settings = settings
        self.meter = meter
        self.environment = replace(environment, threads=settings.defaults.threads or None)
        self.plans: dict[str, Plan] = {}
        self.probes: dict[str, Probe] = {}
        self.entries: dict[str, TestEntry] = {}
        self.notes: list[str] = []
        self.impact: Impact | None = None  # --greenbudget-against: the changes it decided on
        self.at_end: Callable[[TestEntry], TestEntry] | None = None  # paired: Paired.settled
        self.uncompared: str | None = None  # why --greenbudget-against could not compare
        self.selecting: set[int] = set()  # config entries that selected a collected test
        self.seen: list[str] = []  # collected node ids, in order
        self.comparable, self.gating = self._gating()
        # Reads the pull request's labels and the config's accept list (startup.py gives it;
        # the event file and git are read once, at the first regression).
        self.read_acceptance = read_acceptance
        self._acceptance: Acceptance | None = None

    def _gating(self) -> tuple[bool, bool]:
        """Whether the baseline came from a comparable machine, and whether it may fail tests."""
        base = self.settings.baseline
        if base is None:
            return True, False
        differences = fingerprint_differences(base.environment, self.environment)
        if differences:
            self.notes.append(f"{INCOMPARABLE}: " + "; ".join(differences))
        moved = moved_devices(base.environment, self.environment)
        self.notes.extend(moved_warning(moved, self.settings.defaults.session_noise is not None))
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

    def unused_entries(
        self, nodeids: Sequence[str] | None = None, narrowed: bool = False
    ) -> list[str]:
        """One line per config entry that selects none of the collected tests, when its own
        files were collected. ``nodeids``: an xdist controller's collected ids, where markers
        are unknown (glob entries only); ``narrowed``: the command line named files or ids."""
        rules = self.settings.file.rules
        if nodeids is not None:
            used = {i for i, r in enumerate(rules) if r.match is None}
            used |= {i for i, r in enumerate(rules) for n in nodeids if _selects(r, n, _no)}
        else:
            used, nodeids = self.selecting, self.seen
        files = {n.split("::", 1)[0] for n in nodeids}
        example = f"; collected ids look like {nodeids[0]!r}" if nodeids else ""
        return [
            f"greenbudget: the budget entry at {rule.spec.source} "
            f"({'match' if rule.match else 'marker'}: {rule.match or rule.marker!r}) "
            f"selects none of the collected tests{example}"
            for i, rule in enumerate(rules)
            if i not in used and own_files_collected(rule, files, narrowed)
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

    def judge(self, nodeid: str, samples: list[RunSample]) -> TestEntry:
        """One measurement's entry: judged against the budget, then the baseline."""
        entry = budget.build_entry(nodeid, self.plans[nodeid], samples, self.settings.carbon)
        return self._against_baseline(entry)

    def needs_confirming(self, entry: TestEntry) -> bool:
        """A flagged regression fails only when a second measurement flags it too."""
        return blocking(entry) and self.gating

    def confirmed(self, again: TestEntry) -> TestEntry:
        """The second measurement's entry, saying whether it confirmed the first."""
        return again.noted(CONFIRMED if again.verdict == "regressed" else NOT_CONFIRMED)

    def keep(self, entry: TestEntry) -> TestEntry:
        """Store the test's final entry, marked accepted where a regression is acknowledged."""
        entry = self.entries[entry.nodeid] = self.accepted(entry)
        return entry

    def fails(self, entry: TestEntry) -> bool:
        if self.settings.options.report_only:  # adopting budgets: verdicts shown, never failed
            return False
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
            if self.read_acceptance is None:
                return entry
            self._acceptance = self.read_acceptance()
            self.notes.extend(self._acceptance.notes)
        return self._acceptance.apply(entry)

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
        settle: Callable[[TestEntry], TestEntry] | None = None,
    ) -> None:
        """--greenbudget-against: the side-by-side verdicts gate, like a comparable baseline.
        ``settle``: each entry as the session ends (what the controller's own run said)."""
        self.gating = True
        self.impact = impact
        self.at_end = settle
        self.entries.update((nodeid, self.accepted(e)) for nodeid, e in entries.items())
        self.entries.update((entry.nodeid, entry) for entry in missing)
        self.notes.extend(notes)

    def record_unmeasured(self, nodeid: str, outcome: str, reason: str) -> None:
        self.entries[nodeid] = budget.failed_entry(nodeid, self.plans[nodeid], outcome, reason)

    def settle(self, nodeid: str, outcome: str, notes: list[str]) -> None:
        """The outcome pytest reports for the test (xpassed, or an error from a teardown
        after the measured runs), and notes about its runs, on its entry."""
        entry = self.entries[nodeid]
        message = "; ".join(m for m in (entry.message, *notes) if m) or None
        self.entries[nodeid] = replace(entry, outcome=outcome, message=message)

    def _judged_alone(self, entry: TestEntry) -> TestEntry:
        """With --greenbudget-against, a test is ok only once compared: when the comparison
        could not run, within budget is not enough, so never "ok" (the run fails for it)."""
        if self.uncompared is None or entry.verdict not in ("ok", "new", "unchanged"):
            return entry
        return replace(entry.noted(NOT_COMPARED), verdict="inconclusive")

    def report(
        self, environment: Environment, whole_run: bool = True, incomplete: str | None = None
    ) -> Report:
        """The run's report. Only the whole run (not one xdist worker's share of it) can say
        which baseline tests went missing. ``incomplete``: why not every test ran."""
        now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        env = replace(environment, notes=(*environment.notes, *self.notes))
        at_end = self.at_end or (lambda entry: entry)
        tests = tuple(self._judged_alone(at_end(e)) for e in self.entries.values())
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
