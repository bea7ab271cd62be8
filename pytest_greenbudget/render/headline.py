"""The headline every format opens with: what needs action, what could not be told, and the
overall change on the tests both sides ran and the gate could judge, in the figures the changes
are ratios of. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ..gate.compare import percent_change
from ..gate.lines import compared_figures
from ..report.model import TestEntry
from ..units import count, format_energy
from .wording import tests_word


def same_tests(tests: Iterable[TestEntry]) -> tuple[float, float, str] | None:
    """(head, base, what) energy summed over the tests present in both runs, if any: the
    figures each test's change is the ratio of (floors side by side, else medians).

    New and removed tests are left out, so adding a test never reads as a regression.
    """
    found = [f for t in tests if t.verdict != "missing" and (f := compared_figures(t))]
    if not found:
        return None
    what = {w for _, _, w in found}
    said = what.pop() if len(what) == 1 else "floors and medians"
    return sum(h for _, h, _ in found), sum(b for b, _, _ in found), said


def energy_change(tests: Iterable[TestEntry]) -> float | None:
    sums = same_tests(tests)
    return sums[0] / sums[1] - 1.0 if sums and sums[1] > 0 else None


UNSURE = "(too noisy to tell)"


def headline(tests: tuple[TestEntry, ...], counts: Mapping[str, int]) -> str:
    """One line a reviewer reads in five seconds: what needs action, what could not be told,
    and the overall change: '1 regressed · 4 inconclusive (too noisy to tell) · energy
    +3.1% vs base'. The change is its own clause, so '1 over budget' is not read as over
    budget by -1.0%."""
    if not tests and counts.get("unaffected"):  # a paired run no change reached
        return f"No test measured: {count(counts['unaffected'], 'test')} unaffected"
    if not tests:
        return "No measured tests in this report"
    parts = [
        f"{counts['regressed']} regressed" if counts.get("regressed") else "",
        f"{counts['over-budget']} over budget" if counts.get("over-budget") else "",
        f"{count(counts['accepted'], 'regression')} accepted" if counts.get("accepted") else "",
        f"{counts['inconclusive']} inconclusive {UNSURE}" if counts.get("inconclusive") else "",
    ]
    said = " · ".join(p for p in parts if p) or _calm(tests, counts)
    change = energy_change(tests)
    if change is not None and not undecided(tests):
        return f"{said} · energy {percent_change(1.0 + change)} vs base"
    measured = [t.energy_j for t in tests if t.energy_j is not None and t.verdict != "missing"]
    return f"{said} · {format_energy(sum(measured))} in total" if measured else said


def undecided(tests: Iterable[TestEntry]) -> int:
    """Compared tests (figures on both sides) whose comparison reached no verdict. While there
    are any, the headline names no overall change: summed in, their noise made a torch suite's
    headline read +15% where its one real change was +9.3%, and an A/A run's -8.5%; summing
    only the decided tests made the same change read +30% in one run and +12% in the next,
    as tests crossed from inconclusive to unchanged. The Totals say the sum and what is in it."""
    return sum(1 for t in tests if t.verdict == "inconclusive" and compared_figures(t))


def headline_mood(counts: Mapping[str, int], failed: bool) -> str:
    """'fail', 'unsure' (nothing failed, something could not be told) or 'pass': a headline
    is never ticked while tests are inconclusive."""
    if failed:
        return "fail"
    return "unsure" if counts.get("inconclusive") else "pass"


def _calm(tests: tuple[TestEntry, ...], counts: Mapping[str, int]) -> str:
    if any(t.baseline is not None for t in tests):
        improved = counts.get("improved", 0)
        lead = f"{tests_word(improved)} improved, none regressed" if improved else "No regressions"
        return f"{lead} in {tests_word(len(tests))}"
    measured = [t for t in tests if t.energy_j is not None and t.verdict != "missing"]
    held = sum(t.budget is not None for t in measured)
    if not measured:
        return "No test measured"
    if held == len(measured):
        return f"{tests_word(held)} within budget"
    # Before budgets are set (the README's first step: measure, then `greenbudget suggest`),
    # "within budget" read as a verdict on budgets that did not exist yet.
    unheld = f"{tests_word(len(measured) - held)} measured without a budget"
    return f"{tests_word(held)} within budget, {unheld}" if held else unheld
