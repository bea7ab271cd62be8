"""Device check: are 0.2 s GPU windows steady with the tick-aligned NVML meter?

    PYTHONPATH=$PWD python benchmarks/gpu_window.py [--windows 30] [--seconds 0.2]

Needs an NVIDIA GPU (Volta or later), torch with CUDA and nvidia-ml-py; not codecarbon, and
the package need not be installed (PYTHONPATH is enough; the pytest part loads the plugin
with ``-p pytest_greenbudget.plugin``). Takes about a minute. Three parts:

1. ``--windows`` windows of a matrix-multiply loop calibrated to ``--seconds``, each started
   at a random phase of the counter's 100 ms tick. For every window three figures: the
   meter's (ticks aligned, idle tail subtracted), the blind counter delta the meter used to
   take (the counter read at the window's edges as they fall), and a reference: instantaneous
   power sampled every 2 ms by a thread (``NVML_FI_DEV_POWER_INSTANT``; the averaged power
   where the driver lacks it, which the output says) and integrated over the same window.
2. Printed: each figure's CV across windows, and the meter's and the blind delta's median
   ratio to the reference. The target (issue 10): CV at most 3% for a 0.2 s window.
3. The same work as a budgeted pytest test (``repeats`` = 8), through the plugin with
   ``--greenbudget-meter nvml``: the report's samples and their CV.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from machine import print_machine

from pytest_greenbudget.meters.nvml import NvmlMeter, make_nvml

ROOT = Path(__file__).parent.parent
FIELD = "NVML_FI_DEV_POWER_INSTANT"


class PowerSampler(threading.Thread):
    """(time, watts) every 2 ms until stopped."""

    def __init__(self, nvml: Any, handle: Any) -> None:
        super().__init__(daemon=True)
        self.nvml, self.handle = nvml, handle
        self.samples: list[tuple[float, float]] = []
        self.halt = threading.Event()
        self.instant = self._instant() is not None

    def _instant(self) -> float | None:
        field = getattr(self.nvml, FIELD, None)
        if field is None:
            return None
        try:
            value = self.nvml.nvmlDeviceGetFieldValues(self.handle, [field])[0]
        except self.nvml.NVMLError:
            return None
        return value.value.uiVal / 1e3 if value.nvmlReturn == 0 else None

    def watts(self) -> float:
        instant = self._instant() if self.instant else None
        return (
            instant if instant is not None else self.nvml.nvmlDeviceGetPowerUsage(self.handle) / 1e3
        )

    def run(self) -> None:
        while not self.halt.is_set():
            self.samples.append((time.perf_counter(), self.watts()))
            time.sleep(0.002)

    def integral(self, t0: float, t1: float) -> float:
        inside = [(t, w) for t, w in self.samples if t0 <= t <= t1]
        return sum((b[0] - a[0]) * (a[1] + b[1]) / 2 for a, b in itertools.pairwise(inside))


def calibrate(torch: Any, seconds: float) -> tuple[Any, int]:
    a = torch.randn(4096, 4096, device="cuda")
    for _ in range(20):
        a @ a  # ramps the GPU up from idle before anything is timed
    torch.cuda.synchronize()
    steps, elapsed = 10, 0.0
    while elapsed < seconds / 2:
        steps *= 2
        t0 = time.perf_counter()
        for _ in range(steps):
            a @ a
        torch.cuda.synchronize()
        elapsed = time.perf_counter() - t0
    return a, max(1, round(steps * seconds / elapsed))


def windows(meter: NvmlMeter, sampler: PowerSampler, torch: Any, args: Any) -> list[dict[str, Any]]:
    """Per round: one window through the meter, one blind counter delta; each with its
    reference integral over the same span."""
    a, steps = calibrate(torch, args.seconds)
    nvml, handle = meter._nvml, meter.gpus[0].handle
    rows = []
    for _ in range(args.windows):
        time.sleep(random.uniform(0.0, 0.1))  # a random phase of the counter's tick
        token = meter.start()
        t0 = time.perf_counter()
        work(torch, a, steps)
        t1 = time.perf_counter()
        reading = meter.stop(token)
        time.sleep(random.uniform(0.0, 0.1))
        b0, e0 = time.perf_counter(), nvml.nvmlDeviceGetTotalEnergyConsumption(handle)
        work(torch, a, steps)
        b1, e1 = time.perf_counter(), nvml.nvmlDeviceGetTotalEnergyConsumption(handle)
        rows.append({
            "wall": t1 - t0,
            "meter": reading.components["gpu:0"].energy_j,
            "meter_ref": sampler.integral(t0, t1),
            "blind": (e1 - e0) / 1e3,
            "blind_ref": sampler.integral(b0, b1),
            "note": reading.components["gpu:0"].note,
        })  # fmt: skip
    return rows


def work(torch: Any, a: Any, steps: int) -> None:
    for _ in range(steps):
        a @ a
    torch.cuda.synchronize()


def cv(values: list[float]) -> float:
    return statistics.stdev(values) / statistics.fmean(values)


def plugin_flag() -> list[str]:
    """``-p pytest_greenbudget.plugin`` where the package is not installed (PYTHONPATH only);
    where it is, its entry point loads it and a second -p would register it twice."""
    installed = {ep.value for ep in entry_points(group="pytest11")}
    return [] if "pytest_greenbudget.plugin" in installed else ["-p", "pytest_greenbudget.plugin"]


def part_pytest(seconds: float) -> None:
    test = f"""
