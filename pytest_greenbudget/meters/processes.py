"""The processes a test caused: this process's descendants, read at a window's edges.

getrusage only covers children that have been waited for, so a pool worker that outlives the
window (a module fixture's ProcessPoolExecutor, joblib's loky workers, a DataLoader's workers)
is invisible to it. A snapshot lists every descendant with its CPU seconds: its own (all its
threads) plus those of the children it has waited for. A window then counts:

- a descendant alive at both edges: its delta;
- one born inside the window and alive at its end: all of it;
- one alive at the start and gone at the end: minus what it had used before the window, since
  whoever waited for it (this process, through RUSAGE_CHILDREN, or a descendant) now carries
  its whole life;
- one born and gone inside the window: through RUSAGE_CHILDREN or its reaper's waited-for
  time. An orphan that the init process reaped is out of sight.

On Linux (proc_linux.py) the tree comes from ``/proc/PID/task/TID/children`` and each
process's own CPU time from its CPU-time clock (nanoseconds, every thread). psutil is the
portable fallback: it finds children by scanning every process on the machine (4.7 ms with 111
processes here) and reads CPU time in 10 ms ticks. A cgroup's ``cpu.stat`` would count exactly
the test's processes, but needs a cgroup of our own per test, which CI runners and containers
rarely let a process create, and moving the test process into it would move pytest too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .snapshot import Key, Proc, Snapshot


@dataclass(frozen=True)
class Account:
    """What a window owes to descendants."""

    cpu_s: float  # may be below 0 when a process reaped in the window had worked before it
    processes: int  # descendants that ran during the window
    unreadable: tuple[str, ...] = ()
    not_billed_s: float = 0.0  # CPU time of processes an earlier test left running
    not_billed: int = 0  # how many of them ran in the window


Reader = Callable[[], Snapshot]


class ProcessTree:
    """Snapshots of this process's descendants, and which of them earlier tests left running
    (those are not billed to later tests)."""

    def __init__(self, reader: Reader | None = None) -> None:
        self._read = reader or best_reader()
        self._left: dict[Key, str] = {}  # left running by an earlier test
        self._born: dict[Key, str] = {}  # born in a call of the current test

    def snapshot(self) -> Snapshot:
        return self._read()

    def close(self) -> None:
        """Close the files the reader keeps open (the Linux one keeps /proc files)."""
        close = getattr(self._read, "close", None)
        if close is not None:
            close()

    def account(self, before: Snapshot, after: Snapshot) -> Account:
        cpu = not_billed = 0.0
        counted = skipped = 0
        for key in before.procs.keys() | after.procs.keys():
            end, start = after.procs.get(key), before.procs.get(key)
            used = (end.cpu_s if end else 0.0) - (start.cpu_s if start else 0.0)
            if key in self._left and end is not None:
                not_billed += max(used, 0.0)
                skipped += used > 0
                continue
            cpu += used  # gone: minus its past, which its reaper's figures now carry
            counted += used > 0 and end is not None
        unreadable = tuple(dict.fromkeys(before.unreadable + after.unreadable))
        return Account(cpu, counted, unreadable, not_billed, skipped)

    def calls(self, before: Snapshot, after: Snapshot) -> None:
        """Remember what a call of the current test started (measured or not)."""
        for key in after.procs.keys() - before.procs.keys():
            self._born[key] = after.procs[key].name

    def settle(self) -> tuple[str, ...]:
        """At the end of a test: the processes its calls started that are still running
        ("pid 12 (python)"); later tests are not billed for them."""
        if not self._born:
            return ()
        alive = self.snapshot().procs
        left = {key: name for key, name in self._born.items() if key in alive}
        self._born = {}
        self._left.update(left)
        return tuple(f"pid {pid} ({name})" for (pid, _), name in left.items())


def processes_of(meter: object) -> ProcessTree | None:
    """The process tree a meter bills by (the CPU-time model's), or None: RAPL and NVML read
    package- and device-wide counters, which include every process already."""
    tree = getattr(meter, "processes", None)
    return tree if isinstance(tree, ProcessTree) else None


def best_reader() -> Reader:
    from . import proc_linux

    return proc_linux.ProcReader() if proc_linux.available() else read_psutil


def read_psutil() -> Snapshot:
    """Elsewhere (macOS, kernels without the children files): psutil."""
    import psutil

    procs: dict[Key, Proc] = {}
    unreadable: list[str] = []
    for child in _psutil_children(psutil):
        try:
            with child.oneshot():
                t = child.cpu_times()
                key = (child.pid, round(child.create_time() * 100))
                procs[key] = Proc(t.user + t.system + t.children_user + t.children_system,
                                  child.name())  # fmt: skip
        except psutil.AccessDenied:
            unreadable.append(f"pid {child.pid}")
        except psutil.Error:
            continue
    return Snapshot(procs, tuple(unreadable))


def _psutil_children(psutil: Any) -> list[Any]:
    try:
        return list(psutil.Process().children(recursive=True))
    except psutil.Error:
        return []
