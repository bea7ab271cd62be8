"""The NVML meter at the pynvml boundary, with a fake module standing in for the driver."""

from __future__ import annotations

import math
import statistics
import sys
from dataclasses import dataclass, field
from types import ModuleType, SimpleNamespace

import pytest

from pytest_greenbudget.meters import MeterUnavailable, make_builtin, nvml
from pytest_greenbudget.meters.nvml import NvmlUnavailable, make_nvml, visible_devices


class NVMLError(Exception):
    pass


class NVMLError_NotSupported(NVMLError):
    pass


class NVMLError_LibraryNotFound(NVMLError):
    pass


class NVMLError_DriverNotLoaded(NVMLError):
    pass


@dataclass
class FakeGpu:
    name: str
    uuid: str
    energy_mj: int | None = 0  # None: the counter is not supported (pre-Volta)
    power_mw: int | None = 50_000


@dataclass
class FakeNvml:
    gpus: list[FakeGpu]
    init_error: type[Exception] | None = None
    as_bytes: bool = False  # older bindings return bytes
    calls: list[str] = field(default_factory=list)

    def module(self) -> ModuleType:
        mod = ModuleType("pynvml")
        for cls in (NVMLError, NVMLError_NotSupported, NVMLError_LibraryNotFound):
            setattr(mod, cls.__name__, cls)
        mod.NVMLError_DriverNotLoaded = NVMLError_DriverNotLoaded  # type: ignore[attr-defined]
        for name in dir(self):
            if name.startswith("nvml"):
                setattr(mod, name, getattr(self, name))
        return mod

    def nvmlInit(self) -> None:
        self.calls.append("init")
        if self.init_error is not None:
            raise self.init_error()

    def nvmlShutdown(self) -> None:
        self.calls.append("shutdown")

    def nvmlDeviceGetCount(self) -> int:
        return len(self.gpus)

    def nvmlDeviceGetHandleByIndex(self, index: int) -> FakeGpu:
        return self.gpus[index]

    def nvmlDeviceGetUUID(self, gpu: FakeGpu) -> str | bytes:
        return gpu.uuid.encode() if self.as_bytes else gpu.uuid

    def nvmlDeviceGetName(self, gpu: FakeGpu) -> str | bytes:
        return gpu.name.encode() if self.as_bytes else gpu.name

    def nvmlDeviceGetTotalEnergyConsumption(self, gpu: FakeGpu) -> int:
        if gpu.energy_mj is None:
            raise NVMLError_NotSupported()
        return gpu.energy_mj

    def nvmlDeviceGetPowerUsage(self, gpu: FakeGpu) -> int:
        if gpu.power_mw is None:
            raise NVMLError_NotSupported()
        return gpu.power_mw


A100 = "NVIDIA A100-SXM4-40GB"
UUIDS = ["GPU-aaaa1111-0000", "GPU-bbbb2222-0000", "GPU-cccc3333-0000"]


def fake(count: int = 2, **kwargs: object) -> FakeNvml:
    gpus = [FakeGpu(A100, UUIDS[i], energy_mj=1000 * i) for i in range(count)]
    return FakeNvml(gpus, **kwargs)  # type: ignore[arg-type]


class Clock:
    def __init__(self) -> None:
        self.wall = 50.0

    def sleep(self, seconds: float) -> None:
        self.wall += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(nvml, "time", SimpleNamespace(perf_counter=lambda: c.wall, sleep=c.sleep))
    return c


def test_counter_deltas_per_gpu(clock: Clock) -> None:
    driver = fake(2)
    meter = make_nvml(driver.module(), env={})
    token = meter.start()
    driver.gpus[0].energy_mj += 150_000  # type: ignore[operator]
    driver.gpus[1].energy_mj += 2_500  # type: ignore[operator]
    clock.wall += 1.0
    reading = meter.stop(token)
    assert reading.components["gpu:0"].energy_j == pytest.approx(150.0)
    assert reading.components["gpu:1"].energy_j == pytest.approx(2.5)
    assert {c.provenance for c in reading.components.values()} == {"measured"}
    # This fake counter never ticks by itself: the edges cannot be aligned, and it says so.
    assert "not aligned: the counter did not tick" in (reading.components["gpu:0"].note or "")
    assert reading.wall_s == pytest.approx(1.0)


