"""NVIDIA GPU energy through NVML (the ``nvml`` meter; nvidia-ml-py is imported lazily).

Per visible GPU, ``nvmlDeviceGetTotalEnergyConsumption`` (millijoules since the driver loaded,
Volta and later) is read at counter ticks around the window (``nvml_window``): the counter
only steps every 20-100 ms, so each window starts at a tick and the idle tail up to the tick
after it is subtracted. GPUs without the counter integrate the power instead (one
``nvmlDeviceGetPowerUsage`` sample at each edge, trapezoid rule), labelled as that fallback:
provenance ``estimated``. Components are ``gpu:N`` numbered as CUDA numbers them, which
honours ``CUDA_VISIBLE_DEVICES`` (indices and ``GPU-<uuid>`` prefixes; ``MIG-`` instances are
skipped because NVML has no per-instance energy counter).

CUDA runs asynchronously: when torch is loaded and has initialised CUDA, the current device is
synchronised at the window's edges so that queued kernels land in the window that queued them.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any, cast

from .base import (
    ComponentChoice,
    ComponentReading,
    MeterDescription,
    MeterUnavailable,
    Provenance,
    Reading,
)
from .cputime import own_cpu_seconds
from .nvml_devices import visible_devices
from .nvml_window import Tick, TickWindow, wait_ticks

# (energy mJ or None, power mW or None) for one GPU at one window edge
Sample = tuple[int | None, int | None]
NO_DRIVER_FIX = (
    "without an NVIDIA GPU, nothing (meter auto leaves the GPU out); with one, install the "
    "NVIDIA driver until nvidia-smi works, and in a container run it with the NVIDIA Container "
    "Toolkit (docker run --gpus all)"
)


class NvmlUnavailable(MeterUnavailable):
    """NVML cannot measure here; ``problem`` says why and ``fix`` what would change that."""

    def __init__(self, problem: str, fix: str | None = None) -> None:
        super().__init__(problem if fix is None else f"{problem}. Fix: {fix}")
        self.problem = problem
        self.fix = fix


@dataclass(frozen=True)
class Gpu:
    label: str  # "gpu:N", N as CUDA numbers the device
    handle: Any
    name: str
    uuid: str
    has_counter: bool
    has_power: bool


def _sync_cuda() -> None:
    torch = sys.modules.get("torch")  # never import torch ourselves: it costs seconds
    cuda = getattr(torch, "cuda", None)
    if cuda is not None and cuda.is_initialized():
        # The current device only: synchronising another would create a CUDA context there
        # (hundreds of MB) in a process that never used it.
        cuda.synchronize()


@dataclass(frozen=True)
class _Start:
    wall: float
    cpu: float
    ticks: list[Tick | None]  # per GPU: the tick the window starts at
    samples: list[Sample]


class NvmlMeter:
    """Energy-counter deltas per visible GPU, aligned to the counter's ticks; power x time
    where a GPU has no counter."""

    name = "nvml"

    def __init__(
        self,
        nvml: ModuleType,
        gpus: Sequence[Gpu],
        notes: Sequence[str] = (),
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self._nvml = nvml
        self.gpus = tuple(gpus)
        self.notes = tuple(notes)
        self._clock = clock or (lambda: time.perf_counter())
        self._sleep = sleep or (lambda seconds: time.sleep(seconds))

    def start(self) -> object:
        _sync_cuda()
        ticks = self._ticks(1)
        samples = self._sample()
        return _Start(
            self._clock(), own_cpu_seconds(), [t[0] if t else None for t in ticks], samples
        )

    def stop(self, token: object) -> Reading:
        begun = cast("_Start", token)
        _sync_cuda()
        wall_end = self._clock()
        cpu = max(own_cpu_seconds() - begun.cpu, 0.0)
        samples = self._sample()
        after = self._ticks(2)  # the tick closing the tail, and the next: the idle rate
        comps = {}
        for i, gpu in enumerate(self.gpus):
            window = TickWindow(
                begun.ticks[i], begun.wall, wall_end, *_two(after[i]), samples[i][0] or 0
            )
            comps[gpu.label] = _gpu_energy(gpu, window, begun.samples[i], samples[i])
        return Reading(comps, wall_end - begun.wall, cpu)

    def _ticks(self, count: int) -> list[list[Tick]]:
        readers = [self._reader(g) if g.has_counter else None for g in self.gpus]
        try:
            return wait_ticks(readers, count, self._clock, self._sleep)
        except self._nvml.NVMLError as exc:
            raise _read_error(exc) from None

    def _reader(self, gpu: Gpu) -> Callable[[], int]:
        read = self._nvml.nvmlDeviceGetTotalEnergyConsumption
        return lambda: int(read(gpu.handle))

    def _sample(self) -> list[Sample]:
        nvml = self._nvml
        try:
            return [
                (
                    nvml.nvmlDeviceGetTotalEnergyConsumption(g.handle) if g.has_counter else None,
                    nvml.nvmlDeviceGetPowerUsage(g.handle) if g.has_power else None,
                )
                for g in self.gpus
            ]
        except nvml.NVMLError as exc:
            raise _read_error(exc) from None

    def describe(self) -> MeterDescription:
        choices = {gpu.label: _choice(gpu) for gpu in self.gpus}
        # "gpu:N: model" notes are how the report's environment lists the GPUs.
        names = tuple(f"{gpu.label}: {gpu.name}" for gpu in self.gpus)
        devices = {gpu.label: gpu.uuid for gpu in self.gpus}
        return MeterDescription(self.name, choices, names + self.notes, devices)

    def close(self) -> None:
        gpus, self.gpus = self.gpus, ()
        if gpus:
            _call(self._nvml, self._nvml.nvmlShutdown)


def _read_error(exc: Exception) -> NvmlUnavailable:
    return NvmlUnavailable(f"reading the GPU energy failed: {exc}", "run nvidia-smi")


def _two(ticks: list[Tick]) -> tuple[Tick | None, Tick | None]:
    return (ticks[0] if ticks else None), (ticks[1] if len(ticks) > 1 else None)


def _gpu_energy(gpu: Gpu, window: TickWindow, start: Sample, end: Sample) -> ComponentReading:
    (e0, p0), (e1, p1) = start, end
    wall = window.window_end - window.window_start
    if e0 is not None and e1 is not None and e1 >= e0:
        joules, how = window.energy(e0)
        outside = window.end is not None and (window.end.at - window.window_end) > wall
        # When the subtracted idle tail is longer than the window itself, the figure is
        # mostly that estimate: say so through the provenance.
        provenance: Provenance = "estimated" if outside else "measured"
        return ComponentReading(max(joules, 0.0), provenance, "nvml", how)
    if not gpu.has_counter:
        why = "this GPU has no total-energy counter"
    else:
        why = "the energy counter went backwards (driver reloaded?)"
    if p0 is None or p1 is None:
        return ComponentReading(0.0, "estimated", "nvml", f"{why}; no power reading either")
    joules = (p0 + p1) / 2 / 1e3 * wall  # trapezoid over the two edge samples, mW -> W
    note = f"power x time fallback ({why}): power at the window's edges x its duration"
    return ComponentReading(joules, "estimated", "nvml", note)


def _choice(gpu: Gpu) -> ComponentChoice:
    if gpu.has_counter:
        how = (
            "NVML total-energy counter, windows aligned to its ticks; device-wide: every "
            "process using the GPU is in the figure (DataLoader workers, other jobs)"
        )
        return ComponentChoice("nvml", "measured", f"{gpu.name} ({gpu.uuid}): {how}")
    how = "no total-energy counter (pre-Volta?): power x time fallback, power at the edges"
    return ComponentChoice("nvml", "estimated", f"{gpu.name} ({gpu.uuid}): {how}")


def _call(nvml: ModuleType, fn: Callable[[], object]) -> bool:
    """Whether ``fn`` works; NVML says NotSupported (or another error) for missing features."""
    try:
        fn()
    except nvml.NVMLError:
        return False
    return True


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value  # older bindings return bytes


def _import() -> ModuleType:
    try:
        import pynvml
    except ImportError:
        raise NvmlUnavailable("nvidia-ml-py is not installed", "pip install nvidia-ml-py") from None
    module: ModuleType = pynvml
    return module


def _init(nvml: ModuleType) -> None:
    try:
        nvml.nvmlInit()
    except nvml.NVMLError as exc:
        raise _init_error(nvml, exc) from None


def _init_error(nvml: ModuleType, exc: Exception) -> NvmlUnavailable:
    if _is(nvml, exc, "LibraryNotFound"):
        return NvmlUnavailable("no NVIDIA driver: libnvidia-ml.so not found", NO_DRIVER_FIX)
    if _is(nvml, exc, "DriverNotLoaded"):
        return NvmlUnavailable(
            "the NVIDIA driver is not loaded", "sudo modprobe nvidia; nvidia-smi"
        )
    return NvmlUnavailable(f"NVML failed to start: {exc}", "run nvidia-smi to see what is wrong")


def _is(nvml: ModuleType, exc: Exception, kind: str) -> bool:
    cls = getattr(nvml, f"NVMLError_{kind}", None)
    return isinstance(cls, type) and isinstance(exc, cls)


def _gpus(nvml: ModuleType, env: Mapping[str, str]) -> tuple[list[Gpu], list[str]]:
    handles = [nvml.nvmlDeviceGetHandleByIndex(i) for i in range(nvml.nvmlDeviceGetCount())]
    uuids = [_text(nvml.nvmlDeviceGetUUID(h)) for h in handles]
    pairs, notes = visible_devices(env.get("CUDA_VISIBLE_DEVICES"), uuids)
    gpus = [_probe(nvml, f"gpu:{cuda}", handles[i], uuids[i]) for cuda, i in pairs]
    notes += [
        f"{g.name} (CUDA device {g.label[4:]}) reports neither energy nor power: not measured"
        for g in gpus
        if not (g.has_counter or g.has_power)
    ]
    usable = [g for g in gpus if g.has_counter or g.has_power]
    return usable, notes + _order_note(env, usable)


def _probe(nvml: ModuleType, label: str, handle: Any, uuid: str) -> Gpu:
    name = _text(nvml.nvmlDeviceGetName(handle))
    counter = _call(nvml, lambda: nvml.nvmlDeviceGetTotalEnergyConsumption(handle))
    power = _call(nvml, lambda: nvml.nvmlDeviceGetPowerUsage(handle))
    return Gpu(label, handle, name, uuid, counter, power)


def _order_note(env: Mapping[str, str], gpus: Sequence[Gpu]) -> list[str]:
    # CUDA numbers devices fastest first by default, NVML by PCI bus: they agree for identical
    # GPUs, not necessarily for mixed ones.
    if env.get("CUDA_DEVICE_ORDER") == "PCI_BUS_ID" or len({g.name for g in gpus}) < 2:
        return []
    return ["mixed GPU models: set CUDA_DEVICE_ORDER=PCI_BUS_ID so CUDA and NVML number alike"]


def make_nvml(nvml: ModuleType | None = None, env: Mapping[str, str] | None = None) -> NvmlMeter:
    """The NVML meter for the GPUs CUDA will see; raises NvmlUnavailable saying why not."""
    nvml = nvml or _import()
    env = os.environ if env is None else env
    _init(nvml)
    try:
        gpus, notes = _gpus(nvml, env)
    except nvml.NVMLError as exc:
        _call(nvml, nvml.nvmlShutdown)
        raise NvmlUnavailable(f"NVML could not list the GPUs: {exc}", "run nvidia-smi") from None
    if not gpus:
        _call(nvml, nvml.nvmlShutdown)
        raise NvmlUnavailable(_no_gpu(env, notes))
    return NvmlMeter(nvml, gpus, notes)


def _no_gpu(env: Mapping[str, str], notes: Sequence[str]) -> str:
    setting = env.get("CUDA_VISIBLE_DEVICES")
    problem = (
        "NVML found no GPU"
        if setting is None
        else f"CUDA_VISIBLE_DEVICES={setting!r} leaves no GPU to measure"
    )
    return "; ".join([problem, *notes])
