"""The ``greenbudget`` fixture's object and the measured call phase of one run of a test.

A run's sample is the whole call, unless the test opened explicit ``greenbudget.measure()``
windows: then it is the sum of those windows. Nothing here imports pytest.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeGuard

from ..meters.base import Meter, Reading
from ..meters.processes import ProcessTree, processes_of
from ..meters.snapshot import Snapshot
from ..report.model import MAX_ENERGY_J, Work
from .heap import settle


class ProbeError(RuntimeError):
    """Misuse of the fixture (nested windows, bad work units); the message says how to fix."""


class MeterFailure(RuntimeError):
    """A meter (often a third party's) raised while measuring; the test fails with this
    message instead of a traceback through the plugin."""


def start(meter: Meter) -> object:
    try:
        return meter.start()
    except Exception as exc:
        raise MeterFailure(f"meter {meter.name!r} failed to start a window: {exc!r}") from exc


def stop(meter: Meter, token: object) -> Reading:
    try:
        reading = meter.stop(token)
    except Exception as exc:
        raise MeterFailure(f"meter {meter.name!r} failed to stop a window: {exc!r}") from exc
    problem = unusable(reading)
    if problem:
        # Caught here, at the test that measured it: later a NaN would only surface as a
        # report the writer refuses at session end, with every other test's figures lost.
        raise MeterFailure(f"meter {meter.name!r} returned an unusable reading: {problem}")
    return reading


def unusable(reading: object) -> str | None:
    """Why a meter's reading cannot be a sample, or None when it can."""
    if not isinstance(reading, Reading):
        return f"{reading!r} is not a Reading"
    for name, comp in reading.components.items():
        energy = getattr(comp, "energy_j", None)
        if not _real(energy) or not 0.0 <= energy <= MAX_ENERGY_J:
            valid = f"valid: a finite number, 0 to {MAX_ENERGY_J:g}"
            return f"{name!r} energy {_shown(energy)} J ({valid})"
    for what in ("wall_s", "cpu_s"):
        seconds = getattr(reading, what)
        if not _real(seconds) or not math.isfinite(seconds):
            return f"{what} {_shown(seconds)} (valid: a finite number of seconds)"
    return None


def _shown(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else repr(value)


def _real(value: object) -> TypeGuard[float]:
    """A number that is not NaN (nor a bool, which a number check would let through)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value


@dataclass(frozen=True)
class RunSample:
    reading: Reading
    work: Work | None
    explicit: bool  # True when the figure is the sum of measure() windows


class Probe:
    """What a test sees as the ``greenbudget`` fixture."""

    def __init__(self, meter: Meter | None = None) -> None:
        self._meter = meter
        self._active = False
        self._open = False
        self._windows: list[Reading] = []
        self._work: Work | None = None
        self._token: object = None
        self._tree: ProcessTree | None = None
        self._before: Snapshot | None = None

    @contextmanager
    def measure(self) -> Iterator[None]:
        """Measure only this block; several blocks in one run add up."""
        if self._open:
            raise ProbeError("greenbudget.measure() windows cannot be nested")
        if not (self._active and self._meter):
            yield  # unbudgeted test, warm-up run, or plugin disabled: nothing to measure
            return
        self._open = True
        token = start(self._meter)
        try:
            yield
        finally:
            self._open = False
            self._windows.append(stop(self._meter, token))

    def work(self, units: float, unit: str = "unit") -> None:
        """Declare this run's functional unit (SCI's R): ``work(len(batch), "sample")``."""
        if isinstance(units, bool) or not isinstance(units, (int, float)):
            raise ProbeError(f"greenbudget.work() needs a number of units, not {units!r}")
        if not math.isfinite(units) or units <= 0:
            raise ProbeError(f"greenbudget.work() needs a positive number of units, got {units}")
        if not isinstance(unit, str) or not unit:
            raise ProbeError(f"greenbudget.work() needs a unit name such as 'sample', not {unit!r}")
        total = units + (self._work.units if self._work and self._work.unit == unit else 0)
        if self._work and self._work.unit != unit:
            raise ProbeError(f"greenbudget.work() got unit {unit!r} after {self._work.unit!r}")
        self._work = Work(float(total), unit)

    def begin_run(self, measured: bool) -> None:
        """Start one run's call phase (the meter too, when this run is measured)."""
        self._active = measured and self._meter is not None
        self._windows = []
        self._work = None
        # Every call starts from a collected heap: otherwise the garbage the tests before it
        # left decides when a collection falls inside this window (measured: an unchanged
        # test read +7.7% at p=0.001 beside a test whose change allocated more). heap.py
        # collects only what was made since the last run, not the whole heap.
        settle()
        # Which processes this call starts, measured or not: those still running when the test
        # is done were left running by it, and are not billed to the tests after it.
        self._tree = processes_of(self._meter)
        self._before = self._tree.snapshot() if self._tree else None
        self._token = start(self._meter) if self._active and self._meter else None

    def end_run(self) -> RunSample | None:
        """The run's sample: its measure() windows if it opened any, else the whole call;
        None for an unmeasured run."""
        whole = stop(self._meter, self._token) if self._active and self._meter else None
        if self._tree is not None and self._before is not None:
            self._tree.calls(self._before, self._tree.snapshot())
        if whole is None:
            return None
        self._active = False
        if self._windows:
            return RunSample(Reading.combine(self._windows), self._work, True)
        return RunSample(whole, self._work, False)
