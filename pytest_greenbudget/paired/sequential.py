"""Group-sequential looks for the paired gate: after every round from the first look on, each
test still in play is regressed, improved, unchanged, hopeless, or gets another round. Pure.

Looking after every round and stopping at the first significant look would raise the
false-alarm rate with every look. So each look spends part of alpha, by a Lan-DeMets spending
function of the information fraction t = rounds / cap (Lan & DeMets 1983, as in gsDesign's
``sfLDPocock`` and ``sfLDOF``):

- Pocock type:          alpha(t) = alpha * ln(1 + (e - 1) t)
- O'Brien-Fleming type: alpha(t) = 2 - 2 Phi(z(1 - alpha/2) / sqrt(t))

Look k is significant at p < alpha(t_k) - alpha(t_k-1), the increment. The increments add up
to alpha, so the chance that any look of an unchanged test is significant is at most alpha
(a union bound), whatever the correlation between looks. Exact group-sequential boundaries
spend a little less conservatively, but they assume a known variance, which a t-test on 2-10
rounds does not have; the union bound needs no assumption at all.

Stopping without a significant result (unchanged, hopeless) can only lower the false-alarm
rate, so the unchanged and futility exits cost nothing in alpha. "Unchanged" asks that the
rounds could have seen a rise of the tolerance at the gate's own alpha (the figure the unpaired
gate shows), not at a look's small share: the share guards against false alarms, which this
exit cannot raise. Its price is misses near the tolerance: on VM-shaped simulated runs a real
+7.5% read "unchanged" in under 10% of comparisons (tests/paired/test_sequential.py).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from ..gate.stats import detectable_change
from ..gate.tdist import t_isf
from .stats import PairedDesign, PairedResult, round_effect

NORMAL = statistics.NormalDist()
SPENDING = ("pocock", "obrien-fleming")
OPTIMISM = 1.0  # futility looks this many standard errors past the estimate before giving up
PATIENCE = 1  # rounds past the first look a test that looks unchanged may take to show it


def spent(fraction: float, alpha: float, spending: str) -> float:
    """Alpha spent by information fraction ``fraction`` (0-1), cumulative."""
    t = min(max(fraction, 0.0), 1.0)
    if t == 0.0:
        return 0.0
    if spending == "pocock":
        return alpha * math.log(1.0 + (math.e - 1.0) * t)
    z = NORMAL.inv_cdf(1.0 - alpha / 2.0)
    return 2.0 - 2.0 * NORMAL.cdf(z / math.sqrt(t))


def look_alpha(design: PairedDesign, rounds: int) -> float:
    """The nominal one-sided alpha of the look after ``rounds`` rounds: the increment of the
    spending function since the previous look (the first look takes all spent before it).
    0 before the first look: no test can be significant then."""
    if rounds < design.rounds:
        return 0.0
    cap = design.max_rounds
    before = (
        0.0 if rounds == design.rounds else spent((rounds - 1) / cap, design.alpha, design.spending)
    )
    return spent(rounds / cap, design.alpha, design.spending) - before


@dataclass(frozen=True)
class Look:
    """One test at one look: its comparison at this look's alpha, and whether it leaves."""

    result: PairedResult
    alpha: float  # this look's nominal alpha
    stop: str | None  # "decided" | "hopeless" | "slow" | "cap"; None: it stays in play

    @property
    def verdict(self) -> str:
        return self.result.verdict

    def why_inconclusive(self, design: PairedDesign) -> str:
        """Why an inconclusive test stopped where it did, for its message."""
        needed = f"this look needed p < {self.alpha:.2g}"
        if self.stop == "hopeless":
            return (f"stopped after {self.result.rounds} rounds: even {design.max_rounds} "
                    f"could not have settled it ({needed})")  # fmt: skip
        if self.stop == "slow":
            window = design.rounds + PATIENCE
            return (f"stopped after {self.result.rounds} rounds: within the tolerance, but "
                    f"ruling out a rise past it would take more than {window} rounds")  # fmt: skip
        looks = design.max_rounds - design.rounds + 1
        return f"{needed} ({design.alpha:g} spent over up to {looks} looks)"

    @classmethod
    def at(
        cls, rounds: Sequence[Sequence[tuple[float, float]]], tolerance: float, design: PairedDesign
    ) -> Look:
        """ValueError when a reading is not positive (no log ratio exists)."""
        n = sum(1 for r in rounds if r)
        alpha = look_alpha(design, n)
        result = PairedResult.from_rounds(
            rounds, tolerance, alpha or design.alpha, design.alpha, design.pairs
        )
        if n < design.rounds:
            return cls(result, alpha, None)
        if result.verdict != "inconclusive":
            return cls(result, alpha, "decided")
        if n >= design.max_rounds:
            return cls(result, alpha, "cap")
        effects = [round_effect(r, design.pairs) for r in rounds if r]
        return cls(result, alpha, _futile(effects, tolerance, design))


def _futile(effects: Sequence[float], tolerance: float, design: PairedDesign) -> str | None:
    """Futility, with the spread seen so far: "hopeless" when even the cap could neither make
    this test significant (its estimate taken one standard error in its own direction, so a
    real change whose early rounds read low is not dropped) nor call it unchanged; "slow" when
    it looks unchanged (within the tolerance even one standard error out) but showing it would
    take more than PATIENCE rounds past the first look. Such a test cannot become regressed or
    improved, and chasing "unchanged" for it cost most of an A/A run's rounds; counted from
    each look instead, a test whose spread read a little too wide at every look went on to
    round 5, and the run's wall time follows its slowest test (docs/regressions.md)."""
    n, cap = len(effects), design.max_rounds
    mean = math.fsum(effects) / n
    sd = statistics.stdev(effects) if n > 1 else math.inf
    if not math.isfinite(sd) or sd <= 0.0:
        return None
    hopeful = abs(mean) + OPTIMISM * sd / math.sqrt(n)
    within = hopeful <= math.log1p(tolerance)  # even hopeful: never regressed nor improved
    need = _rounds_to_unchanged(sd, tolerance, design, n)
    if need is not None:
        return "slow" if within and need > design.rounds + PATIENCE else None
    if within:
        return "hopeless"
    final = look_alpha(design, cap)
    return "hopeless" if hopeful / (sd / math.sqrt(cap)) < t_isf(final, cap - 1) else None


def _rounds_to_unchanged(
    sd: float, tolerance: float, design: PairedDesign, rounds: int
) -> int | None:
    """The fewest rounds, up to the cap, whose "could see" figure would reach the tolerance at
    this spread; None when not even the cap's would."""
    for m in range(rounds + 1, design.max_rounds + 1):
        if detectable_change(sd / math.sqrt(m), m - 1, design.alpha) <= tolerance:
            return m
    return None


def check_spending(name: str) -> str:
    if name not in SPENDING:
        raise ValueError(f"unknown alpha spending {name!r} (valid: {', '.join(SPENDING)})")
    return name
