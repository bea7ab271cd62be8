"""Linux's view of this process's descendants, read through files kept open between windows.

Opening a /proc file is a path walk that cost 75-160 µs on this project's loaded 2-vCPU VM;
re-reading one already open (pread at offset 0 regenerates it) cost under 1 µs. So each
process's ``stat`` and each of its threads' ``children`` files are opened once and kept. A
process's threads are listed again only when its thread count changes (a thread that forks
is usually a new one: loky starts workers from its manager thread).

Each process's own CPU time comes from its CPU-time clock (clock_getcpuclockid:
nanoseconds, every thread, one system call); the CPU time of the children it has waited for
from ``stat`` (clock ticks).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterable

from .snapshot import Key, Proc, Snapshot

_TICK = 1.0 / os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 0.01


def available() -> bool:
    return os.path.exists(f"/proc/{os.getpid()}/task/{os.getpid()}/children")


class _Open:
    """The files kept open for one process."""

    def __init__(self, pid: int) -> None:
        self.stat = os.open(f"/proc/{pid}/stat", os.O_RDONLY)
        self.threads = -1
        self.children: list[int] = []

    def close(self) -> None:
        for fd in (self.stat, *self.children):
            with contextlib.suppress(OSError):
                os.close(fd)


class ProcReader:
    """Snapshots of this process's descendants."""

    def __init__(self) -> None:
        self.root = os.getpid()
        self._open: dict[int, _Open] = {}
        self._root_tids: frozenset[int] = frozenset()
        self._root_fds: list[int] = []

    def __call__(self) -> Snapshot:
        procs: dict[Key, Proc] = {}
        unreadable: list[str] = []
        seen = {self.root}
        todo = [self.root]
        while todo:
            pid = todo.pop()
            try:
                if pid == self.root:
                    kids = self._root_children()
                else:
                    stat = self._stat(pid)
                    kids = self._children(pid, int(stat[1][17]))  # field 20: num_threads
                    procs[(pid, int(stat[1][19]))] = _proc(pid, *stat)  # field 22: start time
            except PermissionError:
                unreadable.append(f"pid {pid}")
                continue
            except (OSError, ValueError, IndexError):
                self._forget(pid)  # gone since it was listed: its reaper carries it
                continue
            kids = [k for k in kids if k not in seen]
            seen.update(kids)
            todo += kids
        for pid in self._open.keys() - seen:
            self._forget(pid)
        return Snapshot(procs, tuple(unreadable))

    def _stat(self, pid: int) -> tuple[str, list[bytes]]:
        files = self._open.get(pid)
        if files is None:
            files = self._open[pid] = _Open(pid)
        data = os.pread(files.stat, 4096, 0)
        if not data:
            raise ProcessLookupError(pid)
        close = data.rindex(b")")
        name = data[data.index(b"(") + 1 : close].decode(errors="replace")
        return name, data[close + 2 :].split()  # [0] is field 3 of proc(5), the state

    def _root_children(self) -> list[int]:
        # Our own threads come from Python's list, which costs no system call: only a thread
        # Python started forks here (loky's manager, multiprocessing.Pool's handler).
        tids = frozenset(t.native_id or 0 for t in threading.enumerate()) - {0}
        if tids != self._root_tids:
            self._close_fds(self._root_fds)
            self._root_fds = _children_files(self.root, tids)
            self._root_tids = tids
        return _read_children(self._root_fds)

    def _children(self, pid: int, threads: int) -> list[int]:
        files = self._open[pid]
        if threads != files.threads:
            self._close_fds(files.children)
            files.threads = threads
            files.children = _children_files(pid, os.listdir(f"/proc/{pid}/task"))
        return _read_children(files.children)

    @staticmethod
    def _close_fds(fds: list[int]) -> None:
        for fd in fds:
            with contextlib.suppress(OSError):
                os.close(fd)

    def _forget(self, pid: int) -> None:
        files = self._open.pop(pid, None)
        if files is not None:
            files.close()

    def close(self) -> None:
        for pid in list(self._open):
            self._forget(pid)
        self._close_fds(self._root_fds)
        self._root_fds, self._root_tids = [], frozenset()


def _children_files(pid: int, tids: Iterable[object]) -> list[int]:
    fds = []
    for tid in tids:
        with contextlib.suppress(OSError):  # that thread has just ended
            fds.append(os.open(f"/proc/{pid}/task/{tid}/children", os.O_RDONLY))
    return fds


def _read_children(fds: list[int]) -> list[int]:
    kids: list[int] = []
    for fd in fds:
        with contextlib.suppress(OSError):  # that thread has ended
            kids += [int(k) for k in os.pread(fd, 65536, 0).split()]
    return kids


def _proc(pid: int, name: str, fields: list[bytes]) -> Proc:
    utime, stime, cutime, cstime = (int(v) for v in fields[11:15])
    try:
        own = time.clock_gettime((~pid << 3) | 2)  # the process's CPU-time clock
    except OSError:
        own = (utime + stime) * _TICK  # a zombie's clock is gone; its ticks remain
    return Proc(own + (cutime + cstime) * _TICK, name)
