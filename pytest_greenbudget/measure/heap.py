"""Every measured call starts from the same heap state, without walking the whole heap.

Why a collection before each call: the garbage the tests before a call left decides when a
collection falls inside its window (an unchanged test read +7.7% at p=0.001 beside a test whose
change allocated more). Why not a full ``gc.collect()``: it walks every tracked object, 18 ms
with nothing imported and 82 ms with scikit-learn imported (130,000 objects), before every run.

So the heap is frozen (``gc.freeze()``: the collector ignores those objects from then on) and
each run collects only what was allocated since the last freeze, then freezes the survivors:
what the run before left is collected, and the counters start at zero, as after a full
collection, at the cost of the objects made since the last run. The first run freezes the heap
as set-up left it, without a full walk. Frozen objects that become garbage are not collected
while frozen, so when the frozen heap has doubled, it is thawed and collected once (a full
walk, before the meter starts): memory stays bounded, and the full walks are amortised over
the runs that doubled the heap.
Nothing here imports pytest.
"""

from __future__ import annotations

import gc

GROWTH = 2.0  # thaw and collect everything when the frozen heap grew this much since
# gc.get_freeze_count() walks the frozen list (a sixth of a collection's cost): so the frozen
# objects are counted once, after each full freeze, and the survivors of each run added up.
_state = {"after_full": -1, "added": 0}  # -1: nothing frozen yet in this process


def settle() -> None:
    """Collect what was allocated since the last call, then freeze what survives."""
    if _state["after_full"] < 0:
        # The first run: freeze the heap as set-up left it, garbage included, rather than
        # walk it (82 ms with scikit-learn imported). Frozen garbage is never walked inside a
        # window either; it is freed at the first thaw.
        gc.freeze()
        gc.collect()  # nothing left to walk; the counters start at zero
        _state["after_full"], _state["added"] = gc.get_freeze_count(), 0
        return
    gc.collect()  # walks only the objects made since the last freeze
    _state["added"] += len(gc.get_objects(generation=2))  # the survivors, about to freeze
    gc.freeze()
    if _state["added"] > (GROWTH - 1.0) * max(_state["after_full"], 1000):
        gc.unfreeze()
        gc.collect()  # a full walk, each time the frozen heap doubled: memory stays bounded
        gc.freeze()
        _state["after_full"], _state["added"] = gc.get_freeze_count(), 0


def thaw() -> None:
    """Give the collector the whole heap back (at the end of the session)."""
    gc.unfreeze()
    _state["after_full"] = -1