def test_gpu_without_counter_integrates_power(clock: Clock) -> None:
    driver = FakeNvml([FakeGpu("Tesla P100", UUIDS[0], energy_mj=None, power_mw=100_000)])
    meter = make_nvml(driver.module(), env={})
    token = meter.start()
    driver.gpus[0].power_mw = 300_000
    clock.wall += 2.0
    comp = meter.stop(token).components["gpu:0"]
    assert comp.energy_j == pytest.approx(400.0)  # (100 W + 300 W) / 2 x 2 s
    assert comp.provenance == "estimated"
    assert "power x time fallback (this GPU has no total-energy counter)" in (comp.note or "")
    assert meter.describe().components["gpu:0"].provenance == "estimated"


def test_counter_going_backwards_is_not_trusted(clock: Clock) -> None:
    driver = fake(2)
    meter = make_nvml(driver.module(), env={})
    token = meter.start()
    driver.gpus[1].energy_mj = 0
    clock.wall += 1.0
    comp = meter.stop(token).components["gpu:1"]
    assert comp.energy_j == pytest.approx(50.0)
    assert "backwards" in (comp.note or "")


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        (None, [(0, 0), (1, 1), (2, 2)]),
        ("", []),
        ("-1", []),
        ("2", [(0, 2)]),
        ("1,0", [(0, 1), (1, 0)]),
        ("0,7,1", [(0, 0)]),  # CUDA stops at the first entry naming no device
        ("GPU-bbbb", [(0, 1)]),  # a unique UUID prefix
        ("GPU-cccc3333-0000, 0", [(0, 2), (1, 0)]),
        ("GPU-", []),  # ambiguous prefix names no device
        ("0,0", [(0, 0)]),
    ],
)
def test_visible_devices_follow_cuda(setting: str | None, expected: list[tuple[int, int]]) -> None:
    assert visible_devices(setting, UUIDS)[0] == expected


def test_visible_devices_by_index_and_uuid_read_the_right_gpu(clock: Clock) -> None:
    driver = fake(3)
    meter = make_nvml(driver.module(), env={"CUDA_VISIBLE_DEVICES": "GPU-cccc,1"})
    token = meter.start()
    driver.gpus[2].energy_mj += 30_000  # type: ignore[operator]
    driver.gpus[1].energy_mj += 10_000  # type: ignore[operator]
    clock.wall += 1.0
    components = meter.stop(token).components
    assert set(components) == {"gpu:0", "gpu:1"}
    assert components["gpu:0"].energy_j == pytest.approx(30.0)  # CUDA's device 0 is NVML's 2
    assert components["gpu:1"].energy_j == pytest.approx(10.0)
    assert "GPU-cccc3333-0000" in meter.describe().components["gpu:0"].reason
    # which physical GPU measured each component: the report's environment.devices
    assert meter.describe().devices == {"gpu:0": "GPU-cccc3333-0000", "gpu:1": "GPU-bbbb2222-0000"}


def test_mig_entries_are_skipped_with_a_note() -> None:
    meter = make_nvml(fake(2).module(), env={"CUDA_VISIBLE_DEVICES": "0,MIG-1234abcd,1"})
    assert [g.label for g in meter.gpus] == ["gpu:0", "gpu:2"]
    notes = meter.describe().notes
    assert any("MIG instance MIG-1234abcd" in n and "not measured" in n for n in notes)
    with pytest.raises(NvmlUnavailable, match=r"leaves no GPU.*MIG instance"):
        make_nvml(fake(1).module(), env={"CUDA_VISIBLE_DEVICES": "MIG-1234abcd"})


