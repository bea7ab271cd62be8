"""The meter protocol: every backend turns a window of work into a Reading.

A meter is started at the beginning of a window and stopped at its end; ``start`` returns an
opaque token so that windows may overlap (an explicit ``greenbudget.measure()`` window inside the
whole-call window). Readings carry, per component, where the figure came from: a hardware
counter (``measured``) or a model (``estimated``). Nothing here imports pytest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

Provenance = Literal["measured", "estimated"]


class MeterUnavailable(Exception):
    """A meter cannot run here; the message says why and how to fix it."""


@dataclass(frozen=True)
class MeterOptions:
    """What the plugin's settings pass to a built-in meter's factory.

    ``attribute``: share machine-wide counters (RAPL) by this process's CPU time, for runs where
    other processes (xdist workers) share the machine. ``country``: ISO 3166 alpha-3 code for
    codecarbon's tracker. ``watts_per_vcpu``: override the CPU-time model's coefficient.
    """

    attribute: bool = False
    country: str | None = None
    watts_per_vcpu: float | None = None


@dataclass(frozen=True)
class ComponentReading:
    """Energy of one component (``cpu``, ``dram``, ``gpu:0``...) over one window."""

    energy_j: float
    provenance: Provenance
    meter: str
    note: str | None = None
    processes: int | None = None  # processes whose CPU time is in the figure, where counted


@dataclass(frozen=True)
class Reading:
    """What one window cost: energy per component plus the window's wall and CPU seconds."""

    components: Mapping[str, ComponentReading]
    wall_s: float
    cpu_s: float

    @property
    def energy_j(self) -> float:
        return sum(c.energy_j for c in self.components.values())

    @classmethod
    def combine(cls, readings: list[Reading]) -> Reading:
        """Sum several windows (e.g. explicit measure() blocks in one run)."""
        comps: dict[str, ComponentReading] = {}
        for reading in readings:
            for name, comp in reading.components.items():
                prev = comps.get(name)
                total = comp.energy_j + (prev.energy_j if prev else 0.0)
                seen = max((c.processes for c in (prev, comp) if c and c.processes), default=None)
                note = comp.note or (prev.note if prev else None)
                comps[name] = ComponentReading(total, comp.provenance, comp.meter, note, seen)
        wall = sum(r.wall_s for r in readings)
        return cls(comps, wall, sum(r.cpu_s for r in readings))


@dataclass(frozen=True)
class ComponentChoice:
    """Which meter serves a component, with what provenance, and why others were not used."""

    meter: str
    provenance: Provenance
    reason: str = ""


@dataclass(frozen=True)
class MeterDescription:
    """Static facts about a meter for the report's environment section."""

    name: str
    components: Mapping[str, ComponentChoice] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    # component -> the hardware's own id (a GPU's UUID): two GPUs of one model differ in level
    devices: Mapping[str, str] = field(default_factory=dict)


@runtime_checkable
class Meter(Protocol):
    """The whole contract a backend implements.

    ``start`` must be cheap (the default meter costs a few microseconds) and must not start
    background threads during a test; ``stop`` takes the token ``start`` returned.
    """

    name: str

    def start(self) -> object: ...

    def stop(self, token: object) -> Reading: ...

    def describe(self) -> MeterDescription: ...

    def close(self) -> None: ...
