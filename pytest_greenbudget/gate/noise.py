"""The between-session noise a comparison allows for when no one has measured it: a default
per meter. Pure: no pytest.

One global figure cannot serve (issue 9): NVML's counter moved under 1% between sessions on an
H200 where the CPU-time model moves 2-49% with the kind of work (docs/architecture.md). Too high
blinds the gate, too low cries wolf, so each component gets its meter's figure and a test's
noise combines them by their share of its energy. The user's ``session_noise`` setting, and a
test's own history of runs in the baseline (gate/history.py), replace these defaults.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping

from ..report.model import Component

# Between-session CV by meter; the README's regressions section says where each comes from.
METER_NOISE = {
    # One GPU: a 0.4 s training test moved at most 1.0% between five sessions on an H200, the
    # last four within 0.4% (docs/meters.md); 0.5% still lets a 5% tolerance be resolved.
    "nvml": 0.005,
    # Not measured here (no RAPL on this project's VMs). A hardware counter like NVML, but
    # package-wide, shared with every other process and attributed by CPU share: between
    # NVML and the CPU-time model.
    "rapl": 0.10,
    # Pooled over the example suite on a shared 2-vCPU VM: 25.8% and 26.9% (28 and 32 degrees
    # of freedom). Single-thread compute moves 2-6%, memory-bound work 13-34%.
    "cputime": 0.25,
    "codecarbon": 0.25,  # its CPU figure is a model too
}
# Threaded BLAS moved 28-49% between sessions: its spinning threads count as CPU time. A run
# whose CPU seconds exceed its wall seconds by a fifth had more than one thread at work.
THREADED_NOISE = 0.45
THREADED_RATIO = 1.2
UNKNOWN_NOISE = 0.25  # a plugin's own meter: the old global default, no better guess
# A baseline measured on another device than the head's. Two GPUs of one model differ in
# level: a 0.4 s training test read 252-266 J on the H200s of four machines (CV 2.2%; 3%
# leaves room for a fifth), where five sessions on one moved at most 1.0% (docs/meters.md).
OTHER_DEVICE_NOISE = {"nvml": 0.03}
METER_DEFAULT = "meter default"  # how a noise_source from these figures begins


def component_noise(
    meter: str, cpu_s: float | None, wall_s: float | None, moved: bool = False
) -> float:
    """The default between-session CV of one component measured by ``meter``; ``moved``: the
    baseline measured it on another device."""
    if moved and meter in OTHER_DEVICE_NOISE:
        return OTHER_DEVICE_NOISE[meter]
    if meter == "cputime" and cpu_s and wall_s and cpu_s > THREADED_RATIO * wall_s:
        return THREADED_NOISE
    return METER_NOISE.get(meter, UNKNOWN_NOISE)


def meter_noise(
    components: Mapping[str, Component],
    cpu_s: float | None = None,
    wall_s: float | None = None,
    moved: Collection[str] = frozenset(),
) -> tuple[float, str]:
    """A test's default between-session CV and where it came from, e.g.
    ``(0.006, "meter default (cputime, nvml)")``.

    Components drift independently (the GPU's counter does not know the CPU's load), so the
    CV of their sum is the root of the summed squares of each one's CV times its share.
    ``moved``: the components a baseline measured on another device (OTHER_DEVICE_NOISE).
    """
    total = math.fsum(c.energy_j for c in components.values())
    if not components or total <= 0:
        return UNKNOWN_NOISE, f"{METER_DEFAULT} (unknown meter)"
    squares = math.fsum(
        (c.energy_j / total * component_noise(c.meter, cpu_s, wall_s, name in moved)) ** 2
        for name, c in components.items()
    )
    meters = ", ".join(sorted({c.meter for c in components.values()}))
    other = any(c.meter in OTHER_DEVICE_NOISE for n, c in components.items() if n in moved)
    where = ", another GPU than the baseline's" if other else ""
    return math.sqrt(squares), f"{METER_DEFAULT} ({meters}){where}"
