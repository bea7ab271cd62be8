"""Thread-pool limits for measured runs, and the "spin signature" that asks for one.

BLAS and OpenMP pools decide a CPU figure: idle pool threads spin for a while before they
sleep, and every CPU meter that counts CPU time (the CPU-time model, RAPL attributed by CPU
share) counts that spinning. One test moved 40-100x with thread settings (docs/architecture.md).
``threads: N`` limits the pools through threadpoolctl, the library scikit-learn uses; it is
imported only when a limit is set, or to ask which pools are loaded when a test's runs
spread very widely, so steady unlimited sessions pay nothing. Nothing here imports pytest.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

# Spin signature thresholds. One thread cannot use more than one CPU second per wall second,
# so a median ratio above 1.3 means other threads (BLAS/OpenMP pools, or child processes) were
# busy; 0.3 leaves room for timer granularity. Contention only lowers the ratio: on this
# project's shared 2-vCPU VM (load average 8-14) benchmarks/bench_spin.py read 0.11-0.64 for
# every body, threaded or pinned, so the signature cannot fire falsely there, only be missed.
# The spread condition keeps steady multi-threaded work quiet: within one session repeats vary
# 1-3% on a quiet machine (docs/architecture.md); on that loaded VM even a pure-Python loop's CPU
# seconds spread 2-42%, which is why the spread alone says nothing and the ratio leads.
SPIN_RATIO = 1.3  # median CPU seconds per wall second of the runs
SPIN_CV = 0.10  # coefficient of variation of the runs' energy
# A busy machine hides the CPU/wall signature (0.3 CPU s per wall s for threaded and pinned
# runs alike on the loaded 2-vCPU EPYC VM): then a very wide spread with multi-thread pools
# loaded speaks for them. There, a scikit-learn LogisticRegression fit spread 70% with its
# pools as they came and 13% with threads: 1; pure-Python bodies spread up to 42% there, so
# this advice is worded as a question.
POOL_CV = 0.25


class ThreadLimitError(RuntimeError):
    """The limit cannot be set (threadpoolctl missing); the message says how to fix it."""


@contextmanager
def thread_limit(threads: int | None) -> Iterator[None]:
    """BLAS/OpenMP pools limited to ``threads`` inside the block; nothing when None.

    Entered per run, not per session: libraries loaded by the test itself (torch imported in
    the body) are found when the limit is entered, and entering costs about 0.3 ms (measured
    on the reference 2-vCPU VM with numpy's OpenBLAS loaded).
    """
    if not threads:
        yield
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        raise ThreadLimitError(
            f"threads: {threads} needs threadpoolctl, a dependency of pytest-greenbudget that "
            "is not installed here: pip install threadpoolctl"
        ) from None
    with threadpool_limits(limits=threads):
        yield


def spin_note(cpu_s: Sequence[float], wall_s: Sequence[float], samples_j: Sequence[float],
              threads: int | None, pools: Callable[[], int] = lambda: 0) -> str | None:  # fmt: skip
    """A note suggesting ``threads: 1`` when the runs look like spinning pool threads: more
    CPU seconds than wall seconds allow for one thread, and a wide spread between runs; or,
    where a busy machine hides the CPU/wall signature, a very wide spread while pools of
    several threads are loaded (``pools``: their most threads, asked only then)."""
    if threads == 1 or len(samples_j) < 2 or not all(w > 0 for w in wall_s):
        return None
    ratio = statistics.median(c / w for c, w in zip(cpu_s, wall_s, strict=True))
    mean = statistics.fmean(samples_j)
    cv = statistics.stdev(samples_j) / mean if mean > 0 else 0.0
    limit = f" (limit {threads})" if threads else ""
    if ratio > SPIN_RATIO and cv > SPIN_CV:
        return (
            f"{ratio:.1f} CPU s per wall s{limit}, runs spread {cv:.0%}: spinning BLAS/OpenMP "
            "threads? threads: 1 steadies it"
        )
    if cv > POOL_CV:
        most = pools() if threads is None else min(threads, pools())
        if most > 1:
            return (
                f"runs spread {cv:.0%} with BLAS/OpenMP pools of {most} threads loaded{limit}: "
                "if this test uses them, their spinning threads may be why; threads: 1 steadies it"
            )
    return None


def pool_threads() -> int:
    """The most threads any BLAS/OpenMP pool loaded in this process may use; 0 when none, or
    when threadpoolctl cannot tell (about 15 ms: asked only for a very wide spread)."""
    try:
        from threadpoolctl import threadpool_info

        return max((int(pool.get("num_threads", 0)) for pool in threadpool_info()), default=0)
    except Exception:  # missing or failing: no advice rather than a failed run
        return 0
