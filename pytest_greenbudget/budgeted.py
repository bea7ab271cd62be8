"""The protocol of a budgeted test, built on protocol.run_once: warm-up runs, then measured
runs, one report entry, and pytest's reports of the run that decides the outcome.

May import pytest; holds no hooks (plugin.py's pytest_runtest_protocol calls run_budgeted).
Flaky-rerun plugins: a test that pytest-rerunfailures may re-run gets that many more attempts
of the whole series here (its own protocol never runs for a budgeted test); a failed attempt
is logged as pytest-rerunfailures logs one ("rerun"), and its readings are named in the entry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from _pytest._code.code import ExceptionRepr

from .measure.isolation import replay
from .measure.probe import RunSample
from .measure.protocol import RunResult, finish, outcome_of, run_once
from .meters.processes import processes_of
from .units import format_energy

if TYPE_CHECKING:
    from .report.model import TestEntry
    from .session import Run

RERUN_NOTE = (
    "greenbudget re-runs the test with fresh function-scoped fixtures; "
    "module/session fixtures are shared"
)


class Repeated:
    """One series of runs, stopping at the first run that does not pass. Keeps the run that
    decides the outcome (the first that did not pass, else the last) and every reading."""

    def __init__(self, item: pytest.Item, nextitem: pytest.Item | None) -> None:
        self.item = item
        self.nextitem = nextitem
        self.torn_down = False  # the last run got the real nextitem
        self.runs = 0
        self.deciding: RunResult | None = None
        self.stopped_on: str | None = None  # e.g. "measured run 3 of 4"
        self.why: str | None = None  # why the test has no figure, for its entry
        self.readings: list[float] = []  # measured runs' joules, named if the series fails
        self.threads_left: list[str] = []

    def samples(self, warmup: int, repeats: int) -> list[RunSample] | None:
        """The measured runs' samples, or None when a run did not pass."""
        for number in range(1, warmup + 1):
            if self._run(False, f"warm-up run {number} of {warmup}", False) is None:
                return None
        samples = []
        for number in range(1, repeats + 1):
            label = f"measured run {number} of {repeats}"
            result = self._run(True, label, number == repeats)
            if result is None:
                return None
            if result.sample is None:  # passed, yet the call hook measured nothing
                self.why = f"{label} passed but its call phase was not measured"
                return None
            samples.append(result.sample)
        return samples

    def _run(self, measured: bool, label: str, last: bool) -> RunResult | None:
        # The last planned run tears down for the real next item. Should a regression
        # confirmation follow, its runs set the wider fixtures up again, as pytest would.
        nextitem = self.nextitem if last else None
        result = self.deciding = run_once(self.item, nextitem, measured=measured)
        self.torn_down = last
        self.runs += 1
        if result.sample is not None:
            self.readings.append(result.sample.reading.energy_j)
        if measured:
            self.threads_left += [n for n in result.threads_left if n not in self.threads_left]
        if result.passed and not _stopping(self.item):
            return result
        self.stopped_on = label
        self.why = (
            f"the session stopped after {label}; not measured"
            if result.passed
            else f"{result.outcome} on {label}; not measured"
        )
        return None

    @property
    def outcome(self) -> str:
        return self.deciding.outcome if self.deciding else "error"

    @property
    def failed(self) -> bool:
        return self.outcome in ("failed", "error")

    def reason(self) -> str:
        why = self.why or "not measured"
        if self.readings:
            why += f"; the measured runs before it read {_joules(self.readings)}"
        return why

    def reports(self) -> list[pytest.TestReport]:
        """The deciding run's reports to log, its failures saying which run it was. After a
        stop before the last planned run, the wider fixtures are torn down here."""
        assert self.deciding is not None
        replay(self.item, self.deciding.held)
        reports = list(self.deciding.reports)
        last_teardown = None if self.torn_down else finish(self.item, self.nextitem)
        if last_teardown is not None and not reports[-1].failed:
            reports[-1] = last_teardown  # a wider-scoped fixture's teardown error shows
        if self.runs > 1 and self.stopped_on:
            note = f"failed on {self.stopped_on} ({RERUN_NOTE})"
            for report in reports:
                _add_section(report, note)
        return reports

    def settled_outcome(self, reports: list[pytest.TestReport]) -> str:
        """The outcome of the reports that get logged (a budget failure included)."""
        held = self.deciding.held.failed_subtests if self.deciding else 0
        return outcome_of(reports, held)

    def notes(self) -> list[str]:
        if not self.threads_left:
            return []
        names = ", ".join(self.threads_left)
        return [f"threads still running after a measured run: {names} (not measured after it)"]


