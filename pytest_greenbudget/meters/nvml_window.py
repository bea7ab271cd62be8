"""GPU windows aligned to the NVML energy counter's ticks.

The counter (and the power readings) of a data-centre GPU update about every 100 ms (measured
on an H200, docs/architecture.md). Read blindly at a window's edges, a 0.2 s window is off by up
to one tick at each edge: CV 20% there. So each edge is tied to a tick:

- start: poll the counter until it changes; the window starts at that tick, whose value is
  exact (``e_start`` at ``t_start``);
- stop: poll until the next tick after the window's end (``e_end`` at ``t_end``), then one
  more (``e_idle`` at ``t_idle``). The span from the window's end to ``t_end`` (the tail) was
  idle: the test had finished and CUDA was synchronised. Its energy is the idle rate measured
  by the counter over the following tick, ``(e_idle - e_end) / (t_idle - t_end)``, times the
  tail, and is subtracted. With several GPUs, the head gap between one GPU's tick and the
  window's start is subtracted the same way.

Costs: polling every millisecond adds on average half a tick at the start and one and a half
at the stop (about 0.2 s per window at 100 ms ticks) to the test's duration, outside the
measured window. Polls are bounded: a counter that does not tick in ``TICK_WAIT_S`` is read
as it is, and the component's note says so. Nothing here imports pynvml.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

POLL_S = 0.001
TICK_WAIT_S = 0.3  # three ticks of an H200's counter; GPUs that tick faster wait less


@dataclass(frozen=True)
class Tick:
    """A counter value and the time it was first seen (within POLL_S of the tick)."""

    energy_mj: int
    at: float


def wait_ticks(
    readers: Sequence[Callable[[], int] | None],
    count: int,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> list[list[Tick]]:
    """Up to ``count`` ticks of each counter, polled together so that every tick is timed
    within one poll; a counter that stops ticking for TICK_WAIT_S gets fewer ticks."""
    last = [read() if read else None for read in readers]
    ticks: list[list[Tick]] = [[] for _ in readers]
    deadline = clock() + TICK_WAIT_S * count
    while any(_waiting(r, t, count) for r, t in zip(readers, ticks, strict=True)):
        if clock() > deadline:
            break
        sleep(POLL_S)
        now = clock()
        for i, read in enumerate(readers):
            if read is None or len(ticks[i]) >= count:
                continue
            value = read()
            if value != last[i]:
                last[i] = value
                ticks[i].append(Tick(value, now))
    return ticks


def _waiting(read: Callable[[], int] | None, ticks: list[Tick], count: int) -> bool:
    return read is not None and len(ticks) < count


@dataclass(frozen=True)
class TickWindow:
    """One GPU's share of a window: where it started, and the stop side's ticks."""

    start: Tick | None  # None: the counter never ticked before the window (not aligned)
    window_start: float
    window_end: float
    end: Tick | None  # the first tick after the window's end
    idle: Tick | None  # the tick after that: the idle rate
    end_read: int  # the counter as read at the window's end, for when no tick came

    def energy(self, start_read: int) -> tuple[float, str]:
        """Joules and how they were obtained (the component's note)."""
        first = self.start or Tick(start_read, self.window_start)
        if self.end is None or self.idle is None:
            joules = (self.end_read - first.energy_mj) / 1e3
            return joules, "counter delta, not aligned: the counter did not tick within " + (
                f"{TICK_WAIT_S:.1f} s after the window"
            )
        idle_w = (self.idle.energy_mj - self.end.energy_mj) / 1e3 / (self.idle.at - self.end.at)
        outside = (self.end.at - self.window_end) + max(self.window_start - first.at, 0.0)
        joules = (self.end.energy_mj - first.energy_mj) / 1e3 - idle_w * outside
        aligned = "aligned to counter ticks" if self.start else "end aligned to a counter tick"
        return joules, (
            f"{aligned}; {outside * 1e3:.0f} ms outside the window at the idle "
            f"{idle_w:.0f} W the counter measured next subtracted"
        )
