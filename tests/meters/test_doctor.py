"""``greenbudget doctor`` through the CLI, on fake powercap trees and a fake NVML."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from test_meter_nvml import A100, UUIDS, FakeGpu, FakeNvml, NVMLError_LibraryNotFound, fake
from test_meter_rapl import zone

from pytest_greenbudget.cli import main
from pytest_greenbudget.commands import doctor
from pytest_greenbudget.meters import rapl


@pytest.fixture
def machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No powercap tree and no NVIDIA driver, like a CI VM, until a test adds them."""
    root = tmp_path / "powercap"
    monkeypatch.setenv("GREENBUDGET_POWERCAP_ROOT", str(root))
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    driver = fake(1, init_error=NVMLError_LibraryNotFound)
    monkeypatch.setitem(sys.modules, "pynvml", driver.module())
    monkeypatch.setattr(doctor, "WIDTH", 10_000)  # one line per finding, to match on
    return root


def with_rapl(root: Path, dram: bool = True) -> None:
    root.mkdir()
    zone(root, "intel-rapl:0", "package-0", 10)
    if dram:
        zone(root, "intel-rapl:0:2", "dram", 10)


def doctor_text(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["doctor", *args]) == 0
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return out


def doctor_json(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(doctor_text(capsys, "--json"))
    return result


def test_bare_metal_with_rapl_and_a_gpu(
    machine: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with_rapl(machine)
    monkeypatch.setitem(sys.modules, "pynvml", fake(1).module())
    out = doctor_text(capsys)
    assert "cpu   auto uses rapl (measured)" in out
    assert "dram  auto uses rapl (measured)" in out
    assert "gpu   auto uses gpu:0: nvml (measured)" in out
    assert f"gpu:0 {A100}: energy counter (measured)" in out
    assert "fix:" not in out


def test_json_for_scripts(
    machine: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with_rapl(machine)
    monkeypatch.setitem(sys.modules, "pynvml", fake(2).module())
    found = doctor_json(capsys)
    assert {name: c["meter"] for name, c in found["auto"].items()} == {
        "cpu": "rapl",
        "dram": "rapl",
        "gpu:0": "nvml",
        "gpu:1": "nvml",
    }
    assert [c["meter"] for c in found["components"]["cpu"]] == ["rapl", "cputime", "codecarbon"]
    assert found["components"]["gpu"][0]["available"] is True
    assert found["machine"]["powercap_root"] == str(machine)
    assert found["machine"]["cpus"] >= 1


def test_root_only_counters_name_the_udev_fix(
    machine: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with_rapl(machine)

    def denied(path: str) -> int:
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(rapl, "_open_readonly", denied)
    out = doctor_text(capsys)
    assert "cpu   auto uses cputime (estimated)" in out
    assert "readable by root only" in out
    assert 'SUBSYSTEM=="powercap"' in out and "chmod a+r" in out
    found = doctor_json(capsys)
    (rapl_row, *_) = found["components"]["cpu"]
    assert rapl_row["available"] is False and "udevadm" in rapl_row["fix"]
    assert len(found["notes"]) == 1 and "RAPL not used" in found["notes"][0]


def test_vm_without_rapl_or_driver(
    machine: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(doctor, "WIDTH", 100)
    wrapped = doctor_text(capsys)
    assert max(len(line) for line in wrapped.splitlines()) <= 100
    monkeypatch.setattr(doctor, "WIDTH", 10_000)
    out = doctor_text(capsys)
    assert "cpu   auto uses cputime (estimated)" in out
    assert "dram  not measured" in out
    assert "gpu   not measured" in out
    assert "no NVIDIA driver" in out and "nvidia-smi" in out
    assert f"no powercap tree at {machine}" in out
    assert "\npowercap " not in out  # no header for a tree this machine does not have
    with_rapl(machine)
    assert f"\npowercap  {machine}\n" in doctor_text(capsys)


def test_gpu_without_energy_counter(
    machine: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    driver = FakeNvml([FakeGpu("Tesla P100-PCIE-16GB", UUIDS[0], energy_mj=None)])
    monkeypatch.setitem(sys.modules, "pynvml", driver.module())
    out = doctor_text(capsys)
    assert "gpu   auto uses gpu:0: nvml (estimated)" in out
    assert "energy counter not supported, power x time (estimated)" in out


def test_cpu_without_dram_zone(machine: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with_rapl(machine, dram=False)
    found = doctor_json(capsys)
    (dram,) = found["components"]["dram"]
    assert dram["available"] is False and "no dram zone" in dram["detail"]
    assert "dram" not in found["auto"]


def test_unforeseen_failures_become_notes(
    machine: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def boom() -> None:
        raise RuntimeError("sysfs on fire")

    monkeypatch.setattr(doctor, "plan", boom)
    monkeypatch.setattr(doctor, "machine", boom)
    out = doctor_text(capsys)
    assert "machine: could not be described" in out
    assert "boom failed: RuntimeError: sysfs on fire" in out
    assert doctor_json(capsys)["components"] == {}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("processor\t: 0\nflags\t\t: fpu vme hypervisor lahf_lm\n", True),
        ("processor\t: 0\nflags\t\t: fpu vme lahf_lm\n", False),
        ("processor\t: 0\n", None),
    ],
)
def test_virtual_machine_from_the_cpu_flag(
    tmp_path: Path, text: str, expected: bool | None
) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(text)
    assert doctor._is_vm(cpuinfo) is expected
    assert doctor._is_vm(tmp_path / "absent") is None


def test_help_comes_from_the_docstring(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["doctor", "--help"])
    out = capsys.readouterr().out
    assert "Show how energy would be measured here" in out and "--json" in out
