"""RAPL energy counters from the Linux powercap tree (the ``rapl`` meter).

``cpu`` is the sum of the package zones ``intel-rapl:N`` (Intel, and AMD on kernels that expose
it there); ``dram`` the sum of their ``dram`` sub-zones. ``core`` and ``uncore`` sub-zones are
inside the package and ``psys`` contains it, so none of them is added. No idle subtraction: a
window's figure is what the whole package drew, unless ``attribute`` shares it out by CPU time.

Counters are cumulative microjoules that wrap at ``max_energy_range_uj`` (hundreds of kJ, i.e.
minutes to hours at full load); a window is assumed to wrap at most once. They update about
every millisecond, which is why windows under ~0.2 s are flagged rather than trusted.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from .base import ComponentChoice, ComponentReading, MeterDescription, MeterUnavailable, Reading
from .cputime import own_cpu_seconds

ROOT_ENV = "GREENBUDGET_POWERCAP_ROOT"
DEFAULT_ROOT = "/sys/class/powercap"
MIN_WINDOW_S = 0.2
_ZONE = re.compile(r"intel-rapl:(\d+)(?::(\d+))?")

UDEV_RULE = (
    'ACTION=="add", SUBSYSTEM=="powercap", KERNEL=="intel-rapl:*", '
    'RUN+="/bin/chmod a+r /sys%p/energy_uj"'
)
PERMISSION_FIX = (
    "until reboot: sudo chmod a+r /sys/class/powercap/intel-rapl:*/energy_uj ; for good, "
    f"put this udev rule in /etc/udev/rules.d/70-greenbudget-rapl.rules: {UDEV_RULE} and run "
    "sudo udevadm control --reload && sudo udevadm trigger --subsystem-match=powercap "
    "--action=add (the kernel restricted these counters after the PLATYPUS side channel, "
    "CVE-2020-8694: open them on CI runners and workstations, not on shared hosts)"
)
NO_TREE_FIX = (
    "RAPL needs Linux on bare metal or a VM that passes it through, which cloud VMs and CI "
    "runners rarely do: here use the CPU-time model (meter auto or cputime)"
)
NO_ZONE_FIX = "sudo modprobe intel_rapl_msr (Intel; AMD Zen on Linux >= 5.8 uses it too)"

Opener = Callable[[str], int]


class RaplUnavailable(MeterUnavailable):
    """RAPL cannot be read; ``warn`` is True when RAPL is there but needs fixing."""

    def __init__(self, problem: str, fix: str | None = None, warn: bool = False) -> None:
        super().__init__(problem if fix is None else f"{problem}. Fix: {fix}")
        self.problem = problem
        self.fix = fix
        self.warn = warn


@dataclass(frozen=True)
class Zone:
    """One counter: a package (component ``cpu``) or a package's ``dram`` sub-zone."""

    id: str
    name: str
    component: str
    energy_path: Path
    max_range_uj: int


def powercap_root(root: Path | str | None = None) -> Path:
    return Path(root or os.environ.get(ROOT_ENV) or DEFAULT_ROOT)


def discover(root: Path) -> list[Zone]:
    """The package and dram zones under ``root``, each once, in numeric order."""
    zones: dict[str, Zone] = {}
    for directory in _zone_dirs(root):
        zone = _zone(directory)
        if zone is not None:
            zones.setdefault(zone.id, zone)
    return sorted(zones.values(), key=lambda z: [int(n) for n in z.id.split(":")[1:]])


def _zone_dirs(root: Path) -> Iterator[Path]:
    # /sys/class/powercap lists every zone flat and also nests sub-zones inside their package:
    # look at both so that copies of the tree made either way work; ids deduplicate.
    for entry in _listdir(root):
        if _ZONE.fullmatch(entry.name):
            yield entry
            yield from (sub for sub in _listdir(entry) if _ZONE.fullmatch(sub.name))


def _listdir(path: Path) -> list[Path]:
    try:
        return sorted(p for p in path.iterdir() if p.is_dir())
    except OSError:
        return []


def _zone(directory: Path) -> Zone | None:
    match = _ZONE.fullmatch(directory.name)
    try:
        name = (directory / "name").read_text().strip()
    except OSError:
        return None  # unnamed zones cannot be told apart from core/uncore: leave them out
    is_package = match is not None and match.group(2) is None
    component = "cpu" if is_package and name.startswith("package") else None
    if match is not None and match.group(2) is not None and name == "dram":
        component = "dram"
    if component is None:
        return None
    return Zone(directory.name, name, component, directory / "energy_uj", _max_range(directory))


def _max_range(directory: Path) -> int:
    path = directory / "max_energy_range_uj"
    try:
        return int(path.read_text())
    except (OSError, ValueError) as exc:
        fix = f"check the powercap driver: cat {path}"
        raise RaplUnavailable(f"cannot read {path}: {exc}", fix, warn=True) from None


def _open_readonly(path: str) -> int:
    return os.open(path, os.O_RDONLY)


