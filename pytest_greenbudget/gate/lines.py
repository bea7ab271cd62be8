"""One short line for a compared test's verdict, the same in every place it is read: the
test's failure in pytest's output, the report's message, the terminal summary, the PR comment
and the HTML page. For example::

    regressed: +24% (190 -> 227 mJ floors), p<0.001, 10 rounds
    inconclusive: +0.9% (426 -> 427 mJ floors), could see ≥ +15%

The figures in brackets are the ones the change is the ratio of, and say which they are: a
paired comparison divides the sides' per-round floors (their geometric means divide to its
ratio exactly), an unpaired one the medians. How the verdict was reached (the test, the
noise allowed for, the looks at the data) is said once per run, not on every line. Pure.
"""

from __future__ import annotations

import math

from ..report.model import TestEntry
from ..units import count, format_energy, format_p

COMPARED = ("regressed", "improved", "unchanged", "inconclusive")
# Past a tenfold change a "could see" figure says no more than "far too noisy": a torch test
# whose energy differed between processes (0.9 or 1.65 CPU s, steady within each) read
# "could see ≥ +21550974%". Such a line names the spread instead.
NO_SIGHT = 10.0


def compared_figures(test: TestEntry) -> tuple[float, float, str] | None:
    """(base J, head J, what they are) whose ratio is the test's change; None without a
    comparison. Paired reports before schema 1.5 kept no floors: their medians, so named."""
    base = test.baseline
    if base is None:
        return None
    if base.floors and all(h > 0 and b > 0 for h, b in base.floors):
        heads = _geometric_mean([h for h, _ in base.floors])
        bases = _geometric_mean([b for _, b in base.floors])
        return bases, heads, "floors"
    if test.energy_j is None:
        return None
    return base.energy_j, test.energy_j, "medians"


def _geometric_mean(values: list[float]) -> float:
    return math.exp(math.fsum(math.log(v) for v in values) / len(values))


def from_to(base_j: float, head_j: float, what: str) -> str:
    """'190 -> 227 mJ floors': the unit said once when both sides share it."""
    base, head = format_energy(base_j), format_energy(head_j)
    base_unit, head_unit = base.rsplit(" ", 1)[-1], head.rsplit(" ", 1)[-1]
    if base_unit == head_unit:
        base = base.rsplit(" ", 1)[0]
    return f"{base} -> {head} {what}"


def change_text(ratio: float) -> str:
    """'+23%' for big changes, '+1.2%' where whole percent would round small ones away."""
    percent = (ratio - 1.0) * 100.0
    if abs(percent) < 0.05:
        return "+0.0%"  # not '-0.0%', which a newcomer read as a (tiny) fall
    return f"{percent:+.0f}%" if abs(percent) >= 10 else f"{percent:+.1f}%"


def p_text(p: float | None, exact: bool = False) -> str:
    return "ratio only" if p is None else format_p(p, exact)


def extent(test: TestEntry) -> str:
    """How much evidence: '10 rounds' side by side, '5 runs a side' against a report."""
    base = test.baseline
    if base is None:
        return ""
    if base.mode == "paired":
        return count(len(base.floors), "round") if base.floors else count(len(base.pairs), "pair")
    heads, bases = len(test.samples_j), len(base.samples_j)
    if heads == bases:
        return f"{count(heads, 'run')} a side"
    return f"{bases} base, {count(heads, 'head run')}"


def verdict_line(test: TestEntry) -> str | None:
    """The line for a test compared with a base; None for any other verdict."""
    change, evidence = change_part(test), evidence_part(test)
    if change is None or test.verdict not in COMPARED:
        return None
    return f"{test.verdict}: {change}" + (f", {evidence}" if evidence else "")


def change_part(test: TestEntry) -> str | None:
    """'+24% (190 -> 227 mJ floors)': the change and the figures it is the ratio of."""
    figures, base = compared_figures(test), test.baseline
    if figures is None or base is None:
        return None
    return f"{change_text(base.ratio)} ({from_to(*figures)})"


def evidence_part(test: TestEntry) -> str:
    """What the verdict rests on, in a few words: 'p<0.001, 10 rounds' for a change found,
    'within ±5%' for none, 'could see ≥ +15%' where the gate could not tell."""
    base = test.baseline
    if base is None or test.verdict not in COMPARED:
        return ""
    beyond = base.ratio <= 0 or abs(math.log(base.ratio)) > math.log1p(test.tolerance)
    said = []
    if test.verdict in ("regressed", "improved") or (test.verdict == "inconclusive" and beyond):
        said += [p_text(base.p_value, exact=test.verdict == "inconclusive"), extent(test)]
    if test.verdict == "unchanged":
        said.append(f"within ±{test.tolerance * 100:g}%")
    if test.verdict == "inconclusive" and base.detectable is not None:
        said.append(could_see(test))
    return ", ".join(s for s in said if s)


def could_see(test: TestEntry) -> str:
    """'could see ≥ +15%'; past NO_SIGHT, that no sensible change could be seen, and with
    rounds, how many and how far apart they read (the reason: "its rounds read 99.8 mJ to
    130 mJ" alone looked like a contradiction of "over 10x" in a networkx trial, where the
    cause was 2 rounds, one degree of freedom)."""
    base = test.baseline
    assert base is not None and base.detectable is not None
    factor = 1.0 + base.detectable
    if factor < NO_SIGHT:
        return f"could see ≥ {change_text(factor)}"
    said = f"could see only a change over {NO_SIGHT:g}x"
    floors = [value for pair in base.floors for value in pair]
    if len(base.floors) > 1 and min(floors) > 0:
        low, high = format_energy(min(floors)), format_energy(max(floors))
        said += f" from {len(base.floors)} rounds reading {low} to {high}"
    return said
