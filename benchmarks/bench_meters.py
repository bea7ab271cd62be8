"""What one start+stop pair costs for each meter, side by side in one run.

    python benchmarks/bench_meters.py [--quick]

Meters: cputime (the CPU-time model) with no other process, and with a tree of 8 idle pool
workers (its /proc reader, and psutil's, which scans every process on the machine), rapl on
a temporary powercap tree (two packages and a dram zone, the files a two-socket server has),
rapl with CPU-time attribution, auto as it resolves on this machine, and codecarbon (its
tracker's one-off start timed apart). Rounds of
back-to-back pairs are interleaved across meters so that load from elsewhere falls on all of
them alike; the table gives the median and the best round per pair and the ratio of medians
to cputime. The pair is the whole cost a test window pays; the body of the window is empty.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pytest_greenbudget.meters import MeterOptions, MeterUnavailable, make_builtin
from pytest_greenbudget.meters.base import Meter
from pytest_greenbudget.meters.cputime import CpuInfo, CpuTimeMeter, cpu_count
from pytest_greenbudget.meters.processes import ProcessTree, read_psutil
from pytest_greenbudget.meters.rapl import make_rapl

ROUNDS = 7


@dataclass(frozen=True)
class Result:
    name: str
    median_us: float
    best_us: float
    pairs: int


def time_round(meter: Meter, pairs: int) -> float:
    """Microseconds per start+stop pair over ``pairs`` back-to-back pairs."""
    start, stop = meter.start, meter.stop
    t0 = time.perf_counter()
    for _ in range(pairs):
        stop(start())
    return (time.perf_counter() - t0) / pairs * 1e6


def powercap_tree(root: Path) -> Path:
    zones = [
        ("intel-rapl:0", "package-0"),
        ("intel-rapl:0:0", "dram"),
        ("intel-rapl:1", "package-1"),
    ]
    for zid, name in zones:
        d = root / zid
        d.mkdir()
        (d / "name").write_text(name + "\n")
        (d / "energy_uj").write_text("123456789\n")
        (d / "max_energy_range_uj").write_text("262143328850\n")
    return root


def bench(plans: list[tuple[str, Callable[[], Meter], int]]) -> list[Result | str]:
    """Rounds interleaved across meters, so a busy neighbour slows every meter alike."""
    meters: list[tuple[str, Meter, int]] = []
    skipped: list[Result | str] = []
    for name, make, pairs in plans:
        try:
            meter = make()
        except MeterUnavailable as exc:
            skipped.append(f"{name}: not available here ({exc})")
            continue
        meter.stop(meter.start())  # warm: first-use work is not the steady cost
        meters.append((name, meter, pairs))
    rounds: dict[str, list[float]] = {name: [] for name, _, _ in meters}
    for _ in range(ROUNDS):
        for name, meter, pairs in meters:
            rounds[name].append(time_round(meter, pairs))
    for _, meter, _ in meters:
        meter.close()
    results: list[Result | str] = [
        Result(name, statistics.median(rounds[name]), min(rounds[name]), pairs)
        for name, _, pairs in meters
    ]
    return results + skipped


def codecarbon_first_start() -> str:
    t0 = time.perf_counter()
    try:
        meter = make_builtin("codecarbon")
    except MeterUnavailable as exc:
        return f"codecarbon: not available here ({exc})"
    t1 = time.perf_counter()
    meter.stop(meter.start())
    t2 = time.perf_counter()
    meter.close()
    return (
        f"codecarbon one-off costs: import + tracker {(t1 - t0) * 1e3:.0f} ms, "
        f"first window (hardware detection) {(t2 - t1) * 1e3:.0f} ms"
    )


def machine() -> str:
    cpu = CpuInfo.from_proc()
    return (
        f"machine: {cpu.model_name} ({cpu.microarchitecture() or 'micro-architecture unknown'}), "
        f"{cpu_count()} usable of {os.cpu_count()} logical CPUs, {platform.platform()}\n"
        f"python:  {platform.python_implementation()} {platform.python_version()}"
    )


def table(results: list[Result]) -> list[str]:
    base = next(r.median_us for r in results if r.name == "cputime")
    lines = [
        f"{'meter':<22}{'median µs/pair':>16}{'best µs/pair':>14}{'x cputime':>11}{'pairs':>9}"
    ]
    for r in results:
        ratio = r.median_us / base
        lines.append(
            f"{r.name:<22}{r.median_us:>16.2f}{r.best_us:>14.2f}{ratio:>11.1f}{r.pairs:>9}"
        )
    return lines


def psutil_cputime() -> Meter:
    return CpuTimeMeter(processes=ProcessTree(read_psutil))


def idle(queue: multiprocessing.Queue[None]) -> None:
    queue.get()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the pairs per round")
    scale = 10 if parser.parse_args().quick else 1
    print(machine())
    print(f"rounds:  {ROUNDS} per meter, median and best round shown\n")
    cputime = [("cputime", CpuTimeMeter, 20_000 // scale)]
    queue: multiprocessing.Queue[None] = multiprocessing.Queue()
    workers = [multiprocessing.Process(target=idle, args=(queue,)) for _ in range(8)]
    # Without other processes first, then every meter with the 8 workers alive.
    plain = bench(cputime)
    print("no other process:")
    print("\n".join(table([o for o in plain if isinstance(o, Result)])), flush=True)
    for worker in workers:
        worker.start()
    with tempfile.TemporaryDirectory() as tmp:
        root = powercap_tree(Path(tmp))
        plans: list[tuple[str, Callable[[], Meter], int]] = [
            ("cputime", CpuTimeMeter, 1_000 // scale),
            ("cputime, psutil tree", lambda: psutil_cputime(), 50 // scale),
            ("rapl (3 zones)", lambda: make_rapl(root), 20_000 // scale),
            ("rapl, attributed", lambda: make_rapl(root, attribute=True), 20_000 // scale),
            ("auto (this machine)", lambda: make_builtin("auto", MeterOptions()), 1_000 // scale),
            ("codecarbon", lambda: make_builtin("codecarbon"), 300 // scale),
        ]
        print(codecarbon_first_start())
        outcomes = bench(plans)
    for _ in workers:
        queue.put(None)
    for worker in workers:
        worker.join()
    print(f"\nwith a tree of {len(workers)} idle worker processes:")
    results = [o for o in outcomes if isinstance(o, Result)]
    print("\n".join(table(results)))
    for skipped in (o for o in outcomes if isinstance(o, str)):
        print(skipped)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