def counter_delta(start_uj: int, end_uj: int, max_range_uj: int) -> int:
    """Microjoules between two counter values, across at most one wraparound."""
    if end_uj >= start_uj:
        return end_uj - start_uj
    return end_uj + max_range_uj - start_uj


class RaplMeter:
    """Counter deltas per window; files stay open and are re-read with pread (about 1 µs)."""

    name = "rapl"

    def __init__(
        self,
        zones: Sequence[Zone],
        root: Path,
        attribute: bool = False,
        opener: Opener | None = None,
    ) -> None:
        if not any(z.component == "cpu" for z in zones):
            raise RaplUnavailable(f"no RAPL package zone (intel-rapl:N) under {root}", NO_ZONE_FIX)
        self.zones = tuple(zones)
        self.root = root
        self.attribute = attribute
        self._ranges = tuple(z.max_range_uj for z in zones)
        self._components = tuple(z.component for z in zones)
        # Machine-wide counters cover every CPU of the machine, not only those we may run on.
        self._cpus = os.cpu_count() or 1
        self._fds: list[int] = []
        self._open(opener or _open_readonly)

    def _open(self, opener: Opener) -> None:
        for zone in self.zones:
            try:
                self._fds.append(opener(str(zone.energy_path)))
                int(os.pread(self._fds[-1], 32, 0))  # a directory opens fine but cannot be read
            except (OSError, ValueError) as exc:
                self.close()
                raise _unreadable(zone.energy_path, exc) from None

    def _read(self) -> list[int]:
        try:
            return [int(os.pread(fd, 32, 0)) for fd in self._fds]
        except (OSError, ValueError) as exc:
            raise RaplUnavailable(f"reading the RAPL counters failed: {exc}") from None

    def start(self) -> object:
        return time.perf_counter(), own_cpu_seconds(), self._read()

    def stop(self, token: object) -> Reading:
        wall0, cpu0, counts0 = cast("tuple[float, float, list[int]]", token)
        counts1 = self._read()
        cpu = max(own_cpu_seconds() - cpu0, 0.0)
        wall = time.perf_counter() - wall0
        joules = dict.fromkeys(self._components, 0.0)
        for comp, top, a, b in zip(self._components, self._ranges, counts0, counts1, strict=True):
            joules[comp] += counter_delta(a, b, top) / 1e6
        share, note = self._share(cpu, wall)
        comps = {
            c: ComponentReading(j * share, "measured", self.name, note) for c, j in joules.items()
        }
        return Reading(comps, wall, cpu)

    def _share(self, cpu: float, wall: float) -> tuple[float, str | None]:
        notes = []
        share = 1.0
        if self.attribute:
            share = min(cpu / (wall * self._cpus), 1.0) if wall > 0 else 0.0
            notes.append(
                f"attributed {share:.1%} of the machine-wide counter: this process's share of "
                f"CPU time, {cpu:.3f} CPU s / ({wall:.3f} s x {self._cpus} CPUs)"
            )
        if wall < MIN_WINDOW_S:
            notes.append(
                f"window of {wall * 1e3:.0f} ms is below the RAPL counter's resolution "
                f"(~{MIN_WINDOW_S} s): repeat the body for a meaningful figure"
            )
        return share, "; ".join(notes) or None

    def describe(self) -> MeterDescription:
        how = (
            "attributed by CPU-time share (this process's and its reaped children's; live pool "
            "workers' time is not in the share)"
            if self.attribute
            else "machine-wide, not attributed: every process on the package is in the figure, "
            "the test's workers and subprocesses included, and any other load too"
        )
        choices = {}
        for comp in dict.fromkeys(self._components):
            names = ", ".join(f"{z.id} ({z.name})" for z in self.zones if z.component == comp)
            reason = f"RAPL counters {names} under {self.root}, {how}"
            choices[comp] = ComponentChoice(self.name, "measured", reason)
        return MeterDescription(self.name, choices)

    def close(self) -> None:
        fds, self._fds = self._fds, []
        for fd in fds:
            os.close(fd)


def _unreadable(path: Path, exc: Exception) -> RaplUnavailable:
    if isinstance(exc, PermissionError):
        problem = f"{path} is readable by root only (Linux >= 5.10 restricts RAPL counters)"
        return RaplUnavailable(problem, PERMISSION_FIX, warn=True)
    return RaplUnavailable(f"cannot read {path}: {exc}", f"check the driver: cat {path}", warn=True)


def make_rapl(
    root: Path | str | None = None, attribute: bool = False, opener: Opener | None = None
) -> RaplMeter:
    """The RAPL meter for ``root`` (default ``$GREENBUDGET_POWERCAP_ROOT`` or /sys/class/powercap).

    Raises RaplUnavailable, a MeterUnavailable, saying what is wrong and how to fix it.
    """
    path = powercap_root(root)
    if not path.is_dir():
        raise RaplUnavailable(f"no powercap tree at {path}", NO_TREE_FIX)
    return RaplMeter(discover(path), path, attribute, opener)
