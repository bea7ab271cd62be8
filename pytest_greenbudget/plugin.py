"""pytest hooks only; everything they do is delegated to the other modules.

Module-level hooks add options, hooks and the marker, then register ONE plugin object that
holds the session's state; nothing is stuck on ``config``.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # imported where used, so --help and --greenbudget-disable stay cheap
    from .measure.probe import Probe
    from .meters.base import Meter
    from .paired.controller import Paired
    from .paired.worker_session import PairedWorker
    from .report.model import Report
    from .session import Run
    from .settings.resolved import Settings

PLUGIN_NAME = "greenbudget-session"
OTHER_PROTOCOL = "not measured: another plugin's pytest_runtest_protocol ran this test"
MARKER = (
    "greenbudget(energy=None, carbon=None, per=None, tolerance=None, repeats=None, warmup=None, "
    "threads=None, meter=None): measure this test and hold it to an energy/carbon budget, "
    "e.g. energy='40 J'"
)


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from . import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


def pytest_addoption(parser: pytest.Parser) -> None:
    from .startup import add_options

    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER)
    if config.getoption("greenbudget_disable"):
        return
    from .cmdline import check_command_line
    from .startup import settings_wanted

    check_command_line(config)
    plugin = GreenBudgetPlugin(config)
    if settings_wanted(config):  # else nothing is read or built until a test is marked
        plugin.load_settings()
    config.pluginmanager.register(plugin, PLUGIN_NAME)


@pytest.fixture
def greenbudget(request: pytest.FixtureRequest) -> Probe:
    """``with greenbudget.measure():`` windows and ``greenbudget.work(n, unit)`` units."""
    from .measure.probe import Probe

    plugin = request.config.pluginmanager.get_plugin(PLUGIN_NAME)
    if not isinstance(plugin, GreenBudgetPlugin) or plugin.run is None:
        return Probe()  # plugin disabled: an inert probe keeps the test runnable
    return plugin.run.probe(request.node.nodeid)


class GreenBudgetPlugin:
    """The one registered plugin object; its hooks delegate to ``session.Run``."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self._settings: Settings | None = None  # read at configure, or at first need
        self.run: Run | None = None  # with its meter: built when a test is to be measured
        self.is_worker = hasattr(config, "workerinput")  # an xdist worker process
        self.workers: list[str] = []
        self.pending: list[str] = []  # notes from before the run existed (xdist controller)
        self.final: Report | None = None  # built once at session end, shown and written
        self.written: tuple[str, ...] = ()  # the report files written, named in the summary
        self.checked_collection = False  # xdist controller: config entries checked once
        self.collection_errors = 0
        self.paired: Paired | None = None  # --greenbudget-against: the side-by-side verdicts
        self.paired_error: str | None = None  # why the paired comparison could not run
        self.interrupted: str | None = None  # Ctrl-C or SIGTERM during the paired phase
        self.worker: PairedWorker | None = None  # this session serves a paired controller

    @property
    def settings(self) -> Settings:
        return self._settings or self.load_settings()

    def load_settings(self) -> Settings:
        from .startup import load_settings

        self._settings = load_settings(self.config)
        return self._settings

    def ensure_run(self) -> Run:
        """The session's Run and its meter, built at the first need: a test to measure, a
        worker's measurements, or a report to write."""
        if self.run is None:
            self.start()
        assert self.run is not None
        return self.run

    def start(self) -> None:
        from .startup import start_run

        self.run = start_run(self.config, self.settings, self.pending, warn=not self.is_worker)

    @pytest.hookimpl(trylast=True)
    def pytest_greenbudget_make_meter(self, config: pytest.Config, name: str) -> Meter:
        from .meters import make_builtin

        parallel = self.is_worker or bool(getattr(config.option, "numprocesses", None))
        return make_builtin(name, self.settings.meter_options(parallel))

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        marked = any(  # a marker, or the fixture: measured, without a budget unless one applies
            item.get_closest_marker("greenbudget")
            or "greenbudget" in getattr(item, "fixturenames", ())
            for item in items
        )
        if not marked and self._settings is None:
            return  # nothing marked, no config, no flag: nothing to measure, nothing built
        if not marked and not self.settings.file.rules and not self._outputs():
            return
        from .invocation import meter_check, narrowed, plan_items

        run = self.ensure_run()
        plan_items(run, items, meter_check(self.config, self, run))
        if not self.is_worker:  # an xdist controller hears of its workers' collection below
            self._warn(run.unused_entries(narrowed=narrowed(self.config)))

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        """xdist controller: entries that select none of the first worker's ids (all workers
        collect the same). Its ids are already deselected (-k, -m), so then it stays quiet."""
        option = self.config.option
        deselecting = option.keyword or option.markexpr or getattr(option, "deselect", None)
        no_entries = self._settings is None or not self.settings.file.rules
        if no_entries or self.checked_collection or deselecting:
            return
        self.checked_collection = True
        from .invocation import narrowed

        self._warn(self.ensure_run().unused_entries(ids, narrowed(self.config)))

    def _warn(self, lines: list[str]) -> None:
        for line in lines:
            self.config.issue_config_time_warning(pytest.PytestConfigWarning(line), 3)

    def pytest_ignore_collect(self, collection_path: Path) -> bool | None:
        """A paired worker collects and imports only the files of the tests in play."""
        listing = self.config.getoption("greenbudget_paired_files")
        if not listing:
            return None
        from .paired.worker_session import outside

        return outside(collection_path, self.config.rootpath, listing)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool | None:
        """A paired worker serves its controller instead of running the loop; a controller
        measures base and head side by side first, so verdicts are ready for its own loop."""
        fds = self.config.getoption("greenbudget_paired_worker")
        if fds:
            from .paired.worker_session import PairedWorker

            self.worker = PairedWorker(fds, self.ensure_run())
            self.worker.serve(session)
            return True
        ref = self.config.getoption("greenbudget_against")
        if ref is not None:
            self._measure_against(session, ref)
        return None

    def _measure_against(self, session: pytest.Session, ref: str) -> None:
        from .paired.phase import measure

        try:
            self.paired, self.paired_error = measure(session, ref, self.run)
        except KeyboardInterrupt:
            self.interrupted = "interrupted while measuring base and head side by side"
            raise

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None) -> object:
        """A budgeted test runs warmup + repeats whole times (fresh function fixtures), unless
        it was measured side by side: then pytest's own protocol runs it once, unmeasured."""
        if self.run is None or item.nodeid not in self.run.plans:
            return None  # pytest's own protocol
        from .invocation import setup_only

        if setup_only(item.config):
            return None
        if self.paired is not None and item.nodeid in self.paired.entries:
            return None
        from .budgeted import run_budgeted

        run_budgeted(item, nextitem, self.run)  # paired: new or not compared (Paired.settled)
        return True

    @pytest.hookimpl(wrapper=True, trylast=True)  # innermost: measure the test, not the hooks
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, object, object]:
        if self.run is None:  # nothing measured: protocol.py and its imports stay unloaded
            return (yield)
        from .measure.protocol import WINDOW

        if self.paired is not None and item.nodeid in self.paired.entries:
            from .paired.phase import paired_call

            return (yield from paired_call(self.run, self.paired, item.nodeid))
        window = item.stash.get(WINDOW, None)
        if window is None:
            if item.nodeid in self.run.plans:  # never in silence
                self.run.record_unmeasured(item.nodeid, "passed", OTHER_PROTOCOL)
            return (yield)
        from .measure.probe import MeterFailure
        from .measure.threads import ThreadLimitError

        probe = self.run.probe(item.nodeid)
        try:
            with self.run.thread_limit(item.nodeid):
                probe.begin_run(window.measured)
                result = yield
                window.sample = probe.end_run()
        except (MeterFailure, ThreadLimitError) as exc:
            pytest.fail(f"greenbudget: {exc}", pytrace=False)
        return result

    @pytest.hookimpl(tryfirst=True)  # on a worker, before xdist serialises the report
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """xdist: each test's finished entry travels to the controller with its logged
        teardown report, as soon as it is measured, so a worker that crashes later loses
        nothing. xdist sends a report's extra attributes along; TestReport takes them back."""
        if self.paired is not None:  # which compared tests the controller's own run reached
            self.paired.saw(report.nodeid, report.when, report.outcome)
        if report.when != "teardown":
            return
        if self.is_worker:
            entry = self.run.entries.get(report.nodeid) if self.run is not None else None
            if entry is not None:
                report.greenbudget_entry = entry.to_dict()  # type: ignore[attr-defined]
            return
        data = getattr(report, "greenbudget_entry", None)
        if data is not None:  # the controller's run starts with its first entry
            from .invocation import take_worker_entry

            take_worker_entry(self.ensure_run(), data, report.nodeid)

    def _outputs(self) -> bool:
        from .startup import outputs_wanted

        return outputs_wanted(self.config)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.run is None or not (self.run.entries or self.settings.baseline):
            return  # nothing measured: no report to show
        from .finish import show_summary

        report = self.final or self._report()
        if report is not None:
            verbose = self.config.get_verbosity() > 0
            show_summary(terminalreporter, report, verbose, self._noise_given(), self.written)

    def _noise_given(self) -> bool:
        """The user set session_noise (after measuring it, we trust): no advice to measure."""
        given = self.settings.options.cli.get("session_noise") is not None
        return given or "session_noise" in self.settings.file.defaults

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collection_errors += 1

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.run is None and self._outputs() and not self.is_worker:
            self.ensure_run()  # nothing measured, yet the report (or comparison) is asked for
        if self.run is None:
            if self.is_worker:
                self.config.workeroutput["greenbudget_idle"] = True  # type: ignore[attr-defined]
            return  # nothing measured, nothing asked for: session.py stays unloaded
        if self.worker is not None:  # the controller reports; a worker only measures
            return
        from .finish import incomplete_reason, write_outputs

        report_only = self.settings.options.report_only  # never fails the build
        if self.paired_error and session.exitstatus == 0 and not report_only:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED  # a gate that could not run
        why = incomplete_reason(session, exitstatus, self.collection_errors, self.interrupted)
        report = self.final = self._report(why)
        if report is None:
            return
        if self.is_worker:  # the controller writes the one report
            self.config.workeroutput["greenbudget"] = report.to_dict()  # type: ignore[attr-defined]
            return
        self.written = write_outputs(session, report, self.settings.options.report)

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:
        """xdist controller: take a worker's entries; a worker that sent none is named."""
        name = node.gateway.id
        self.workers.append(name)
        output = getattr(node, "workeroutput", {})
        data = output.get("greenbudget")
        if output.get("greenbudget_idle"):
            return  # that worker had nothing to measure
        notes = self.run.notes if self.run is not None else self.pending
        if data is None:  # its tests' entries came with their reports and are kept
            why = f"worker {name} ended without its final report (crashed?): {error or ''}"
            notes.append(why.rstrip(": "))
            return
        from .invocation import take_worker_report

        take_worker_report(self.ensure_run(), data, name)

    def pytest_unconfigure(self) -> None:
        if self.run is not None:
            self.run.meter.close()
            from .measure.heap import thaw

            thaw()  # the heap frozen between measured runs goes back to the collector

    def _report(self, incomplete: str | None = None) -> Report | None:
        if self.run is None:
            return None
        from .finish import final_report

        return final_report(self.config, self.run, self.workers, not self.is_worker, incomplete)
