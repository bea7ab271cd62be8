"""Runs of one test item, each a whole setup/call/teardown with fresh function-scoped fixtures.

Re-running the body with the fixture values of the first run breaks real suites (a tmpdir
already holds the first run's files, a mock keeps counting), so every run goes through
pytest's own ``runtestprotocol``, as pytest-rerunfailures does. A run that the same item
follows tears down only the item itself (``nextitem=item.parent``): module, class and session
fixtures stay shared. Only the call phase is measured, by plugin.py's ``pytest_runtest_call``
wrapper, which finds the run's :class:`Window` in the item's stash; that works the same for
functions, unittest methods, doctests and async tests under their plugin.

May import pytest; holds no hooks. The loop for a budgeted test, built on run_once, is in
budgeted.py.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
from _pytest.runner import CallInfo, runtestprotocol

from .isolation import Held, isolated, merged
from .probe import RunSample

OUTCOMES = ("passed", "failed", "skipped", "xfailed", "xpassed", "error")


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
    sample: RunSample | None  # only when measured, the call passed and the test is planned
    outcome: str  # one of OUTCOMES
    threads_left: tuple[str, ...]  # started during the run and still alive after it
    held: Held = field(default_factory=Held)  # logged or counted during it: subtests

    @property
    def passed(self) -> bool:
        return self.outcome in ("passed", "xpassed")


def run_once(item: pytest.Item, nextitem: pytest.Item | None, *, measured: bool) -> RunResult:
    """One setup/call/teardown of ``item`` with fresh function-scoped fixtures, reports not
    logged. ``nextitem`` is the item that runs next, or None when this same item runs again:
    then teardown stops at ``item.parent``, keeping the fixtures of wider scope."""
    before = set(threading.enumerate())
    _restore_doctest_globals(item)
    with _window(item, measured) as window, isolated(item) as held:
        reports = runtestprotocol(item, log=False, nextitem=nextitem or item.parent)  # type: ignore[arg-type]
    if nextitem is None:
        _drop_instance(item)
    called = any(r.when == "call" and r.passed for r in reports)
    sample = window.sample if measured and called else None
    left = tuple(t.name for t in threading.enumerate() if t not in before and t.is_alive())
    reports = merged(reports, held)
    return RunResult(reports, sample, outcome_of(reports, held.failed_subtests), left, held)


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


_DOCTEST_GLOBALS = pytest.StashKey[dict[str, object]]()


def _restore_doctest_globals(item: pytest.Item) -> None:
    """pytest's doctest runner clears a doctest's globals after each run; a re-run needs the
    module's names back."""
    dtest = getattr(item, "dtest", None)
    if dtest is None:  # not a doctest: leave doctest unimported (7 ms in every process)
        return
    import doctest

    if not isinstance(dtest, doctest.DocTest):
        return
    saved = item.stash.setdefault(_DOCTEST_GLOBALS, dict(dtest.globs))
    dtest.globs.update(saved)


def _drop_instance(item: pytest.Item) -> None:
    """A test method's class instance is cached on the item; the next run gets a new one, so
    state kept on ``self`` does not outlive the run (unittest items drop theirs already)."""
    if isinstance(item, pytest.Function) and "_instance" in vars(item):
        del item._instance
        item._obj = None


@contextmanager
def _window(item: pytest.Item, measured: bool) -> Iterator[Window]:
    window = item.stash[WINDOW] = Window(measured)
    # Captured output is kept on the item across runs; each run's reports carry only theirs.
    item._report_sections = []
    try:
        yield window
    finally:
        del item.stash[WINDOW]


def outcome_of(reports: list[pytest.TestReport], failed_subtests: int = 0) -> str:
    """The outcome as pytest's summary counts it: a setup or teardown failure is an error;
    a passing test whose ``subtests`` failed (pytest 9's fixture counts them) failed."""
    setup = reports[0]
    if setup.failed:
        return "error"
    calls = [r for r in reports if r.when == "call"]  # the test's own last, its subtests' first
    outcome = _status(calls[-1] if calls else setup)
    if outcome == "passed" and failed_subtests:
        outcome = "failed"  # pytest 9 fails it too ("contains 1 failed subtest")
    teardown_failed = any(r.when == "teardown" and r.failed for r in reports)
    return "error" if teardown_failed and outcome != "failed" else outcome


def _status(report: pytest.TestReport) -> str:
    xfail = hasattr(report, "wasxfail")
    if report.skipped:
        return "xfailed" if xfail else "skipped"
    if report.failed:
        return "failed"
    return "xpassed" if xfail else "passed"
