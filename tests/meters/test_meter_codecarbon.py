"""The codecarbon meter: for real on this machine (offline, its own estimate), and its edges.

Building codecarbon's tracker detects the hardware (1-2 s), so the real tests share one meter;
under xdist, `--dist loadgroup` keeps them on one worker so that cost is paid once.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from pytest_greenbudget.meters import MeterOptions, MeterUnavailable, make_builtin
from pytest_greenbudget.meters.base import Meter
from pytest_greenbudget.meters.codecarbon_meter import CodecarbonMeter, _tracker_kwargs

pytestmark = pytest.mark.xdist_group("codecarbon")


def burn(seconds: float) -> None:
    import time

    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


@pytest.fixture(scope="module")
def offline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Meter, Path, list[Any]]]:
    """A real codecarbon meter built and first used with the network cut and outputs asked for."""
    attempts: list[Any] = []
    cwd = tmp_path_factory.mktemp("cwd")

    def refuse(*args: Any, **kwargs: Any) -> None:
        attempts.append(args)
        raise OSError("network is off in this test")

    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(cwd)
        # A user's codecarbon config asking for a CSV and the API must not win over ours.
        mp.setenv("CODECARBON_OUTPUT_METHODS", "csv,api")
        mp.setattr(socket.socket, "connect", refuse)
        mp.setattr(socket, "create_connection", refuse)
        meter = make_builtin("codecarbon", MeterOptions(country="FRA"))
        meter.stop(meter.start())
        yield meter, cwd, attempts
        meter.close()


def test_measures_cpu_and_ram_with_codecarbons_own_estimate(
    offline: tuple[Meter, Path, list[Any]],
) -> None:
    meter = offline[0]
    token = meter.start()
    burn(0.3)
    reading = meter.stop(token)
    assert set(reading.components) >= {"cpu", "ram"}
    cpu = reading.components["cpu"]
    assert cpu.energy_j > 0 and reading.components["ram"].energy_j > 0
    assert (cpu.meter, cpu.provenance) == ("codecarbon", "estimated")  # no RAPL on this VM
    assert reading.wall_s >= 0.3 and reading.cpu_s > 0  # shared 2-vCPU VM: CPU s vary


def test_describe_names_codecarbons_mode(offline: tuple[Meter, Path, list[Any]]) -> None:
    description = offline[0].describe()
    assert description.name == "codecarbon"
    assert description.notes == ()  # driven on demand: no scheduler threads
    cpu = description.components["cpu"]
    assert cpu.reason.startswith("codecarbon ") and "CPU mode" in cpu.reason
    assert description.components["ram"].provenance == "estimated"


def test_no_thread_no_file_no_network(offline: tuple[Meter, Path, list[Any]]) -> None:
    meter, cwd, attempts = offline
    before = set(threading.enumerate())
    meter.stop(meter.start())
    assert set(threading.enumerate()) == before
    assert list(cwd.iterdir()) == []
    assert attempts == []
    # CODECARBON_OUTPUT_METHODS=csv,api was set: had it won, these would exist to be used later.
    assert meter._tracker._output_handlers == []  # type: ignore[attr-defined]


def test_overlapping_windows(offline: tuple[Meter, Path, list[Any]]) -> None:
    meter = offline[0]
    outer = meter.start()
    burn(0.05)
    inner = meter.start()
    burn(0.1)
    inner_reading = meter.stop(inner)
    burn(0.05)
    outer_reading = meter.stop(outer)
    assert 0 < inner_reading.energy_j < outer_reading.energy_j


def test_unknown_country_is_refused_with_the_fix() -> None:
    with pytest.raises(MeterUnavailable, match=r"country 'Narnia'.*ISO 3166 alpha-3"):
        make_builtin("codecarbon", MeterOptions(country="Narnia"))


def test_tracker_without_the_internals_is_refused() -> None:
    with pytest.raises(MeterUnavailable, match=r"lacks _measure_power_and_energy.*codecarbon>=2.8"):
        CodecarbonMeter(object(), "1.0")


class OldTracker:
    """A codecarbon without lazy hardware detection: it must be started the ordinary way."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.kwh = 0.0
        self._hardware = [SimpleNamespace(_mode="intel_rapl")]
        for attr in ("_total_cpu_energy", "_total_gpu_energy", "_total_ram_energy"):
            setattr(self, attr, SimpleNamespace(kWh=0.0))

    def start(self) -> None:
        self.calls.append("start")

    def stop(self) -> None:
        self.calls.append("stop")

    def _measure_power_and_energy(self) -> None:
        self._total_cpu_energy.kWh += 1e-6  # 3.6 J a step


def test_old_codecarbon_is_started_and_stopped_and_says_it_runs_threads() -> None:
    tracker = OldTracker()
    meter = CodecarbonMeter(tracker, "2.3.0")
    reading = meter.stop(meter.start())
    assert tracker.calls == ["start"]
    assert reading.components["cpu"].energy_j == pytest.approx(3.6)
    assert reading.components["cpu"].provenance == "measured"  # codecarbon read RAPL
    assert set(reading.components) == {"cpu"}
    assert "scheduler threads" in meter.describe().notes[0]
    meter.close()
    assert tracker.calls == ["start", "stop"]


def test_kwargs_switch_outputs_off_for_old_and_new_codecarbon() -> None:
    class New:
        def __init__(self, country_iso_code: str, output_methods: list[str], pue: float) -> None:
            pass

    class Old:
        def __init__(self, country_iso_code: str, save_to_file: bool, save_to_api: bool) -> None:
            pass

    assert _tracker_kwargs(New, "FRA") == {
        "country_iso_code": "FRA",
        "output_methods": [],
        "pue": 1.0,
    }
    assert _tracker_kwargs(Old, "USA") == {
        "country_iso_code": "USA",
        "save_to_file": False,
        "save_to_api": False,
    }