def test_describe_lists_gpus_for_the_report() -> None:
    meter = make_nvml(fake(2, as_bytes=True).module(), env={})
    description = meter.describe()
    assert description.name == "nvml"
    assert description.notes[:2] == (f"gpu:0: {A100}", f"gpu:1: {A100}")
    choice = description.components["gpu:1"]
    assert (choice.meter, choice.provenance) == ("nvml", "measured")
    assert "GPU-bbbb2222-0000" in choice.reason and "total-energy counter" in choice.reason


def test_mixed_gpus_ask_for_pci_bus_order() -> None:
    driver = FakeNvml([FakeGpu(A100, UUIDS[0]), FakeGpu("NVIDIA T4", UUIDS[1])])
    assert any(
        "CUDA_DEVICE_ORDER=PCI_BUS_ID" in n for n in make_nvml(driver.module(), env={}).notes
    )
    env = {"CUDA_DEVICE_ORDER": "PCI_BUS_ID"}
    assert not make_nvml(driver.module(), env=env).notes


def test_driver_missing_raises_with_the_fix() -> None:
    driver = fake(1, init_error=NVMLError_LibraryNotFound)
    with pytest.raises(NvmlUnavailable, match=r"no NVIDIA driver.*Fix: .*nvidia-smi"):
        make_nvml(driver.module(), env={})


def test_driver_not_loaded_and_other_init_errors() -> None:
    with pytest.raises(NvmlUnavailable, match="driver is not loaded"):
        make_nvml(fake(1, init_error=NVMLError_DriverNotLoaded).module(), env={})
    with pytest.raises(NvmlUnavailable, match="NVML failed to start"):
        make_nvml(fake(1, init_error=NVMLError).module(), env={})


def test_no_gpu_shuts_nvml_down_again() -> None:
    driver = fake(0)
    with pytest.raises(NvmlUnavailable, match="NVML found no GPU"):
        make_nvml(driver.module(), env={})
    assert driver.calls == ["init", "shutdown"]


def test_forced_nvml_through_registry_uses_sys_modules(monkeypatch: pytest.MonkeyPatch) -> None:
    driver = fake(1)
    monkeypatch.setitem(sys.modules, "pynvml", driver.module())
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    meter = make_builtin("nvml")
    assert set(meter.describe().components) == {"gpu:0"}
    meter.close()
    meter.close()
    assert driver.calls == ["init", "shutdown"]
    monkeypatch.setitem(
        sys.modules, "pynvml", fake(1, init_error=NVMLError_LibraryNotFound).module()
    )
    with pytest.raises(MeterUnavailable, match="no NVIDIA driver"):
        make_builtin("nvml")


def test_bindings_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", None)  # makes `import pynvml` fail
    with pytest.raises(NvmlUnavailable, match="pip install nvidia-ml-py"):
        make_nvml(env={})


class FakeCuda:
    def __init__(self, initialized: bool) -> None:
        self.initialized = initialized
        self.synced: list[int | None] = []

    def is_initialized(self) -> bool:
        return self.initialized

    def synchronize(self, device: int | None = None) -> None:
        self.synced.append(device)


@pytest.mark.parametrize(("initialized", "synced"), [(True, [None, None]), (False, [])])
def test_cuda_is_synchronised_at_edges_only_when_torch_uses_it(
    monkeypatch: pytest.MonkeyPatch, initialized: bool, synced: list[int | None], clock: Clock
) -> None:
    cuda = FakeCuda(initialized)
    monkeypatch.setitem(sys.modules, "torch", SimpleNamespace(cuda=cuda))
    meter = make_nvml(fake(1).module(), env={})
    meter.stop(meter.start())
    assert cuda.synced == synced


def test_torch_not_loaded_is_not_imported(monkeypatch: pytest.MonkeyPatch, clock: Clock) -> None:
    monkeypatch.delitem(sys.modules, "torch", raising=False)
    meter = make_nvml(fake(1).module(), env={})
    meter.stop(meter.start())
    assert "torch" not in sys.modules


# --- windows aligned to the counter's ticks ------------------------------------------------

