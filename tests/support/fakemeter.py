"""A deterministic meter for the plugin's own tests, plugged in through its hook.

Energy is what the test body says it burned: ``fakemeter.burn(2.5)`` adds 2.5 J to a ledger
and the meter reports ledger deltas. So a window's figure is exact and depends only on the
code inside it, like a perfect hardware counter. Answers for the default meter name "auto"
(and "fake"); other names fall through to the built-in meters.
"""

from __future__ import annotations

import os

import pytest

from pytest_greenbudget.meters.base import (
    ComponentChoice,
    ComponentReading,
    MeterDescription,
    Reading,
)

# Integer nanojoules: float sums would make a figure depend on what ran before it.
LEDGER = {"nanojoules": 0, "starts": 0, "spin_ns": 0}


def burn(joules: float) -> None:
    LEDGER["nanojoules"] += round(joules * 1e9)


def spin(cpu_seconds: float) -> None:
    """CPU seconds on top of the window's wall time, as busy extra threads would add."""
    LEDGER["spin_ns"] += round(cpu_seconds * 1e9)


class FakeMeter:
    name = "fake"

    def start(self) -> object:
        LEDGER["starts"] += 1
        return LEDGER["nanojoules"], LEDGER["spin_ns"]

    def stop(self, token: object) -> Reading:
        assert isinstance(token, tuple)
        energy = (LEDGER["nanojoules"] - token[0]) / 1e9
        spun = (LEDGER["spin_ns"] - token[1]) / 1e9
        comp = ComponentReading(energy, "measured", self.name)
        return Reading({"cpu": comp}, wall_s=energy / 100, cpu_s=energy / 100 + spun)

    def describe(self) -> MeterDescription:
        return MeterDescription(
            self.name, {"cpu": ComponentChoice(self.name, "measured", "test double")}
        )

    def close(self) -> None:
        pass


class FakeGpuMeter(FakeMeter):
    """The same ledger read as one GPU's counter (component ``gpu:0``, meter ``nvml``), on the
    GPU whose UUID ``FAKE_GPU_UUID`` names: which physical GPU measured is what it varies."""

    name = "fakegpu"

    def stop(self, token: object) -> Reading:
        reading = super().stop(token)
        energy = reading.components["cpu"].energy_j
        comp = ComponentReading(energy, "measured", "nvml")
        return Reading({"gpu:0": comp}, reading.wall_s, reading.cpu_s)

    def describe(self) -> MeterDescription:
        return MeterDescription(
            self.name,
            {"gpu:0": ComponentChoice("nvml", "measured", "test double")},
            ("gpu:0: NVIDIA H200",),
            {"gpu:0": os.environ.get("FAKE_GPU_UUID", "GPU-00000000-fake")},
        )


@pytest.hookimpl(optionalhook=True)  # so `-p no:greenbudget` still works with this loaded
def pytest_greenbudget_make_meter(config: pytest.Config, name: str) -> FakeMeter | None:
    if name == "fakegpu":
        return FakeGpuMeter()
    return FakeMeter() if name in ("auto", "fake") else None
