"""Runs of one test item, each a whole setup/call/teardown with fresh function-scoped fixtures.

Re-running the body with the fixture values of the first run breaks real suites (a tmpdir
already holds the first run's files, a mock keeps counting), so every run goes through
pytest's own ``runtestprotocol``, as pytest-rerunfailures does. A run that the same item
follows tears down only the item itself (``nextitem=item.parent``): module, class and session
fixtures stay shared. Only the call phase is measured, by plugin.py's ``pytest_runtest_call``
wrapper, which finds the run's :class:`Window` in the item's stash; that works the same for
functions, unittest methods, doctests and async tests under their plugin.

May import pytest; holds no hooks.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest
from _pytest._code.code import ExceptionRepr
from _pytest.runner import CallInfo, runtestprotocol

from .probe import RunSample

if TYPE_CHECKING:
    from .session import Run

OUTCOMES = ("passed", "failed", "skipped", "xfailed", "xpassed", "error")
RERUN_NOTE = (
    "greenbudget re-runs the test with fresh function-scoped fixtures; "
    "module/session fixtures are shared"
)


@dataclass
class Window:
    """What run_once asks of the call phase, and the sample the call hook leaves in it."""

    measured: bool
    sample: RunSample | None = None


WINDOW = pytest.StashKey[Window]()


@dataclass(frozen=True)
class RunResult:
    """One whole run of an item; its reports were not logged."""

    reports: list[pytest.TestReport]
    sample: RunSample | None  # only when measured and the call passed
    outcome: str  # one of OUTCOMES
    threads_left: tuple[str, ...]  # started during the run and still alive after it

    @property
    def passed(self) -> bool:
        return self.outcome in ("passed", "xpassed")


def run_once(item: pytest.Item, nextitem: pytest.Item | None, *, measured: bool) -> RunResult:
    """One setup/call/teardown of ``item`` with fresh function-scoped fixtures, reports not
    logged. ``nextitem`` is the item that runs next, or None when this same item runs again:
    then teardown stops at ``item.parent``, keeping the fixtures of wider scope."""
    before = set(threading.enumerate())
    with _window(item, measured) as window:
        reports = runtestprotocol(item, log=False, nextitem=nextitem or item.parent)  # type: ignore[arg-type]
    called = any(r.when == "call" and r.passed for r in reports)
    sample = window.sample if measured and called else None
    left = tuple(t.name for t in threading.enumerate() if t not in before and t.is_alive())
    return RunResult(reports, sample, outcome_of(reports), left)


def finish(item: pytest.Item, nextitem: pytest.Item | None) -> pytest.TestReport | None:
    """After a last run that stopped at ``item.parent``, tear down what ``nextitem`` does not
    need (everything when it is None). Calls the setup state directly, not the teardown hooks
    again: plugins (logging, capture) expect those once per run. A report only on failure."""
    state = item.session._setupstate  # pytest's teardown does exactly this
    item._report_sections = []  # the report carries this teardown's output only
    call = CallInfo.from_call(lambda: state.teardown_exact(nextitem), when="teardown")
    if call.excinfo is None:
        return None
    return pytest.TestReport.from_item_and_call(item, call)


@contextmanager
def _window(item: pytest.Item, measured: bool) -> Iterator[Window]:
    window = item.stash[WINDOW] = Window(measured)
    # Captured output is kept on the item across runs; each run's reports carry only theirs.
    item._report_sections = []
    try:
        yield window
    finally:
        del item.stash[WINDOW]


def outcome_of(reports: list[pytest.TestReport]) -> str:
    """The outcome as pytest's summary counts it: a setup or teardown failure is an error."""
    setup = reports[0]
    if setup.failed:
        return "error"
    call = next((r for r in reports if r.when == "call"), setup)
    outcome = _status(call)
    teardown_failed = any(r.when == "teardown" and r.failed for r in reports)
    return "error" if teardown_failed and outcome != "failed" else outcome


def _status(report: pytest.TestReport) -> str:
    xfail = hasattr(report, "wasxfail")
    if report.skipped:
        return "xfailed" if xfail else "skipped"
    if report.failed:
        return "failed"
    return "xpassed" if xfail else "passed"


class Repeated:
    """The loop for a budgeted test: warm-up runs, then measured runs, stopping at the first
    run that does not pass. Keeps the run that decides the outcome: the first that did not
    pass, else the last."""

    def __init__(self, item: pytest.Item, nextitem: pytest.Item | None) -> None:
        self.item = item
        self.nextitem = nextitem
        self.torn_down = False  # the last run got the real nextitem
        self.runs = 0
        self.deciding: RunResult | None = None
        self.stopped_on: str | None = None  # e.g. "measured run 3 of 4"
        self.why: str | None = None  # why the test has no measurement, for its entry
        self.threads_left: list[str] = []

    def samples(self, warmup: int, repeats: int) -> list[RunSample] | None:
        """Session.Sampler: the measured runs' samples, or None when a run did not pass."""
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
        self.threads_left.extend(n for n in result.threads_left if n not in self.threads_left)
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
    def reason(self) -> str:
        return self.why or "not measured"

    def reports(self) -> list[pytest.TestReport]:
        """The deciding run's reports to log, its failures saying which run it was. After a
        stop before the last planned run, the wider fixtures are torn down here."""
        assert self.deciding is not None
        reports = list(self.deciding.reports)
        last_teardown = None if self.torn_down else finish(self.item, self.nextitem)
        if last_teardown is not None and not reports[-1].failed:
            reports[-1] = last_teardown  # a wider-scoped fixture's teardown error shows
        if self.runs > 1 and self.stopped_on:
            note = f"failed on {self.stopped_on} ({RERUN_NOTE})"
            for report in reports:
                _add_section(report, note)
        return reports


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


def fail_call(item: pytest.Item, reports: list[pytest.TestReport], message: str) -> None:
    """Turn the passing call report into the budget failure, shown as pytest.fail shows it."""
    call = next((r for r in reports if r.when == "call"), None)
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


def run_budgeted(item: pytest.Item, nextitem: pytest.Item | None, run: Run) -> None:
    """The protocol of a budgeted test: its runs, one entry, and the deciding run's reports
    logged once between logstart and logfinish."""
    ihook = item.ihook
    ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    repeated = Repeated(item, nextitem)
    entry = run.measure(item.nodeid, repeated.samples)
    if entry is None:
        run.record_unmeasured(item.nodeid, repeated.outcome, repeated.reason)
    reports = repeated.reports()
    if entry is not None and run.fails(entry):
        fail_call(item, reports, entry.message or entry.verdict or "")
    for report in reports:
        ihook.pytest_runtest_logreport(report=report)
    ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
