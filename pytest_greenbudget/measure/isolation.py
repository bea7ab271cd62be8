"""What one run of a budgeted test must keep to itself, so that pytest sees a series of runs
as the one test it is.

pytest and its plugins expect one run per test. Three things leaked from every run of a
series: reports logged from inside the call (pytest's ``subtests`` fixture and
pytest-subtests log each subtest as it ends: four runs printed "8 subtests passed" for 2),
pytest 9's count of a test's failed subtests (which then failed the test with "contains 4
failed subtests"), and ``record_property`` and ``record_testsuite_property`` values (the JUnit
XML held each one four times).
Here each run's are held back and only the deciding run's reach pytest, when budgeted.py logs
that run. And pytest-timeout times a whole protocol; it gets one timer per run instead, with
the user's per-test limit (a series of four 2 s runs failed "Timeout (>5.0s)").

May import pytest; holds no hooks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

_FIRST_PROPERTIES = pytest.StashKey[list[tuple[str, object]]]()


@dataclass
class Held:
    """What one run logged or counted that pytest must see only for the deciding run."""

    reports: list[pytest.TestReport] = field(default_factory=list)
    failed_subtests: int = 0
    suite_properties: list[tuple[str, str]] = field(default_factory=list)


@contextmanager
def isolated(item: pytest.Item) -> Iterator[Held]:
    """One run of ``item``: reports logged during it are held, its failed-subtest count is
    taken back out of pytest's tally, its properties start from those it had before its first
    run, and pytest-timeout's limit applies to it alone."""
    held = Held()
    first = item.stash.setdefault(_FIRST_PROPERTIES, list(item.user_properties))
    item.user_properties = list(first)
    counts, key = _subtest_failures(item)
    before = counts.get(key, 0) if counts is not None else 0
    suite = _suite_properties(item)
    known = len(suite)
    with _holding_reports(item.session, held.reports), _timeout(item):
        try:
            yield held
        finally:
            if counts is not None:
                held.failed_subtests = counts.get(key, 0) - before
                counts[key] = before
            held.suite_properties = suite[known:]
            del suite[known:]


def replay(item: pytest.Item, held: Held) -> None:
    """The deciding run's failed subtests count again, so pytest fails its test as usual."""
    counts, key = _subtest_failures(item)
    if counts is not None and held.failed_subtests:
        counts[key] = counts.get(key, 0) + held.failed_subtests
    _suite_properties(item).extend(held.suite_properties)


def merged(reports: list[pytest.TestReport], held: Held) -> list[pytest.TestReport]:
    """The run's reports in the order pytest would have logged them: the held ones were
    logged during the call, before its own report."""
    if not held.reports:
        return reports
    at = next((i for i, r in enumerate(reports) if r.when == "call"), len(reports) - 1)
    return [*reports[:at], *held.reports, *reports[at:]]


class _Holding:
    """A hook relay that passes every hook through but holds logged reports back."""

    def __init__(self, relay: Any, sink: list[pytest.TestReport]) -> None:
        self._relay = relay
        self._sink = sink

    def __getattr__(self, name: str) -> Any:
        if name == "pytest_runtest_logreport":
            return self._hold
        return getattr(self._relay, name)

    def _hold(self, *, report: pytest.TestReport) -> None:
        self._sink.append(report)


@contextmanager
def _holding_reports(session: pytest.Session, sink: list[pytest.TestReport]) -> Iterator[None]:
    """Every ``node.ihook`` of the run is the session's hook proxy: subtests take theirs from
    ``request.node.ihook`` when the fixture is set up, inside the run."""
    own = vars(session).get("gethookproxy")  # another plugin's override, to be kept
    real: Callable[[Any], Any] = session.gethookproxy
    session.gethookproxy = lambda path: _Holding(real(path), sink)  # type: ignore[method-assign,assignment,return-value]
    try:
        yield
    finally:
        if own is None:
            del session.gethookproxy
        else:
            session.gethookproxy = own  # type: ignore[method-assign]


def _subtest_failures(item: pytest.Item) -> tuple[dict[Any, int] | None, Any]:
    """pytest 9's tally of failed subtests per test, which fails a test that passed but
    holds failed subtests; None before pytest 9."""
    try:
        from _pytest.subtests import failed_subtests_key
    except ImportError:
        return None, None
    counts = item.config.stash.get(failed_subtests_key, None)
    return counts, getattr(item, "id", item.nodeid)


def _suite_properties(item: pytest.Item) -> list[tuple[str, str]]:
    """The JUnit XML's suite-level properties (``record_testsuite_property`` appends to them
    on each call); a throwaway list without --junitxml."""
    from _pytest.junitxml import xml_key

    xml = item.config.stash.get(xml_key, None)
    found = getattr(xml, "global_properties", None)
    return found if isinstance(found, list) else []


@contextmanager
def _timeout(item: pytest.Item) -> Iterator[None]:
    """pytest-timeout's timer for this run alone. Its protocol wrapper started one timer for
    the whole series (unless ``func_only``, whose call wrapper already times each call):
    that one is cancelled and a fresh one set, and cancelled, around each run."""
    plugin = item.config.pluginmanager.get_plugin("timeout")
    settings_of = getattr(plugin, "_get_item_settings", None)
    settings = settings_of(item) if settings_of is not None else None
    if settings is None or not settings.timeout or settings.timeout <= 0 or settings.func_only:
        yield
        return
    hook: Any = item.config.pluginmanager.hook
    hook.pytest_timeout_cancel_timer(item=item)
    hook.pytest_timeout_set_timer(item=item, settings=settings)
    try:
        yield
    finally:
        hook.pytest_timeout_cancel_timer(item=item)