def run_budgeted(item: pytest.Item, nextitem: pytest.Item | None, run: Run) -> None:
    """The protocol of a budgeted test: its runs, one entry, and the deciding run's reports
    logged once between logstart and logfinish."""
    ihook = item.ihook
    ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    attempts = 1 + _flaky_reruns(item)
    earlier: list[str] = []
    for attempt in range(1, attempts + 1):
        repeated = Repeated(item, nextitem)
        entry = measure(item.nodeid, run, repeated)
        if entry is not None or attempt == attempts or not repeated.failed:
            break
        earlier.append(_log_rerun(item, repeated, attempt))
    if entry is None:
        run.record_unmeasured(item.nodeid, repeated.outcome, repeated.reason())
    reports = repeated.reports()
    if entry is not None and run.fails(entry):
        fail_call(item, reports, entry.message or entry.verdict or "")
    # Settled before logging: under xdist the entry travels with the logged teardown report.
    notes = earlier + repeated.notes() + _left_running(run)
    run.settle(item.nodeid, repeated.settled_outcome(reports), notes)
    for report in reports:
        ihook.pytest_runtest_logreport(report=report)
    if attempts > 1:
        item.execution_count = attempt  # type: ignore[attr-defined]  # for --fail-on-flaky
    ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)


def _left_running(run: Run) -> list[str]:
    """Processes the test's calls started that outlive it (a daemon, a server): named on this
    test, and from now on not billed to the tests that follow."""
    tree = processes_of(run.meter)
    left = tree.settle() if tree else ()
    if not left:
        return []
    return [
        f"processes still running after the test: {', '.join(left)} (not billed to later tests)"
    ]


def measure(nodeid: str, run: Run, repeated: Repeated) -> TestEntry | None:
    """Measure and judge; a flagged regression is measured once more and only fails when the
    second measurement flags it too. None when a run did not pass (the caller says why)."""
    plan = run.plans[nodeid]
    samples = repeated.samples(plan.warmup, plan.repeats)
    if samples is None:
        return None
    entry = run.judge(nodeid, samples)
    if run.needs_confirming(entry):
        samples = repeated.samples(plan.warmup, plan.repeats)
        if samples is None:
            return None
        entry = run.confirmed(run.judge(nodeid, samples))
    return run.keep(entry)


def fail_call(item: pytest.Item, reports: list[pytest.TestReport], message: str) -> None:
    """Turn the passing call report into the budget failure, shown as pytest.fail shows it."""
    # The test's own call report: subtests' reports come before it.
    call = next((r for r in reversed(reports) if r.when == "call"), None)
    if call is None:
        return
    try:
        pytest.fail(message, pytrace=False)
    except pytest.fail.Exception:
        excinfo = pytest.ExceptionInfo.from_current()
    call.outcome = "failed"
    call.longrepr = item.repr_failure(excinfo)
    if hasattr(call, "wasxfail"):
        del call.wasxfail  # an over-budget xpass is a failure, not an xpass


def _flaky_reruns(item: pytest.Item) -> int:
    """How often pytest-rerunfailures would re-run this test (0 without it)."""
    plugin: Any = item.config.pluginmanager.get_plugin("rerunfailures")
    if plugin is None or not hasattr(plugin, "get_reruns_count"):
        return 0
    return int(plugin.get_reruns_count(item) or 0)


def _log_rerun(item: pytest.Item, failed: Repeated, attempt: int) -> str:
    """Log a failed attempt as pytest-rerunfailures does (its failing report, as "rerun") and
    let the next attempt set up afresh; returns the entry's note about the attempt."""
    assert failed.deciding is not None
    for report in failed.deciding.reports:
        if report.failed:
            report.outcome = "rerun"  # type: ignore[assignment]
            item.ihook.pytest_runtest_logreport(report=report)
            break
    plugin: Any = item.config.pluginmanager.get_plugin("rerunfailures")
    for name in (
        "_remove_cached_results_from_failed_fixtures",
        "_remove_failed_setup_state_from_session",
    ):
        cleanup = getattr(plugin, name, None)
        if cleanup is not None:  # a failed wider fixture is set up again, not its error replayed
            cleanup(item)
    note = f"attempt {attempt}: {failed.why or 'failed'} (re-run as flaky)"
    if failed.readings:
        note += f"; its readings {_joules(failed.readings)} are not in the figure"
    return note


def _joules(readings: list[float]) -> str:
    return "[" + ", ".join(format_energy(r) for r in readings) + "]"


def _stopping(item: pytest.Item) -> bool:
    return bool(item.session.shouldstop or item.session.shouldfail)


def _add_section(report: pytest.TestReport, note: str) -> None:
    if not report.failed:
        return
    longrepr = report.longrepr
    if isinstance(longrepr, ExceptionRepr):
        longrepr.addsection("greenbudget", note)
    elif isinstance(longrepr, str):
        report.longrepr = f"{longrepr}\n{note}"
