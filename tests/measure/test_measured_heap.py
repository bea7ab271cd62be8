"""Measured runs start from a collected heap without walking the whole heap (measure/heap.py)."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

import pytest

from pytest_greenbudget.measure import heap

# Each collection records how many tracked objects it had to walk (every generation up to the
# one collected; frozen objects are not walked). A full walk sees the 200,000 kept lists.
WALKS = """
import gc
import pytest
from fakemeter import burn

KEPT = [[] for _ in range(200_000)]  # a large imported library's objects, say
WALKS = []

def record(phase, info):
    if phase == "start":
        generations = range(info["generation"] + 1)
        WALKS.append(sum(len(gc.get_objects(generation=g)) for g in generations))

gc.callbacks.append(record)

@pytest.mark.greenbudget(repeats=3, warmup=1)
@pytest.mark.parametrize("n", range(3))
def test_measured(n):
    burn(1.0)

def test_walks():
    gc.callbacks.remove(record)
    full = [w for w in WALKS if w > 150_000]
    assert not full, full  # set-up's heap is frozen as it is, never walked
    assert len(WALKS) >= 12  # every run still collected
"""


def test_the_measured_loop_never_walks_the_whole_heap(
    gb: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A full gc.collect() before each run cost 82 ms with scikit-learn imported (130,000
    # objects); with gc.freeze() only what was made since the last run is walked.
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).parents[1] / "support"))
    gb.makepyfile(test_walks=WALKS)
    gb.runpytest_subprocess("-p", "no:randomly").assert_outcomes(passed=4)


class Cycle:
    def __init__(self) -> None:
        self.me = self


def test_garbage_a_run_left_is_collected_before_the_next() -> None:
    heap.settle()
    left = Cycle()
    alive = weakref.ref(left)
    del left  # cyclic: only a collection frees it
    assert alive() is not None
    heap.settle()
    assert alive() is None
    assert gc.get_count()[1:] == (0, 0)  # the counters start from zero, as after a full one


def test_frozen_garbage_is_freed_when_the_frozen_heap_doubles() -> None:
    heap.thaw()
    heap.settle()  # the first: everything is frozen as it is
    kept = Cycle()
    dead = weakref.ref(kept)
    heap.settle()  # kept survives and is frozen
    del kept
    heap.settle()
    assert dead() is not None  # frozen garbage: not walked, not freed yet
    grown = [[] for _ in range(2 * gc.get_freeze_count())]
    heap.settle()  # the frozen heap doubled: thawed and collected once
    assert dead() is None
    del grown
    heap.thaw()
    assert gc.get_freeze_count() == 0


def test_the_frozen_heap_is_not_counted_at_every_run(monkeypatch: pytest.MonkeyPatch) -> None:
    # gc.get_freeze_count() walks every frozen object (85 ms with scikit-learn imported).
    calls = []
    real = gc.get_freeze_count
    monkeypatch.setattr(gc, "get_freeze_count", lambda: calls.append(1) or real())
    heap.thaw()
    for _ in range(100):
        heap.settle()
    heap.thaw()
    assert len(calls) == 1  # once, after the first freeze
