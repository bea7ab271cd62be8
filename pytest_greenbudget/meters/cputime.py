"""The default meter on CI VMs: process CPU seconds x watts per vCPU.

Why CPU time and not wall time: a process's own user+sys seconds leave out the time it waits
while a neighbour runs, which wall-time models count (docs/architecture.md). They still carry a
shared VM's contention: on this project's 2-vCPU CI VM the same 60 ms loop, alone on its core,
read 41-103 ms of CPU time, one-sided noise that the gates' floors and medians are built for.

Children that have been waited for are counted through RUSAGE_CHILDREN; every other process
the test caused (pool workers, data-loader workers, a subprocess left running) through a
snapshot of the process tree at each edge of the window (processes.py).

Watts per vCPU are the "max watts" coefficients of Cloud Carbon Footprint (derived from
SPECpower_ssj2008 results, https://github.com/cloud-carbon-footprint/ccf-coefficients, AWS
table). CPU seconds are fully-busy vCPU seconds, so the at-100%-load figure is the one that
applies. An unrecognised CPU gets CCF's own fallback for an unknown micro-architecture, 3.5 W.
"""

from __future__ import annotations

import os
import resource
import time
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from .base import ComponentChoice, ComponentReading, MeterDescription, Reading
from .processes import Account, ProcessTree
from .snapshot import Snapshot

UNKNOWN_WATTS = 3.5

# Max watts per vCPU by micro-architecture, CCF coefficients (AWS).
WATTS_PER_VCPU: dict[str, float] = {
    "Sandy Bridge": 8.58,
    "Ivy Bridge": 8.25,
    "Haswell": 6.01,
    "Broadwell": 3.69,
    "Skylake": 4.19,
    "Cascade Lake": 3.97,
    "Coffee Lake": 5.42,
    "EPYC 1st Gen": 2.55,
    "EPYC 2nd Gen": 1.69,
    "EPYC 3rd Gen": 2.02,
    "Graviton": 1.69,
    "Graviton2": 1.69,
}

# (vendor, family, model) from /proc/cpuinfo -> micro-architecture. Identifying by numbers,
# not by name, because VMs often report a generic "Intel(R) Xeon(R) Processor".
_INTEL_MODELS = {
    45: "Sandy Bridge", 62: "Ivy Bridge", 63: "Haswell", 79: "Broadwell",
    86: "Broadwell", 158: "Coffee Lake", 78: "Skylake", 94: "Skylake",
}  # fmt: skip
_AMD = {(23, 1): "EPYC 1st Gen", (23, 49): "EPYC 2nd Gen", (25, 1): "EPYC 3rd Gen"}


@dataclass(frozen=True)
class CpuInfo:
    model_name: str
    vendor: str
    family: int
    model: int
    stepping: int

    @classmethod
    def from_proc(cls, path: Path = Path("/proc/cpuinfo")) -> CpuInfo:
        fields: dict[str, str] = {}
        try:
            for line in path.read_text(errors="replace").splitlines():
                if not line.strip():
                    break  # the first processor block says everything we use
                key, _, value = line.partition(":")
                fields[key.strip()] = value.strip()
        except OSError:
            pass
        return cls(
            model_name=fields.get("model name", "") or _platform_cpu(),
            vendor=fields.get("vendor_id", ""),
            family=_int(fields.get("cpu family")),
            model=_int(fields.get("model")),
            stepping=_int(fields.get("stepping")),
        )

    def microarchitecture(self) -> str | None:
        if self.vendor == "GenuineIntel" and self.family == 6:
            if self.model == 85:  # Skylake-SP and Cascade Lake share a model number
                return "Cascade Lake" if self.stepping >= 5 else "Skylake"
            return _INTEL_MODELS.get(self.model)
        if self.vendor == "AuthenticAMD":
            return _AMD.get((self.family, self.model))
        if "Graviton" in self.model_name:
            return "Graviton2"
        return None


def _int(text: str | None) -> int:
    try:
        return int(text or "-1")
    except ValueError:
        return -1


def _platform_cpu() -> str:
    import platform

    return platform.processor() or platform.machine()


def watts_for(cpu: CpuInfo) -> tuple[float, str]:
    """Watts per vCPU for this CPU and a sentence saying where the figure came from."""
    arch = cpu.microarchitecture()
    if arch is None:
        return UNKNOWN_WATTS, (
            f"CPU {cpu.model_name!r} not in the coefficient table; "
            f"Cloud Carbon Footprint's fallback {UNKNOWN_WATTS} W per vCPU"
        )
    watts = WATTS_PER_VCPU[arch]
    return watts, f"{arch}: {watts} W per busy vCPU (Cloud Carbon Footprint coefficients)"


def own_cpu_seconds() -> float:
    """CPU seconds of this process and the children it reaped: what every meter reports as
    a window's CPU time (the descendants' share is the CPU-time model's own)."""
    return sum(_own_and_reaped())


def _own_and_reaped() -> tuple[float, float]:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime


class CpuTimeMeter:
    """E = W_vCPU x CPU seconds of this process, its reaped children and its descendants."""

    name = "cputime"

    def __init__(
        self,
        watts_per_vcpu: float | None = None,
        cpu: CpuInfo | None = None,
        processes: ProcessTree | None = None,
    ) -> None:
        cpu = cpu or CpuInfo.from_proc()
        watts, why = watts_for(cpu)
        if watts_per_vcpu is not None:
            watts, why = watts_per_vcpu, f"{watts_per_vcpu} W per busy vCPU, set in the config"
        self.watts = watts
        self.reason = why
        self.processes = processes or ProcessTree()

    def start(self) -> object:
        tree = self.processes.snapshot()  # before the clocks: its own cost stays outside
        return (time.perf_counter(), _own_and_reaped(), tree)

    def stop(self, token: object) -> Reading:
        wall0, (own0, reaped0), tree0 = cast("tuple[float, tuple[float, float], Snapshot]", token)
        own, reaped = _own_and_reaped()
        wall, reaped = time.perf_counter() - wall0, reaped - reaped0
        account = self.processes.account(tree0, self.processes.snapshot())
        mine = max(own - own0 + reaped, 0.0)
        cpu = max(mine + account.cpu_s, 0.0)
        # The test process, the descendants that ran, and (as one) the children it waited for.
        seen = 1 + account.processes + (reaped > 0)
        comp = ComponentReading(cpu * self.watts, "estimated", self.name, _note(account), seen)
        return Reading({"cpu": comp}, wall, mine)

    def describe(self) -> MeterDescription:
        choice = ComponentChoice(self.name, "estimated", f"{self.reason}; {INCLUDES}")
        return MeterDescription(self.name, {"cpu": choice})

    def close(self) -> None:
        self.processes.close()


INCLUDES = (
    "counts the CPU time of the test process and of every process it caused "
    "(pool and data-loader workers, subprocesses) during the window"
)


def _note(account: Account) -> str | None:
    notes = []
    if account.unreadable:
        shown = ", ".join(account.unreadable[:3]) + (", ..." if len(account.unreadable) > 3 else "")
        notes.append(
            f"{len(account.unreadable)} descendant process(es) could not be read ({shown}): "
            "their CPU time is not counted"
        )
    if account.not_billed_s > 0:
        notes.append(
            f"{account.not_billed_s:.3g} CPU s of {account.not_billed} process(es) that an "
            "earlier test left running are not counted"
        )
    return "; ".join(notes) or None


def cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
