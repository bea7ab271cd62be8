"""``auto``, the default meter: the best source per component, added up.

CPU from RAPL where its counters can be read, else the CPU-time model; GPU from NVML when a GPU
and its driver are there. A RAPL that is present but unreadable is worth ONE note naming the
fix (``describe().notes``, for the plugin to show once); a machine without a GPU is not worth a
word. ``plan`` keeps the account of every backend tried, which ``greenbudget doctor`` prints.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import cast

from .base import ComponentChoice, Meter, MeterDescription, MeterOptions, Reading
from .cputime import CpuTimeMeter
from .nvml import NvmlUnavailable, make_nvml
from .rapl import Opener, RaplUnavailable, make_rapl


@dataclass(frozen=True)
class Candidate:
    """One backend tried for a component: does it work here, why (not), and the fix."""

    meter: str
    available: bool
    detail: str
    fix: str | None = None


@dataclass(frozen=True)
class AutoPlan:
    """The meters ``auto`` runs (GPU first, CPU last), what was tried, and auto's own warnings."""

    meters: tuple[Meter, ...]
    cpu: tuple[Candidate, ...]
    gpu: tuple[Candidate, ...]
    notes: tuple[str, ...]


def plan(
    options: MeterOptions | None = None,
    root: Path | str | None = None,
    nvml: ModuleType | None = None,
    env: Mapping[str, str] | None = None,
    opener: Opener | None = None,
) -> AutoPlan:
    """Choose per component; ``root``, ``nvml``, ``env`` and ``opener`` are for tests."""
    options = options or MeterOptions()
    cpu_meter, cpu, cpu_notes = _cpu(options, root, opener)
    gpu_meters, gpu = _gpu(nvml, env)
    return AutoPlan((*gpu_meters, cpu_meter), cpu, gpu, cpu_notes)


def _cpu(
    options: MeterOptions, root: Path | str | None, opener: Opener | None
) -> tuple[Meter, tuple[Candidate, ...], tuple[str, ...]]:
    try:
        rapl = make_rapl(root, options.attribute, opener)
    except RaplUnavailable as exc:
        model = CpuTimeMeter(options.watts_per_vcpu)
        tried = (
            Candidate("rapl", False, exc.problem, exc.fix),
            Candidate("cputime", True, model.reason),
        )
        notes = (f"RAPL not used, CPU energy is estimated: {exc}",) if exc.warn else ()
        return model, tried, notes
    used = rapl.describe().components["cpu"].reason
    tried = (Candidate("rapl", True, used), Candidate("cputime", True, "not needed: RAPL measures"))
    return rapl, tried, ()


def _gpu(
    nvml: ModuleType | None, env: Mapping[str, str] | None
) -> tuple[tuple[Meter, ...], tuple[Candidate, ...]]:
    try:
        meter = make_nvml(nvml, env)
    except NvmlUnavailable as exc:
        return (), (Candidate("nvml", False, exc.problem, exc.fix),)
    gpus = "; ".join(f"{g.label} {g.name}: {_gpu_mode(g.has_counter)}" for g in meter.gpus)
    return (meter,), (Candidate("nvml", True, gpus),)


def _gpu_mode(has_counter: bool) -> str:
    if has_counter:
        return "energy counter (measured)"
    return "energy counter not supported, power x time (estimated)"


class CompositeMeter:
    """Several meters over the same windows, each serving its own components.

    Started and stopped in the same order, GPU meters before the CPU one: a GPU meter
    synchronises CUDA, and that wait belongs inside the CPU meter's window at the end of a
    window and outside it at the start. Wall and CPU seconds are the last (CPU) meter's.
    """

    def __init__(self, name: str, meters: Sequence[Meter], description: MeterDescription) -> None:
        self.name = name
        self._meters = tuple(meters)
        self._description = description
        # The CPU-time model's process tree, when it is a part: probe.py tracks leftovers on it.
        self.processes = next((m.processes for m in meters if hasattr(m, "processes")), None)
        # A CI VM has one part (the CPU-time model): hand its own methods through.
        solo = len(self._meters) == 1
        self._start = self._meters[0].start if solo else self._start_all
        self._stop = self._meters[0].stop if solo else self._stop_all

    def start(self) -> object:
        return self._start()

    def stop(self, token: object) -> Reading:
        return self._stop(token)

    def _start_all(self) -> object:
        return [meter.start() for meter in self._meters]

    def _stop_all(self, token: object) -> Reading:
        tokens = cast("list[object]", token)
        readings = [meter.stop(t) for meter, t in zip(self._meters, tokens, strict=True)]
        components = {name: c for r in readings for name, c in r.components.items()}
        return Reading(components, readings[-1].wall_s, readings[-1].cpu_s)

    def describe(self) -> MeterDescription:
        return self._description

    def close(self) -> None:
        for meter in self._meters:
            meter.close()


def describe_plan(name: str, chosen: AutoPlan) -> MeterDescription:
    """Per component the meter used and why the others were not."""
    choices: dict[str, ComponentChoice] = {}
    devices: dict[str, str] = {}
    notes = list(chosen.notes)
    for meter in chosen.meters:
        described = meter.describe()
        choices.update(described.components)
        devices.update(described.devices)
        notes += described.notes
    cpu = choices["cpu"]
    passed = [f"{c.meter} not used: {c.detail}" for c in chosen.cpu if not c.available]
    choices["cpu"] = ComponentChoice(cpu.meter, cpu.provenance, "; ".join([cpu.reason, *passed]))
    return MeterDescription(name, choices, tuple(notes), devices)


def make_auto(
    options: MeterOptions | None = None,
    *,
    root: Path | str | None = None,
    nvml: ModuleType | None = None,
    env: Mapping[str, str] | None = None,
    opener: Opener | None = None,
) -> CompositeMeter:
    """The ``auto`` meter; the keyword arguments are :func:`plan`'s, for tests."""
    chosen = plan(options, root, nvml, env, opener)
    return CompositeMeter("auto", chosen.meters, describe_plan("auto", chosen))
