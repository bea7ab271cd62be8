"""What a report says to a reviewer, as formatted strings: shared by every output format.

The numbers' logic lives here (which tests lead, how totals and changes are computed, how a
p-value reads); the formats (markdown.py, html.py) only lay these strings out and escape them.
Every string that came from the report is raw here: escaping is the format's job.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ..gate.compare import percent_change
from ..gate.lines import from_to, verdict_line
from ..gate.stats import Summary
from ..report.model import Budget, Component, Environment, ProfileDiff, Report, TestEntry
from ..units import format_carbon, format_energy, format_percent
from .headline import energy_change, headline, headline_mood, same_tests, undecided
from .wording import (
    FLAGGED,
    budget_share,
    budget_use,
    change_cell,
    counted,
    energy_cell,
    evidence,
    gate_rule,
    incomplete_banner,
    not_run_line,
    run_count,
    side_by_side,
    status,
    test_notes,
    unaffected_line,
)

# Reading order: what needs action, then what could not be judged, then what changed, then
# what did not.
ORDER = (
    "regressed",
    "over-budget",
    "accepted",  # a regression someone acknowledged: shown, but it does not fail
    "inconclusive",
    "missing",
    "new",
    "improved",
    "unchanged",
    "ok",
)
LABELS = {"over-budget": "over budget", "": "measured", "accepted": "accepted regression"}
NONE = "—"
__all__ = ["FLAGGED", "gate_rule"]  # re-exported: callers read them from the view


@dataclass(frozen=True)
class Row:
    nodeid: str
    verdict: str  # one of results.VERDICTS, or "" when the report carries none
    label: str
    head: str  # the figure the budget holds: the median run, per unit where declared
    change: str  # "+24% (190 -> 227 mJ floors)": the change and the figures it is a ratio of
    evidence: str  # what a comparison's verdict rests on: "p<0.001, 10 rounds"
    budget: str
    budget_used: str
    carbon: str
    message: str
    status: str = ""  # the verdict, or pytest's outcome where it says more (xfailed, skipped)
    runs: int = 0  # measured runs the energy is the median of
    spread: str = NONE  # coefficient of variation of those runs
    budget_use: str = NONE  # "35% energy": the share, naming its budget
    budget_share: str = NONE  # "35% of 2.00 J": the share and the budget itself
    detail: str = ""  # the verdict's one line, for a comparison: "regressed: +24% (...), ..."
    profile: ProfileDiff | None = None  # paired regressed/improved: where the energy went


@dataclass(frozen=True)
class View:
    headline: str
    flagged: tuple[Row, ...]  # regressions, then budget overruns, worst first
    rest: tuple[Row, ...]
    totals: tuple[tuple[str, str], ...]  # (label, value) in reading order
    meters: tuple[str, ...]
    notes: tuple[str, ...]
    run_url: str | None
    counts: Mapping[str, int] = field(default_factory=dict)
    banner: str | None = None  # an incomplete run, said before anything else
    paired: str | None = None  # "measured side by side with main@abc1234 in this job"

    @property
    def failed(self) -> bool:
        return bool(self.flagged)

    @property
    def mood(self) -> str:
        return headline_mood(self.counts, self.failed)


def build_view(
    report: Report,
    *,
    notes: Iterable[str] = (),
    run_url: str | None = None,
) -> View:
    """The view of a report whose entries already carry verdicts (see compare.py)."""
    shown = tuple(t for t in report.tests if t.verdict != "unaffected")  # noted in one line
    rows = tuple(_row(t) for t in sorted(shown, key=_sort_key))
    counts = Counter(counted(t) for t in report.tests)
    return View(
        headline=headline(shown, counts),
        flagged=tuple(r for r in rows if r.verdict in FLAGGED and r.status != "accepted"),
        rest=tuple(r for r in rows if r.verdict not in FLAGGED or r.status == "accepted"),
        totals=totals(report),
        meters=meters(report),
        notes=(*notes, *unaffected_line(report), *not_run_line(report), *test_notes(report.tests)),
        run_url=run_url,
        counts=dict(counts),
        banner=incomplete_banner(report),
        paired=side_by_side(report.tests),
    )


def _sort_key(test: TestEntry) -> tuple[int, float, str]:
    key = counted(test)
    rank = ORDER.index(key) if key in ORDER else len(ORDER)
    if test.verdict == "regressed" and test.baseline is not None:
        return rank, -test.baseline.ratio, test.nodeid
    return rank, -(test.budget_used or 0.0), test.nodeid


def _row(test: TestEntry) -> Row:
    head_missing = test.verdict == "missing"
    shown = status(test)
    return Row(
        nodeid=test.nodeid,
        verdict=test.verdict or "",
        label=LABELS.get(shown, shown),
        head=NONE if head_missing else energy_cell(test),
        change=change_cell(test),
        evidence=evidence(test),
        budget=budget_text(test.budget),
        budget_used=NONE if test.budget_used is None else format_percent(test.budget_used),
        carbon=NONE if test.carbon_g is None or head_missing else format_carbon(test.carbon_g),
        message=test.message or "",
        status=shown,
        runs=run_count(test),
        spread=spread(test),
        budget_use=budget_use(test),
        budget_share=budget_share(test),
        detail=_detail(test),
        profile=test.profile_diff,
    )


def _detail(test: TestEntry) -> str:
    """The verdict's one line, and for an accepted regression who accepted it and why."""
    line = verdict_line(test) or ""
    if test.accepted and test.accepted_reason:
        return f"{line} · accepted: {test.accepted_reason}" if line else test.accepted_reason
    return line


