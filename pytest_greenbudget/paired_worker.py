"""The worker's end of a paired comparison: a pytest session that serves commands.

Started by the controller with ``--greenbudget-paired-worker=R,W``, it collects as usual, says
what it collected on fd W, then runs what it is told, one test run per command, and answers
with the outcome and, for a measured run, the sample. Between commands it waits on fd R, so it
is idle while the other side measures. Reports are not logged: the controller's own session
is the one that reports outcomes to the user.
"""

from __future__ import annotations

import json
from collections.abc import Generator
from typing import IO, Any

import pytest
from _pytest.runner import runtestprotocol

from . import probe as probe_mod
from .pairing import sample_to_dict
from .session import Run

SAME = "same"


class PairedWorker:
    """State of one worker session; the plugin's hooks delegate here."""

    def __init__(self, fds: tuple[int, int], run: Run) -> None:
        self._commands: IO[str] = open(fds[0], encoding="utf-8")  # noqa: SIM115 - lives with us
        self._answers: IO[str] = open(fds[1], "w", encoding="utf-8")  # noqa: SIM115
        self.run = run
        self._measured: bool | None = None  # None: no run in progress
        self._sample: probe_mod.RunSample | None = None

    def serve(self, session: pytest.Session) -> None:
        items = {item.nodeid: item for item in session.items}
        self._send(type="ready", collected=list(items), budgeted=self._budgeted(items),
                   errors=_collect_errors(session))  # fmt: skip
        for line in self._commands:
            command = json.loads(line)
            if command.get("cmd") != "run":
                break
            item = items[command["id"]]
            following = command.get("next")
            nextitem = item.parent if following == SAME else items.get(following or "")
            self._send(**self._run(item, nextitem, bool(command["measured"])))
        session._setupstate.teardown_exact(None)

    def _budgeted(self, items: dict[str, pytest.Item]) -> list[str]:
        return [nodeid for nodeid in items if nodeid in self.run.plans]

    def _run(self, item: pytest.Item, nextitem: Any, measured: bool) -> dict[str, Any]:
        # A test left half torn down (its last run said "same", then it was dropped) must not
        # trip the next item's setup.
        item.session._setupstate.teardown_exact(item)
        self._measured, self._sample = measured, None
        try:
            reports = runtestprotocol(item, nextitem=nextitem, log=False)
        finally:
            self._measured = None
        outcome, message = _outcome(reports)
        sample = sample_to_dict(self._sample) if self._sample and outcome == "passed" else None
        return {"type": "result", "outcome": outcome, "sample": sample, "message": message}

    def pyfunc_call(self, item: pytest.Function) -> Generator[None, object, object]:
        """Wrap the body so that this run is one window of the meter (or an unmeasured one)."""
        if self._measured is None:
            return (yield)
        original = item.obj
        probe = self.run.probes.setdefault(item.nodeid, probe_mod.Probe(self.run.meter))
        measured, meter = self._measured, self.run.meter

        def once(*args: object, **kwargs: object) -> None:
            probe._begin(measured=measured)
            token = probe_mod.start(meter) if measured else None
            original(*args, **kwargs)
            if measured:
                self._sample = probe._end(probe_mod.stop(meter, token))

        item.obj = once
        try:
            return (yield)
        finally:
            item.obj = original

    def _send(self, **message: Any) -> None:
        self._answers.write(json.dumps(message) + "\n")
        self._answers.flush()

    def fail(self, message: str) -> None:
        self._send(type="error", message=message)


def _outcome(reports: list[pytest.TestReport]) -> tuple[str, str]:
    for report in reports:
        if report.failed:
            crash = getattr(report.longrepr, "reprcrash", None)
            lines = str(crash.message if crash else report.longreprtext).strip().splitlines()
            where = f"in {report.when}: " if report.when != "call" else ""
            return "failed", where + (lines[0][:200] if lines else "failed")
    if any(report.skipped for report in reports):
        return "skipped", ""
    return "passed", ""


def _collect_errors(session: pytest.Session) -> list[str]:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return []
    errors = []
    for report in reporter.stats.get("error", []):
        lines = str(report.longrepr).strip().splitlines()
        errors.append(f"collection error in {report.nodeid}: {lines[-1] if lines else ''}")
    return errors
