"""Statistics of base/head pairs measured side by side in one job. Pure: no pytest.

A round is one fresh head process and one fresh base process running the same tests; inside a
round each test gives a few (head J, base J) pairs, measured back to back in random order. Two
processes running the same code can differ by a steady 5-10% (memory layout), so the pairs of
one round share an error: the round is a random effect. The test is therefore a one-sample t
on the rounds' log ratios (df = rounds - 1), which stays exact whatever the size of that
process effect, instead of a t on all pairs, which would count one lucky layout many times.

A round's log ratio compares each side's floor: the mean of its lowest quarter of runs. On a
shared VM the noise only ever adds: the same 60 ms loop, alone on its core, read 41-103 ms of
CPU time, and one run in four or five read 1.3-3x its floor while its pair partner did not.
The mean of the pairs' log ratios carries every such spike into the round (its SD over rounds
was 9-13% on bench_paired.py's A/A tests), the lowest third left them out (3-6% on the same
runs; benchmarks/bench_floor.py). A quarter, since rounds have 4 pairs: the lowest 2 of 4 runs
still held a spike whenever 3 of the 4 spiked (5% of rounds at one spike in four), and on
simulated VM-shaped runs that cost a third of the +10% detections; the lowest 1 of 4 did not.
Under A/A the two sides are exchangeable (the order inside each pair is drawn at random), so
the round's figure stays symmetric about zero and the t-test keeps its alpha.

A runner whose speed switches between two levels breaks the floor when one side's runs in a
round all fall on the slow level: the round then reads the levels' ratio. Such a round goes on
until both floors stand on one level (``level``), and its floor still averages a quarter of the
pairs asked for (``floor_size``).

Sequential: from the first look on, every round is a look (paired/sequential.py spends alpha
over them). "Unchanged" and the "could see" figure use the gate's own alpha, not the look's:
they say how precise the evidence is, and only the regressed and improved verdicts are false
alarms that looking often could multiply.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ..gate.stats import ALPHA, detectable_change, t_sf

METHOD = "paired-rounds-floor"  # one-sample t on per-round log ratios of each side's floor


LEVEL_BAND = 1.3  # both floors' runs within 30% of each other: one level (docs/regressions.md)


@dataclass(frozen=True)
class PairedDesign:
    """How many rounds and pairs; the defaults are what benchmarks/bench_paired.py measured.

    A floor needs several runs per side in a round: over the same A/A rounds on this VM, a
    round's SD was 6.1% with 3 runs per side, 5.6% with 4, 4.9% with 6 and 3.2% with 12
    (benchmarks/bench_floor.py, median over ten tests; docs/regressions.md has the table).
    But a round's cost is its runs, and looking after every round lets a settled test leave:
    replaying 20 measured A/A rounds of ten tests through candidate designs (benchmarks/
    bench_designs.py), 4 pairs per round took a third fewer runs per A/A test than 6, for the
    same +10% detection; 2-3 pairs took fewer still but lost +10% detections on spiky runs.
    No warm-up: a cold first run is just one more high reading the floor leaves out, so the
    run is worth more measured than thrown away.

    Four pairs are for spikes. A test whose first two pairs showed none needs fewer: its first
    round ends there, and each later one runs ``quiet_pairs`` (``round_done``, ``pairs_for``).
    Simulated on a 1%-CV meter that took 64% fewer runs per A/A test, and replaying the
    measured A/A rounds a third fewer, with +10% still caught as often (docs/regressions.md).
    """

    rounds: int = 2  # rounds before the first look (a t-test needs two)
    max_rounds: int = 10  # the cap: a test still undecided then is inconclusive
    pairs: int = 4  # measured pairs per test per round (its first, and any noisy test's)
    warmup: int = 0  # unmeasured runs per test per side per round
    alpha: float = ALPHA  # false-alarm rate over all looks (paired/sequential.py)
    spending: str = "pocock"  # how the looks share alpha: pocock | obrien-fleming
    quiet_pairs: int | None = 1  # pairs per later round of a quiet test; None: always ``pairs``
    level_band: float | None = LEVEL_BAND  # a round goes on while its floors stand on two
    # levels of the runner's speed (``level``), up to twice its pairs; None: it never does

    def most_pairs(self, rounds: Sequence[Sequence[tuple[float, float]]]) -> int:
        """The most measured pairs the test's next round may take: ``pairs_for``, or twice
        that where a round goes on until its floors are level (``level_band``)."""
        planned = self.pairs_for(rounds)
        return planned if self.level_band is None else 2 * planned

    def pairs_for(self, rounds: Sequence[Sequence[tuple[float, float]]]) -> int:
        """The most measured pairs of a test's next round, given its rounds so far: ``pairs``,
        or ``quiet_pairs`` once its first round was quiet (``quiet``)."""
        first = next((r for r in rounds if r), None)
        if first is None or self.quiet_pairs is None or not quiet(first):
            return self.pairs
        return min(self.pairs, self.quiet_pairs)

    def round_done(
        self,
        rounds: Sequence[Sequence[tuple[float, float]]],
        this_round: Sequence[tuple[float, float]],
    ) -> bool:
        """Whether ``this_round``, measured after ``rounds``, has its pairs: ``pairs_for`` of
        them, or, in a test's first round, a quiet start of QUIET_PROBE pairs; and, with a
        ``level_band``, its floors' runs on one level (``level``) or ``most_pairs`` measured.

        Every choice reads runs as one set, both sides together, so swapping which side is
        head changes none: under A/A each round's log ratio stays symmetric about zero given
        the rounds before it, and Student's t stays conservative at small alpha for
        independent rounds symmetric about zero, of equal precision or not (Efron 1969,
        "Student's t-test under symmetry conditions"). A rising or noisy test keeps ``pairs``
        in every round."""
        if len(this_round) >= self.pairs_for(rounds):
            return (
                self.level_band is None
                or len(this_round) >= self.most_pairs(rounds)
                or level(this_round, self.level_band, self.pairs)
            )
        first = not any(rounds) and self.quiet_pairs is not None
        return first and len(this_round) == QUIET_PROBE and quiet(this_round)


DEFAULT_DESIGN = PairedDesign()
QUIET_SPREAD = 0.04  # a quiet round: all its runs, head and base, within 4% of the lowest
QUIET_PROBE = 2  # pairs of a first round that may show it quiet (4 runs: 2 per side)


def quiet(pairs: Sequence[tuple[float, float]]) -> bool:
    """Every run of the round, both sides, within QUIET_SPREAD of its lowest: no spike, no
    jitter past it, and no sign of a change (a test that moved by 4% keeps its pairs, and so
    the precision a verdict may need). Needs two pairs: one run per side shows no spread."""
    runs = [joules for pair in pairs for joules in pair]
    if len(pairs) < 2 or min(runs) <= 0:
        return False
    return max(runs) <= min(runs) * (1.0 + QUIET_SPREAD)


def level(pairs: Sequence[tuple[float, float]], band: float, planned: int | None = None) -> bool:
    """Whether the runs both floors average (round_floors) lie within ``band`` of each other.

    On a runner whose speed switches between two levels (1.55x apart on this project's VM), a
    side with no run at the fast level in a round has its floor on the slow one, and the
    round reads the levels' ratio, not the change: the +10% caught fell from 92% to 64%
    (simulated). Going on until both floors stand on one level gives such a side more chances
    to reach it. Reads both sides as one set, so a swap of head and base changes nothing and
    rounds stay independent of each other (round_done). A round in which neither side's runs
    span ``band`` shows no second level, and is done whatever its floors: a real change past
    ``band`` on a steady meter costs nothing more (on a noisy one its rounds take
    ``most_pairs``, and read as before)."""
    heads, bases = sorted(h for h, _ in pairs), sorted(b for _, b in pairs)
    if heads[-1] <= band * heads[0] and bases[-1] <= band * bases[0]:
        return True
    keep = floor_size(len(pairs), planned)
    kept = heads[:keep] + bases[:keep]
    return max(kept) <= band * min(kept)


@dataclass(frozen=True)
class PairedResult:
    """The comparison of one test: ratio head/base, its p-values and the verdict."""

    ratio: float
    p_up: float | None  # one-sided p for "head costs more"
    p_down: float | None
    detectable: float | None  # smallest rise (fraction) flagged in 90% of trials, as unpaired
    rounds: int
    verdict: str  # regressed | improved | unchanged | inconclusive
    beyond_tolerance: bool = False  # the estimate lies past the tolerance, either way

    @property
    def p_value(self) -> float | None:
        return self.p_down if self.ratio < 1.0 else self.p_up

    @classmethod
    def from_rounds(
        cls,
        rounds: Sequence[Sequence[tuple[float, float]]],
        tolerance: float,
        alpha: float = ALPHA,
        seen_at: float | None = None,
        planned: int | None = None,
    ) -> PairedResult:
        """``rounds``: per round, the (head J, base J) pairs of this test; ``alpha``: what a
        regressed or improved verdict needs (a look's share); ``seen_at``: the alpha of the
        "could see" figure that "unchanged" needs (the gate's own; ``alpha`` when None);
        ``planned``: the design's pairs a round (round_floors).
        ValueError when a reading is not positive (no log ratio exists)."""
        effects = [round_effect(pairs, planned) for pairs in rounds if pairs]
        if not effects:
            raise ValueError("no pairs measured")
        mean = math.fsum(effects) / len(effects)
        p_up, p_down, se = _one_sample(effects)
        detectable = _detectable(se, len(effects), alpha if seen_at is None else seen_at)
        verdict = _verdict(mean, p_up, p_down, tolerance, alpha, detectable)
        beyond = abs(mean) > math.log1p(tolerance)
        return cls(math.exp(mean), p_up, p_down, detectable, len(effects), verdict, beyond)

    def wants_more(self, tolerance: float) -> bool:
        """Inconclusive near the threshold: the estimate is beyond the tolerance, either way,
        but not yet significant. More rounds may settle it; nothing else is extended."""
        return self.verdict == "inconclusive" and self.beyond_tolerance


def round_effect(pairs: Sequence[tuple[float, float]], planned: int | None = None) -> float:
    """log(head floor / base floor) for one round."""
    head, base = round_floors(pairs, planned)
    return math.log(head / base)


def round_floors(
    pairs: Sequence[tuple[float, float]], planned: int | None = None
) -> tuple[float, float]:
    """(head, base) floors of one round: a floor is the mean of a side's lowest quarter of runs
    (at least one: 1 of 4, 2 of 6), which a spike on either side does not move. The report
    keeps them, so the figures shown beside a change are the ones it is the ratio of.
    ``planned``: the design's pairs a round (PairedDesign.pairs); a round that went on past
    them to reach one level (``level``) keeps a quarter of that many, its lowest runs."""
    for head, base in pairs:
        if head <= 0 or base <= 0:
            raise ValueError(f"a zero-energy reading ({head} J vs {base} J) has no log ratio")
    keep = floor_size(len(pairs), planned)
    heads = sorted(head for head, _ in pairs)[:keep]
    bases = sorted(base for _, base in pairs)[:keep]
    return math.fsum(heads) / keep, math.fsum(bases) / keep


def floor_size(pairs: int, planned: int | None = None) -> int:
    """How many of a side's runs its floor averages: the lowest quarter, at least one; of no
    more than ``planned`` pairs, so the runs a round adds to reach one level only give each
    side more chances to reach it (averaging the lowest 2 of 8, one of them on the slow
    level, would put the floor between the levels)."""
    counted = pairs if planned is None else min(pairs, planned)
    return max(1, math.ceil(counted / 4))


def _one_sample(effects: Sequence[float]) -> tuple[float | None, float | None, float | None]:
    """One-sided p-values (up, down) and the standard error; None when there is one round."""
    n = len(effects)
    if n < 2:
        return None, None, None
    mean = math.fsum(effects) / n
    var = math.fsum((m - mean) ** 2 for m in effects) / (n - 1)
    se = math.sqrt(var / n)
    if se <= 1e-12 * max(1.0, abs(mean)):  # identical rounds (an exact meter): no spread
        return (0.0 if mean > 0 else 1.0), (0.0 if mean < 0 else 1.0), 0.0
    t = mean / se
    return t_sf(t, n - 1), t_sf(-t, n - 1), se


def _detectable(se: float | None, n: int, alpha: float) -> float | None:
    """The same "could have seen" figure as the unpaired gate (gate/stats.py), so both modes
    call a change "unchanged" on the same evidence."""
    if se is None:
        return None
    try:
        return detectable_change(se, n - 1, alpha)
    except OverflowError:  # an early look's tiny alpha on 1-2 degrees of freedom: no figure
        return None


def _verdict(
    mean: float,
    p_up: float | None,
    p_down: float | None,
    tolerance: float,
    alpha: float,
    detectable: float | None,
) -> str:
    limit = math.log1p(tolerance)
    if mean > limit:
        return "regressed" if p_up is not None and p_up < alpha else "inconclusive"
    if mean < -limit:
        return "improved" if p_down is not None and p_down < alpha else "inconclusive"
    # Within the tolerance: "unchanged" only when these rounds could have found a rise of
    # the tolerance; on a noisy runner they could not, and saying so beats a false all-clear.
    return "unchanged" if detectable is not None and detectable <= tolerance else "inconclusive"
