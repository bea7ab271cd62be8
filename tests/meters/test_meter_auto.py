"""``auto``, the registry, import cost, and the third-party meter example in docs/meters.md."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from test_meter_nvml import NVMLError_LibraryNotFound, fake
from test_meter_rapl import refuse, set_energy, zone

from pytest_greenbudget.meters import BUILTIN, MeterOptions, MeterUnavailable, make_builtin
from pytest_greenbudget.meters.auto import CompositeMeter, make_auto, plan
from pytest_greenbudget.meters.base import (
    ComponentChoice,
    ComponentReading,
    MeterDescription,
    Reading,
)

DOCS = Path(__file__).parents[2] / "docs" / "meters.md"
NO_GPU = fake(1, init_error=NVMLError_LibraryNotFound)
NO_GPU_DETAIL = "no NVIDIA driver: libnvidia-ml.so not found"


@pytest.fixture
def powercap(tmp_path: Path) -> dict[str, Path]:
    return {
        "pkg": zone(tmp_path, "intel-rapl:0", "package-0", 1_000_000),
        "dram": zone(tmp_path, "intel-rapl:0:1", "dram", 0),
    }


def test_rapl_and_nvml_components_add_up(tmp_path: Path, powercap: dict[str, Path]) -> None:
    driver = fake(1)
    meter = make_auto(root=tmp_path, nvml=driver.module(), env={})
    token = meter.start()
    set_energy(powercap["pkg"], 3_000_000)
    set_energy(powercap["dram"], 500_000)
    driver.gpus[0].energy_mj = 40  # inside a window shorter than 0.1 s: power x time instead
    reading = meter.stop(token)
    meter.close()
    assert set(reading.components) == {"cpu", "dram", "gpu:0"}
    assert reading.components["cpu"].energy_j == pytest.approx(2.0)
    assert reading.components["dram"].energy_j == pytest.approx(0.5)
    assert reading.components["gpu:0"].meter == "nvml"
    assert reading.energy_j == pytest.approx(2.5 + reading.components["gpu:0"].energy_j)
    description = meter.describe()
    assert description.name == meter.name == "auto"
    picked = {name: (c.meter, c.provenance) for name, c in description.components.items()}
    assert picked == {
        "cpu": ("rapl", "measured"),
        "dram": ("rapl", "measured"),
        "gpu:0": ("nvml", "measured"),
    }
    assert description.notes == ("gpu:0: NVIDIA A100-SXM4-40GB",)
    assert set(description.devices) == {"gpu:0"}  # the CPU meters name no device


def test_unreadable_rapl_falls_back_with_one_warning_naming_the_fix(
    tmp_path: Path, powercap: dict[str, Path]
) -> None:
    meter = make_auto(root=tmp_path, nvml=NO_GPU.module(), env={}, opener=refuse(after=0))
    description = meter.describe()
    meter.close()
    cpu = description.components["cpu"]
    assert (cpu.meter, cpu.provenance) == ("cputime", "estimated")
    assert "rapl not used: " in cpu.reason and "readable by root only" in cpu.reason
    assert len(description.notes) == 1
    assert "udev" in description.notes[0] and 'SUBSYSTEM=="powercap"' in description.notes[0]
    assert "dram" not in description.components


def test_vm_without_rapl_or_gpu_is_quiet(tmp_path: Path) -> None:
    meter = make_auto(
        MeterOptions(watts_per_vcpu=10.0),
        root=tmp_path / "absent",
        nvml=NO_GPU.module(),
        env={},
    )
    description = meter.describe()
    assert description.notes == ()
    assert set(description.components) == {"cpu"}
    assert "rapl not used: no powercap tree" in description.components["cpu"].reason
    reading = meter.stop(meter.start())
    assert reading.components["cpu"].energy_j == pytest.approx(reading.cpu_s * 10.0)


def test_plan_accounts_for_every_backend(tmp_path: Path) -> None:
    chosen = plan(root=tmp_path / "absent", nvml=NO_GPU.module(), env={})
    assert [(c.meter, c.available) for c in chosen.cpu] == [("rapl", False), ("cputime", True)]
    assert chosen.cpu[0].fix is not None and "bare metal" in chosen.cpu[0].fix
    (gpu,) = chosen.gpu
    assert (gpu.meter, gpu.available, gpu.detail) == ("nvml", False, NO_GPU_DETAIL)


class Recorder:
    def __init__(self, name: str, component: str, log: list[str]) -> None:
        self.name = name
        self.component = component
        self.log = log

    def start(self) -> object:
        self.log.append(f"{self.name}.start")
        return self.name

    def stop(self, token: object) -> Reading:
        self.log.append(f"{self.name}.stop:{token}")
        comp = ComponentReading(1.0, "measured", self.name)
        wall = 2.0 if self.name == "cpu" else 9.0
        return Reading({self.component: comp}, wall, wall / 2)

    def describe(self) -> MeterDescription:
        return MeterDescription(self.name, {self.component: ComponentChoice(self.name, "measured")})

    def close(self) -> None:
        self.log.append(f"{self.name}.close")


def test_composite_orders_gpu_before_cpu_and_takes_seconds_from_cpu() -> None:
    log: list[str] = []
    parts = [Recorder("gpu", "gpu:0", log), Recorder("cpu", "cpu", log)]
    meter = CompositeMeter("auto", parts, MeterDescription("auto"))
    reading = meter.stop(meter.start())
    meter.close()
    assert log == [
        "gpu.start",
        "cpu.start",
        "gpu.stop:gpu",
        "cpu.stop:cpu",
        "gpu.close",
        "cpu.close",
    ]
    assert (reading.wall_s, reading.cpu_s, reading.energy_j) == (2.0, 1.0, 2.0)


def test_plan_runs_gpu_meters_first(tmp_path: Path) -> None:
    chosen = plan(root=tmp_path / "absent", nvml=fake(2).module(), env={})
    assert [m.name for m in chosen.meters] == ["nvml", "cputime"]
    for m in chosen.meters:
        m.close()


def test_registry_passes_options(
    tmp_path: Path, powercap: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GREENBUDGET_POWERCAP_ROOT", str(tmp_path))
    monkeypatch.setitem(sys.modules, "pynvml", NO_GPU.module())
    meter = make_builtin("auto", MeterOptions(attribute=True))
    assert "attributed by CPU-time share" in meter.describe().components["cpu"].reason
    meter.close()
    model = make_builtin("cputime", MeterOptions(watts_per_vcpu=7.0))
    assert "7.0 W per busy vCPU" in model.describe().components["cpu"].reason


def test_registry_names_every_builtin() -> None:
    assert set(BUILTIN) == {"auto", "cputime", "rapl", "nvml", "codecarbon"}
    with pytest.raises(
        MeterUnavailable, match="valid meters: auto, codecarbon, cputime, nvml, rapl"
    ):
        make_builtin("joulemeter")


def test_importing_meters_loads_no_backend() -> None:
    code = (
        "import sys, pytest_greenbudget.meters as m; "
        "print(sorted({'codecarbon', 'pynvml', 'numpy', 'requests', 'pandas'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- the smart plug example in docs/meters.md, against a local HTTP server ---


def docs_example() -> dict[str, Any]:
    blocks = re.findall(r"```python\n(.*?)```", DOCS.read_text(), flags=re.S)
    (source,) = [b for b in blocks if "class SmartPlugMeter" in b]
    namespace: dict[str, Any] = {"__name__": "conftest_example"}
    exec(compile(source, str(DOCS), "exec"), namespace)
    return namespace


class PlugHandler(BaseHTTPRequestHandler):
    """A Shelly Gen2 plug whose counter moves 0.5 Wh between reads."""

    total_wh = 100.0

    def do_GET(self) -> None:
        assert self.path == "/rpc/Switch.GetStatus?id=0"
        body = json.dumps({"id": 0, "aenergy": {"total": PlugHandler.total_wh}}).encode()
        PlugHandler.total_wh += 0.5
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def plug() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), PlugHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/rpc/Switch.GetStatus?id=0"
    server.shutdown()
    server.server_close()


def test_docs_smart_plug_example_measures(plug: str) -> None:
    example = docs_example()
    meter = example["SmartPlugMeter"](plug, ("aenergy", "total"))
    reading = meter.stop(meter.start())
    meter.close()
    system = reading.components["system"]
    assert system.energy_j == pytest.approx(0.5 * 3600)
    assert (system.meter, system.provenance) == ("smartplug", "measured")
    assert set(meter.describe().components) == {"system"}
    assert example["pytest_greenbudget_make_meter"](None, "auto") is None


def test_docs_smart_plug_example_unreachable_is_a_clear_error() -> None:
    example = docs_example()
    with pytest.raises(MeterUnavailable, match=r"smart plug at .*Fix: check the plug's address"):
        example["SmartPlugMeter"]("http://127.0.0.1:9/energy", ("aenergy", "total"), timeout_s=1)


def test_auto_on_this_machine_works_end_to_end() -> None:
    meter = make_builtin("auto")
    reading = meter.stop(meter.start())
    meter.close()
    assert "cpu" in reading.components and reading.wall_s > 0
