"""Every measured call starts from the same heap state, without walking the whole heap.

Why a collection before each call: the garbage the tests before a call left decides when a
collection falls inside its window (an unchanged test read +7.7% at p=0.001 beside a test whose
change allocated more). Why not a full ``gc.collect()``: it walks every tracked object, 18 ms
with nothing imported and 82 ms with scikit-learn imported (130,000 objects), before every run.

So the heap is frozen (``gc.freeze()``: the collector ignores those objects from then on) and
each run collects only what was allocated since the last freeze, then freezes the survivors:
what the run before left is collected, and the counters start at zero, as after a full
collection, at the cost of the objects made since the last run. Frozen objects that become
garbage later are not collected while frozen, so when the frozen heap has doubled since the
last full collection, it is thawed and collected once (a full walk, before the meter starts):
memory stays bounded, and the full walks are amortised over the runs that doubled the heap.
Nothing here imports pytest.
"""

from __future__ import annotations

import gc

GROWTH = 2.0  # thaw and collect everything when the frozen heap grew this much since
_state = {"frozen_after_full": -1}  # -1: no full collection yet in this process


def settle() -> None:
    """Collect what was allocated since the last call, then freeze what survives."""
    last = _state["frozen_after_full"]
    if last >= 0:
        gc.collect()  # walks only the objects made since the last freeze
        gc.freeze()
        if gc.get_freeze_count() <= GROWTH * max(last, 1000):
            return
    gc.unfreeze()
    gc.collect()  # the one full walk: at the first run, then each time the heap doubled
    gc.freeze()
    _state["frozen_after_full"] = gc.get_freeze_count()


def thaw() -> None:
    """Give the collector the whole heap back (at the end of the session)."""
    gc.unfreeze()
    _state["frozen_after_full"] = -1
