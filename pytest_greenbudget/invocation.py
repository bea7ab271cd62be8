"""What the hooks read from pytest's config, session and items, and how they write to the
terminal: small helpers kept out of plugin.py so that it holds hooks only."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .session import Run

MeterCheck = Callable[[str | None, str], None]  # (a budget's meter:, where it is set)


def xdist_workers(config: pytest.Config) -> int | None:
    """xdist workers in this run (known to workers and controller alike); None when serial."""
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        return int(workerinput.get("workercount", 1))
    count = getattr(config.option, "numprocesses", None)
    return count if isinstance(count, int) and count > 0 else None


def setup_only(config: pytest.Config) -> bool:
    """--setup-only / --setup-plan run no call phase: nothing to measure."""
    return bool(config.getoption("setuponly", False) or config.getoption("setupplan", False))


def no_call(config: pytest.Config) -> str | None:
    """The option that runs no test body, if given."""
    for name, flag in (("collectonly", "--collect-only"), ("setupplan", "--setup-plan")):
        if config.getoption(name, False):
            return flag
    return "--setup-only" if config.getoption("setuponly", False) else None


def marker_test(item: pytest.Item) -> Callable[[str], bool]:
    """Does this item carry marker ``name``? For config entries selected by marker."""
    return lambda name: item.get_closest_marker(name) is not None


def where(item: pytest.Item) -> str:
    path, line, _ = item.location
    return f"{path}:{(line or 0) + 1}"


def stops_early(session: pytest.Session) -> bool:
    """Collection errors end the default loop before any test runs; so does --co."""
    option = session.config.option
    return bool(
        option.collectonly or (session.testsfailed and not option.continue_on_collection_errors)
    )


def write_line(session: pytest.Session, message: str, red: bool = True) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(message, red=red)


def write_error(session: pytest.Session, message: str) -> None:
    write_line(session, message)
    if session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def plan_items(run: Run, items: Sequence[pytest.Item], check_meter: MeterCheck) -> None:
    """Each collected item's plan from its markers (the closest first) and the config's
    entries; a bad marker argument, or a budget's meter that no meter is called, is a usage
    error naming the file and line."""
    from .settings.plans import marker_spec

    for rule in run.settings.file.rules:
        check_meter(rule.spec.meter, rule.meter_at)
    for item in items:
        marks = list(item.iter_markers("greenbudget"))
        args = tuple(a for mark in marks for a in mark.args)
        kwargs = {k: v for mark in reversed(marks) for k, v in mark.kwargs.items()}
        try:
            spec = marker_spec(args, kwargs, where(item), item.nodeid) if marks else None
        except ValueError as exc:
            raise pytest.UsageError(f"greenbudget: {exc}") from None
        if spec is None and uses_probe(item):  # as @pytest.mark.greenbudget(): no budget
            spec = replace(marker_spec((), {}, where(item), item.nodeid),
                           source=f"greenbudget fixture at {where(item)}")  # fmt: skip
        if spec is not None:
            check_meter(spec.meter, f"{where(item)}: {item.nodeid}: greenbudget marker 'meter'")
        run.plan(item.nodeid, spec, marker_test(item))


def meter_check(config: pytest.Config, ours: object, run: Run) -> MeterCheck:
    """A check of a budget's ``meter:`` (cputime, rapl+nvml) against the meters that exist:
    built in, in use, or answered by another plugin's hook. It raises a usage error naming
    ``where`` (file:line and key, or the marker's test) for a name none of them knows."""
    from .meters.base import MeterUnavailable
    from .meters.names import MeterNames

    others = config.pluginmanager.subset_hook_caller(
        "pytest_greenbudget_make_meter", remove_plugins=[ours]
    )

    def answers(name: str) -> bool:
        try:
            meter = others(config=config, name=name)
        except MeterUnavailable:  # known to a plugin, just not usable here
            return True
        if meter is not None and hasattr(meter, "close"):
            meter.close()
        return meter is not None

    in_use = {run.meter.name, *(c.meter for c in run.environment.meters.values())}
    names = MeterNames(in_use, answers)

    def check(meter: str | None, where: str) -> None:
        problem = names.problem(meter)
        if problem:
            raise pytest.UsageError(f"greenbudget: {where}: {problem}")

    return check


def uses_probe(item: pytest.Item) -> bool:
    """A test that asks for the ``greenbudget`` fixture wants its windows and units measured:
    it is measured and reported (without a budget unless an entry gives one), never left out
    in silence."""
    return "greenbudget" in getattr(item, "fixturenames", ())


def take_worker_entry(run: Run, data: object, nodeid: str) -> None:
    """An xdist worker's entry, sent with its test's teardown report, into the controller's run."""
    from .report.decode import decode_entry
    from .report.model import ReportError
    from .report.untrusted import printable

    try:
        run.add_worker_entries((decode_entry(data, nodeid),))
    except ReportError as exc:
        run.notes.append(f"an entry sent by a worker was unreadable: {printable(exc)}")


def take_worker_report(run: Run, data: object, name: str) -> None:
    """An xdist worker's final report; what cannot be read becomes a note naming the worker."""
    from .report.decode import decode_report
    from .report.model import ReportError

    try:
        run.add_worker_entries(decode_report(data, f"worker {name}").tests)
    except ReportError as exc:
        run.notes.append(f"measurements from worker {name} were unreadable: {exc}")


def narrowed(config: pytest.Config) -> bool:
    """The command line named files or test ids (``pytest tests/test_train.py``), not only
    folders: entries for the other files are expected to select nothing."""
    here = config.invocation_params.dir
    return any("::" in arg or (here / arg).is_file() for arg in config.args)