import pytest, torch
A = torch.randn(4096, 4096, device="cuda")

def work(seconds):
    import time
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        A @ A
        torch.cuda.synchronize()

@pytest.mark.greenbudget(repeats=8, warmup=1)
def test_gpu_window():
    work({seconds})
"""
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "test_gpu_window.py").write_text(test)
        report = Path(tmp) / "r.json"
        out = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", *plugin_flag(),
             "-p", "no:cacheprovider", "--greenbudget-meter", "nvml",
             "--greenbudget-report", str(report), "test_gpu_window.py"],
            cwd=tmp, capture_output=True, text=True,
        )  # fmt: skip
        print(out.stdout[-3000:], out.stderr[-2000:], sep="\n")
        if report.is_file():
            entry = json.loads(report.read_text())["tests"][0]
            samples = entry["samples_j"]
            print(f"pytest samples (J): {[round(s, 2) for s in samples]}; CV {cv(samples):.1%}")
            print(f"component note: {entry['components']['gpu:0']['note']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=0.2)
    parser.add_argument("--skip-pytest", action="store_true")
    args = parser.parse_args()
    import torch

    meter = make_nvml(env={"CUDA_VISIBLE_DEVICES": "0"})
    sampler = PowerSampler(meter._nvml, meter.gpus[0].handle)
    print_machine(
        f"GPU:    {meter.describe().notes[0]}",
        f"torch:  {torch.__version__}",
        f"reference power: {'instantaneous' if sampler.instant else 'averaged (no POWER_INSTANT)'}",
    )
    sampler.start()
    try:
        rows = windows(meter, sampler, torch, args)
    finally:
        sampler.halt.set()
    print("| wall s | meter J | its reference J | blind J | its reference J |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['wall']:.3f} | {r['meter']:.2f} | {r['meter_ref']:.2f} | "
              f"{r['blind']:.2f} | {r['blind_ref']:.2f} |")  # fmt: skip
    print(f"\nnote of the last window: {rows[-1]['note']}")
    for key in ("meter", "meter_ref", "blind", "blind_ref"):
        values = [r[key] for r in rows]
        line = f"{key:9s}: median {statistics.median(values):.2f} J, CV {cv(values):.1%}"
        if not key.endswith("_ref"):
            ratio = statistics.median(r[key] / r[f"{key}_ref"] for r in rows)
            line += f", median ratio to its 2 ms reference {ratio:.3f}"
        print(line)
    wall = statistics.median(r["wall"] for r in rows)
    print(f"target: meter CV <= 3% for a {args.seconds} s window (median wall {wall:.3f} s)")
    meter.close()
    if not args.skip_pytest:
        part_pytest(args.seconds)


if __name__ == "__main__":
    main()
