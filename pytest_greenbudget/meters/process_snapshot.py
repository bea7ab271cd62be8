"""One reading of this process's descendants at a window's edge: what the readers
(proc_linux.py, psutil in processes.py) produce and processes.py bills from. Its own module so
that the Linux reader and the account share it without importing each other."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

Key = tuple[int, int]  # (pid, start time): a pid may be reused, the pair may not


@dataclass(frozen=True)
class Proc:
    """One descendant at one edge."""

    cpu_s: float  # its own CPU seconds, all threads, plus its waited-for children's
    name: str


@dataclass(frozen=True)
class Snapshot:
    procs: Mapping[Key, Proc]
    unreadable: tuple[str, ...] = ()  # "pid 12": seen, but its figures were refused