TICK_S = 0.1  # an H200's counter and power readings update every 100 ms


class TickingNvml(FakeNvml):
    """A counter that steps every 100 ms of the fake clock, like an H200's: it holds the
    energy integrated up to its last tick. Power is ``idle_w``, plus ``work_w`` inside the
    intervals the test declares busy; the power reading is the last tick interval's mean."""

    def __init__(self, clock: Clock, phase: float, idle_w: float = 150.0) -> None:
        super().__init__([FakeGpu("NVIDIA H200", UUIDS[0])])
        self.clock, self.phase, self.idle_w = clock, phase, idle_w
        self.busy: list[tuple[float, float, float]] = []  # (from, to, extra watts)

    def work(self, seconds: float, watts: float) -> float:
        """The body: ``watts`` above idle for ``seconds``; returns the joules it used."""
        self.busy.append((self.clock.wall, self.clock.wall + seconds, watts))
        self.clock.wall += seconds
        return (self.idle_w + watts) * seconds

    def energy_j(self, t: float) -> float:
        extra = sum(w * max(0.0, min(t, b) - a) for a, b, w in self.busy)
        return self.idle_w * t + extra

    def last_tick(self) -> float:
        return self.phase + math.floor((self.clock.wall - self.phase) / TICK_S) * TICK_S

    def nvmlDeviceGetTotalEnergyConsumption(self, gpu: FakeGpu) -> int:
        return round(self.energy_j(self.last_tick()) * 1e3)

    def nvmlDeviceGetPowerUsage(self, gpu: FakeGpu) -> int:
        t = self.last_tick()
        return round((self.energy_j(t) - self.energy_j(t - TICK_S)) / TICK_S * 1e3)


@pytest.mark.parametrize("seconds", [0.2, 0.35])
def test_windows_aligned_to_ticks_measure_short_runs_exactly(clock: Clock, seconds: float) -> None:
    figures, naive = [], []
    for phase in (0.0, 0.013, 0.05, 0.087, 0.099):
        clock.wall = 50.0 + phase / 3  # every start lands somewhere else in a tick
        driver = TickingNvml(clock, phase)
        meter = make_nvml(driver.module(), env={})
        read0 = driver.nvmlDeviceGetTotalEnergyConsumption(driver.gpus[0])
        blind = driver.work(seconds, 250.0)  # read at the edges as they fall, no alignment
        read1 = driver.nvmlDeviceGetTotalEnergyConsumption(driver.gpus[0])
        naive.append((read1 - read0) / 1e3 / blind)
        token = meter.start()
        truth = driver.work(seconds, 250.0)
        comp = meter.stop(token).components["gpu:0"]
        figures.append(comp.energy_j / truth)
        assert comp.provenance == "measured"
        assert "aligned to counter ticks" in (comp.note or "")
        assert "at the idle 150 W the counter measured next subtracted" in (comp.note or "")
    assert max(abs(r - 1) for r in figures) < 0.01  # within 1%, whatever the phase
    assert statistics.pstdev(naive) / statistics.fmean(naive) > 0.1  # what blind edges get


def test_a_window_much_shorter_than_a_tick_is_labelled_estimated(clock: Clock) -> None:
    driver = TickingNvml(clock, phase=0.0)
    meter = make_nvml(driver.module(), env={})
    token = meter.start()
    truth = driver.work(0.02, 250.0)
    comp = meter.stop(token).components["gpu:0"]
    assert comp.provenance == "estimated"  # most of the figure is the subtracted idle tail
    assert comp.energy_j == pytest.approx(truth, rel=0.05)


def test_alignment_waits_are_bounded_when_the_counter_stalls(clock: Clock) -> None:
    driver = fake(1)  # a counter that never moves by itself
    meter = make_nvml(driver.module(), env={})
    before = clock.wall
    meter.stop(meter.start())
    assert clock.wall - before == pytest.approx(0.9, abs=0.01)  # 0.3 s start + 2 x 0.3 s stop