def budget_text(budget: Budget | None) -> str:
    if budget is None:
        return NONE
    parts = []
    if budget.energy_j is not None:
        parts.append(format_energy(budget.energy_j))
    if budget.carbon_g is not None:
        parts.append(format_carbon(budget.carbon_g))
    text = ", ".join(parts) or NONE
    return f"{text} per {budget.per}" if budget.per else text


# --- headline and totals ------------------------------------------------------------------


def totals(report: Report) -> tuple[tuple[str, str], ...]:
    # Missing tests carry their base figures; tests whose body failed carry none.
    present = [t for t in report.tests if t.verdict != "missing" and t.energy_j is not None]
    if not present:  # "0 tests, 0 µJ, 0 µgCO2e" read as a measurement (a time cap, no round)
        return ()
    head = sum(t.energy_j for t in present if t.energy_j is not None)
    carbon = sum(t.carbon_g for t in present if t.carbon_g is not None)
    rows = [("Tests measured", str(len(present))), ("Energy (medians)", format_energy(head))]
    sums, change = same_tests(report.tests), energy_change(report.tests)
    if sums is not None and change is not None:
        rows.append(("Base -> head (same tests)", from_to(sums[1], sums[0], sums[2])))
        unsure = undecided(report.tests)
        with_unsure = f" (with {unsure} inconclusive)" if unsure else ""
        rows.append(("Change (same tests)", percent_change(1.0 + change) + with_unsure))
    rows.append(("Carbon", format_carbon(carbon)))
    return tuple(rows)


def meters(report: Report) -> tuple[str, ...]:
    """Which meter measured each component, how (measured or estimated), and why that one."""
    env, carbon = report.environment, report.carbon
    lines = [
        f"{name}: {m.meter} ({m.provenance})" + (f", {m.reason}" if m.reason else "")
        for name, m in sorted(env.meters.items())
    ]
    if not lines and env.meter:
        lines.append(f"meter: {env.meter}")
    where = ", ".join(p for p in (carbon.region, carbon.source) if p)
    lines.append(
        f"carbon: {carbon.intensity_g_per_kwh:g} gCO2e/kWh"
        + (f" ({where})" if where else "")
        + f", PUE {carbon.pue:g}"
    )
    if env.cpu_model:
        # Workers and thread limits are part of the fingerprint: shown where the machine is.
        lines.append(f"machine: {machine(env)}")
    gate = gate_rule(report.tests)  # "side by side with main@abc" is said by the header
    return (*lines, gate) if gate else tuple(lines)


def machine(env: Environment) -> str:
    """'AMD EPYC 7763, 2 CPUs, 2 xdist workers, thread pools limited to 1'."""
    workers = f", {env.workers} xdist workers" if env.workers else ""
    threads = f", thread pools limited to {env.threads}" if env.threads else ""
    return f"{env.cpu_model}, {env.cpu_count} CPUs{workers}{threads}"


# --- figures drawn by the richer formats (html.py); markdown may show them too -------------


def measured_energy_j(tests: Iterable[TestEntry]) -> float:
    """Energy summed over the tests this report ran (base-only tests carry base figures)."""
    return sum(t.energy_j for t in tests if t.energy_j is not None and t.verdict != "missing")


def watt_hours(joules: float) -> str:
    """Energy in Wh whatever its size, for readers who think in electricity bills."""
    return f"{joules / 3600.0:.3g} Wh"


def change_fraction(test: TestEntry) -> float | None:
    """Head vs base as a signed fraction (+0.23 for +23%); None without a baseline."""
    if test.baseline is None or test.verdict == "missing":
        return None
    return test.baseline.ratio - 1.0


def component_split(test: TestEntry) -> list[tuple[str, float, Component]]:
    """(name, joules, component) in name order, the joules being each part's share of the
    test's energy: each component is the median of its own runs, and medians do not add up,
    so the parts are shown in their measured proportions of the figure the row shows."""
    parts = sorted(test.components.items())
    whole = sum(c.energy_j for _, c in parts)
    total = test.energy_j if test.energy_j is not None else whole
    if not parts or not math.isfinite(whole) or whole <= 0 or not math.isfinite(total):
        return [(name, c.energy_j, c) for name, c in parts]
    return [(name, total * c.energy_j / whole, c) for name, c in parts]


def spread(test: TestEntry) -> str:
    """How much one run differs from the next (coefficient of variation), as the terminal says."""
    if len(test.samples_j) < 2:
        return NONE
    try:
        cv = Summary.from_samples(test.samples_j).cv
    except ValueError:  # a hand-edited report may hold negative or infinite samples
        return NONE
    return f"±{cv * 100:.1f}%"


def environment(report: Report) -> tuple[tuple[str, str], ...]:
    """The run's fingerprint as (label, value), leaving out what the report does not know."""
    env = report.environment
    rows = (
        ("Created (UTC)", report.created_utc),
        ("CPU", f"{env.cpu_model} ({env.cpu_count} CPUs)" if env.cpu_model else ""),
        ("GPUs", ", ".join(env.gpus) or "none"),
        ("Meter", env.meter),
        ("Platform", env.platform),
        ("Python", env.python),
        ("pytest", env.pytest),
        ("pytest-greenbudget", env.plugin),
        ("Commit", env.commit or ""),
        ("xdist workers", str(env.workers) if env.workers else ""),
        ("Schema", report.schema_version),
    )
    return tuple((label, value) for label, value in rows if value)
