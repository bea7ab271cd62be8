"""NVIDIA GPU energy through NVML (the ``nvml`` meter; nvidia-ml-py is imported lazily).

Per visible GPU, ``nvmlDeviceGetTotalEnergyConsumption`` (millijoules since the driver loaded,
Volta and later) is read at both edges of a window. The counter only steps every 20-100 ms, so
windows under 0.1 s, and GPUs without the counter, integrate the power instead (one
``nvmlDeviceGetPowerUsage`` sample at each edge, trapezoid rule) and say so: provenance
``estimated``. Components are ``gpu:N`` numbered as CUDA numbers them, which honours
``CUDA_VISIBLE_DEVICES`` (indices and ``GPU-<uuid>`` prefixes; ``MIG-`` instances are skipped
because NVML has no per-instance energy counter).

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

from .base import ComponentChoice, ComponentReading, MeterDescription, MeterUnavailable, Reading
from .cputime import _cpu_seconds

MIN_COUNTER_WINDOW_S = 0.1
NO_DRIVER_FIX = (
    "without an NVIDIA GPU, nothing (meter auto leaves the GPU out); with one, install the "
    "NVIDIA driver until nvidia-smi works, and in a container run it with the NVIDIA Container "
    "Toolkit (docker run --gpus all)"
)

# (energy mJ or None, power mW or None) for one GPU at one window edge
Sample = tuple[int | None, int | None]


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


def visible_devices(
    setting: str | None, uuids: Sequence[str]
) -> tuple[list[tuple[int, int]], list[str]]:
    """(CUDA index, NVML index) of each GPU CUDA will use, and notes on entries left out.

    Follows CUDA: entries are indices or ``GPU-`` UUID prefixes, and the first entry that
    names no device ends the list (so "" and "-1" hide every GPU).
    """
    if setting is None:
        return [(i, i) for i in range(len(uuids))], []
    pairs: list[tuple[int, int]] = []
    notes: list[str] = []
    for position, entry in enumerate(e.strip() for e in setting.split(",")):
        if entry.startswith("MIG-"):
            notes.append(
                f"MIG instance {entry} (CUDA device {position}) not measured: NVML has no "
                "energy counter per MIG instance"
            )
            continue
        index = _resolve(entry, uuids)
        if index is None:
            if entry and entry != "-1":
                notes.append(
                    f"CUDA_VISIBLE_DEVICES entry {entry!r} names no GPU: it and the entries "
                    "after it are ignored, as CUDA ignores them"
                )
            break
        if index not in (nvml_index for _, nvml_index in pairs):
            pairs.append((position, index))
    return pairs, notes


def _resolve(entry: str, uuids: Sequence[str]) -> int | None:
    if entry.isdigit():
        return int(entry) if int(entry) < len(uuids) else None
    if entry.startswith("GPU-"):
        matches = [i for i, uuid in enumerate(uuids) if uuid.startswith(entry)]
        return matches[0] if len(matches) == 1 else None  # CUDA wants a unique prefix
    return None


def _sync_cuda() -> None:
    torch = sys.modules.get("torch")  # never import torch ourselves: it costs seconds
    cuda = getattr(torch, "cuda", None)
    if cuda is not None and cuda.is_initialized():
        # The current device only: synchronising another would create a CUDA context there
        # (hundreds of MB) in a process that never used it.
        cuda.synchronize()


class NvmlMeter:
    """Energy-counter deltas per visible GPU, power x time where the counter cannot serve."""

    name = "nvml"

    def __init__(self, nvml: ModuleType, gpus: Sequence[Gpu], notes: Sequence[str] = ()) -> None:
        self._nvml = nvml
        self.gpus = tuple(gpus)
        self.notes = tuple(notes)

    def start(self) -> object:
        _sync_cuda()
        return time.perf_counter(), _cpu_seconds(), self._sample()

    def stop(self, token: object) -> Reading:
        wall0, cpu0, samples0 = cast("tuple[float, float, list[Sample]]", token)
        _sync_cuda()
        samples1 = self._sample()
        cpu = max(_cpu_seconds() - cpu0, 0.0)
        wall = time.perf_counter() - wall0
        comps = {
            gpu.label: _gpu_energy(gpu, a, b, wall)
            for gpu, a, b in zip(self.gpus, samples0, samples1, strict=True)
        }
        return Reading(comps, wall, cpu)

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
            raise NvmlUnavailable(
                f"reading the GPU energy failed: {exc}", "run nvidia-smi"
            ) from None

    def describe(self) -> MeterDescription:
        choices = {gpu.label: _choice(gpu) for gpu in self.gpus}
        # "gpu:N: model" notes are how the report's environment lists the GPUs.
        names = tuple(f"{gpu.label}: {gpu.name}" for gpu in self.gpus)
        return MeterDescription(self.name, choices, names + self.notes)

    def close(self) -> None:
        gpus, self.gpus = self.gpus, ()
        if gpus:
            _call(self._nvml, self._nvml.nvmlShutdown)


def _gpu_energy(gpu: Gpu, start: Sample, end: Sample, wall: float) -> ComponentReading:
    (e0, p0), (e1, p1) = start, end
    if e0 is not None and e1 is not None and e1 >= e0:
        if wall >= MIN_COUNTER_WINDOW_S or p0 is None or p1 is None:
            note = None if wall >= MIN_COUNTER_WINDOW_S else f"{_short(wall)}; no power reading"
            return ComponentReading((e1 - e0) / 1e3, "measured", "nvml", note)
        why = _short(wall)
    elif not gpu.has_counter:
        why = "this GPU has no total-energy counter"
    else:
        why = "the energy counter went backwards (driver reloaded?)"
    if p0 is None or p1 is None:
        return ComponentReading(0.0, "estimated", "nvml", f"{why}; no power reading either")
    joules = (p0 + p1) / 2 / 1e3 * wall  # trapezoid over the two edge samples, mW -> W
    return ComponentReading(joules, "estimated", "nvml", f"{why}: power at the edges x time")


def _short(wall: float) -> str:
    return (
        f"window of {wall * 1e3:.0f} ms is shorter than the energy counter's "
        f"~{MIN_COUNTER_WINDOW_S * 1e3:.0f} ms update period"
    )


def _choice(gpu: Gpu) -> ComponentChoice:
    if gpu.has_counter:
        how = f"NVML total-energy counter; windows under {MIN_COUNTER_WINDOW_S} s use power x time"
        return ComponentChoice("nvml", "measured", f"{gpu.name} ({gpu.uuid}): {how}")
    how = "no total-energy counter (pre-Volta?), power sampled at the window's edges"
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
