"""What a reader of the process tree returns: each descendant's CPU seconds at one instant.

Its own module so that the readers (proc_linux.py, and psutil's in processes.py) and the
accounting (processes.py) share it without importing each other.
"""

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
