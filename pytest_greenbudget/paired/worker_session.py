"""The worker's end of a paired comparison: a pytest session that serves commands.

Started by the controller with ``--greenbudget-paired-worker=R,W``, it collects as usual, says
what it collected on fd W, then runs what it is told, one test run per command, and answers
with the outcome and, for a measured run, the sample. Between commands it waits on fd R, so it
is idle while the other side measures. Reports are not logged: the controller's own session
is the one that reports outcomes to the user.
"""

from __future__ import annotations

import functools
import json
import os
import random
import site
import sys
from pathlib import Path
from typing import IO, Any

import pytest

from ..measure.probe import Probe, RunSample
from ..measure.protocol import run_once
from ..session import Run
from .layout import BASE_TOP, HEAD_TOP, foreign_files, module_files, refusal
from .wire import SAME, TRACE_ENV, Outcome, Ready, WireError, decode_command, failure


class PairedWorker:
    """State of one worker session; the plugin's hooks delegate here."""

    def __init__(self, fds: tuple[int, int], run: Run) -> None:
        for fd in fds:  # a process a test starts must not hold the pipes open (or write on them)
            os.set_inheritable(fd, False)
        self._commands: IO[str] = open(fds[0], encoding="utf-8")  # noqa: SIM115 - lives with us
        self._answers: IO[str] = open(fds[1], "w", encoding="utf-8")  # noqa: SIM115
        self.run = run
        self._padding = layout_padding()
        self._coverage = _coverage() if os.environ.get(TRACE_ENV) else None
        self._checked: set[str] = set()  # the modules already found to be none of the head's

    def serve(self, session: pytest.Session) -> None:
        items = {item.nodeid: item for item in session.items}
        ready = Ready(tuple(items), tuple(self._budgeted(items)), tuple(_collect_errors(session)))
        if not self._own_code():
            return
        self._send(ready.encode())
        for line in self._commands:
            try:
                command = decode_command(line)
            except WireError as exc:
                self._send(failure(f"got a bad command: {exc}"))
                break
            if command is None:
                break
            item = items.get(command.nodeid)
            if item is None:
                self._send(failure(f"did not collect {command.nodeid}"))
                break
            following = command.next_id
            nextitem = None if following == SAME else items.get(following or "")
            if command.profile:
                from .profiling import profiled_run

                item.session._setupstate.teardown_exact(item)
                self.run.probes.setdefault(item.nodeid, Probe(self.run.meter))
                answer = profiled_run(item, nextitem).encode()
            else:
                answer = self._run(item, nextitem, command.measured).encode()
            if not self._own_code():  # a test body's lazy import counts too
                break
            self._send(answer)
        session._setupstate.teardown_exact(None)

    def _own_code(self) -> bool:
        """False, having said why, when the base imported a file of the head's: measuring the
        head's code on both sides reads "unchanged". Only modules new since the last look are
        checked: a set difference over sys.modules, after the run, outside its measurement."""
        head_top = os.environ.get(HEAD_TOP)
        if not head_top:
            return True
        names = set(sys.modules) - self._checked
        self._checked |= names
        files = module_files(sys.modules, names)
        foreign = foreign_files(head_top, files, _own_folders())
        if foreign:
            self._send(failure(refusal(foreign)))
        return not foreign

    def _budgeted(self, items: dict[str, pytest.Item]) -> list[str]:
        return [nodeid for nodeid in items if nodeid in self.run.plans]

    def _run(self, item: pytest.Item, nextitem: pytest.Item | None, measured: bool) -> Outcome:
        # A test left half torn down (its last run said "same", then it was dropped) must not
        # trip the next item's setup.
        item.session._setupstate.teardown_exact(item)
        self.run.probes.setdefault(item.nodeid, Probe(self.run.meter))  # budgeted or not here
        if self._coverage is not None:  # the scout's traced run (scout.py): unmeasured
            self.run.probes[item.nodeid] = TracingProbe(self._coverage, item.nodeid)
        result = run_once(item, nextitem, measured=measured)
        if self._coverage is not None:  # a failed call never reached end_run
            self._coverage.switch_context("")
        outcome = "passed" if result.passed else result.outcome
        sample = result.sample if result.sample and measured else None
        message = _message(result.reports) if outcome != "passed" else ""
        return Outcome(outcome, sample, message)

    def _send(self, line: str) -> None:
        self._answers.write(line)
        self._answers.flush()


class TracingProbe(Probe):
    """The scout's probe: coverage's context is the node id for the call phase only, so a
    fixture's set-up (a session fixture runs in whichever test needs it first) counts for
    every test, never for one."""

    def __init__(self, coverage: Any, nodeid: str) -> None:
        super().__init__(None)
        self._coverage = coverage
        self._nodeid = nodeid

    def begin_run(self, measured: bool) -> None:
        super().begin_run(measured)
        self._coverage.switch_context(self._nodeid)

    def end_run(self) -> RunSample | None:
        self._coverage.switch_context("")
        return super().end_run()


def _coverage() -> Any:
    """The Coverage object of ``python -m coverage run``; a worker without one is a bug."""
    import coverage

    current = coverage.Coverage.current()
    if current is None:
        raise RuntimeError(f"{TRACE_ENV} is set but coverage is not running")
    return current


@functools.lru_cache(maxsize=4)
def _wanted(listing: str) -> frozenset[str]:
    with open(listing, encoding="utf-8") as handle:
        return frozenset(json.load(handle))


def outside(path: Path, rootdir: Path, listing: str) -> bool | None:
    """True for a file, or a folder, that holds none of the files the controller listed
    (relative to the rootdir): the worker then neither imports it nor its conftest.py. None
    (pytest decides) for everything else, and outside the rootdir."""
    try:
        rel = path.relative_to(rootdir).as_posix()
    except ValueError:
        return None
    wanted = _wanted(listing)
    if rel in wanted or rel == ".":
        return None
    if path.is_dir():
        return None if any(w.startswith(rel + "/") for w in wanted) else True
    return True


def layout_padding() -> list[bytes]:
    """Blocks of random number and size, kept for the session: where the tests' objects and
    arrays land then differs from process to process. Head and base otherwise allocate the
    same way except for their paths' lengths, a fixed difference that put a steady +3.7%
    between the sides of a sub-millisecond A/A test over 60 rounds; random, it is noise."""
    count = random.randrange(1, 2048)
    blocks = [bytes(random.randrange(1, 512)) for _ in range(count)]  # the small-object pools
    blocks.append(bytes(random.randrange(1, 1 << 17)))  # malloc's heap, under mmap's threshold
    return blocks


def _message(reports: list[pytest.TestReport]) -> str:
    """The first failure's one-line reason, e.g. 'AssertionError: broken on base'."""
    for report in reports:
        if report.failed:
            crash = getattr(report.longrepr, "reprcrash", None)
            lines = str(crash.message if crash else report.longreprtext).strip().splitlines()
            where = f"in {report.when}: " if report.when != "call" else ""
            return where + (lines[0][:200] if lines else "failed")
    return ""


def _own_folders() -> list[str]:
    """Where the base may import from even inside the head's folder: its worktree, the
    plugin (the same instrument on both sides), the interpreter's (a ``.venv`` there)."""
    folders = [os.environ.get(BASE_TOP, ""), str(Path(__file__).parents[1])]
    folders += [sys.prefix, sys.exec_prefix, sys.base_prefix, *site.getsitepackages()]
    return folders


def _collect_errors(session: pytest.Session) -> list[str]:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return []
    errors = []
    for report in reporter.stats.get("error", []):
        lines = str(report.longrepr).strip().splitlines()
        errors.append(f"collection error in {report.nodeid}: {lines[-1] if lines else ''}")
    return errors
