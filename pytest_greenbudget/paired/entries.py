"""The paired phase's measurements as report entries: compared, unaffected, or cut short.

Everything the controller attaches to its own run of each test: the side-by-side verdict and
its one-line message, the ``unaffected`` entries of tests no change reached (impact.py), the
``inconclusive`` ones the time cap left without a round, and the run's notes. Pure: no pytest.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from ..gate.budget import build_entry, failed_entry
from ..gate.compare import percent_change
from ..report.model import BaselineFigures, CarbonSettings, TestEntry
from ..report.model import Impact as ReportImpact
from ..settings.plans import Plan
from ..units import count, format_energy, format_p
from .impact import UNAFFECTED_WHY, Impact
from .schedule import PairedRun, TestPairs
from .sequential import Look
from .stats import METHOD, PairedDesign, PairedResult
from .triage import Triage


@dataclass
class Paired:
    """What the paired phase produced, for the controller's own run of each test."""

    ref: str
    commit: str
    entries: dict[str, TestEntry]  # compared side by side
    excluded: dict[str, str] = field(default_factory=dict)  # node id -> why not compared
    broken: set[str] = field(default_factory=set)  # excluded because the gate failed to run it
    new: set[str] = field(default_factory=set)
    missing: list[TestEntry] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # shown as they happen, too
    capped: str | None = None  # why rounds stopped early: the time cap
    impact: ReportImpact | None = None  # the changes that decided which tests to pair

    @property
    def label(self) -> str:
        return f"{self.ref}@{self.commit[:7]}"

    def finish(self, entry: TestEntry) -> TestEntry:
        """A test the controller measured itself (not compared): say why."""
        if entry.nodeid in self.new:
            note = f"not on the base side ({self.label})"
            if entry.verdict == "over-budget" or not entry.samples_j:
                return entry.noted(note)
            return replace(entry, verdict="new", message=note)
        reason = self.excluded.get(entry.nodeid)
        if reason and entry.nodeid in self.broken and entry.verdict != "over-budget":
            # never "ok": the comparison it needed did not happen (the run fails for it)
            return replace(entry.noted(f"{reason} with {self.label}"), verdict="inconclusive")
        return entry.noted(f"{reason} with {self.label}") if reason else entry

    @property
    def failure(self) -> str | None:
        """Why the run must fail although verdicts exist: a test the gate could not run."""
        if not self.broken:
            return None
        nodeid = sorted(self.broken)[0]
        more = f" (and {count(len(self.broken) - 1, 'more test')})" if len(self.broken) > 1 else ""
        return f"{nodeid} {self.excluded[nodeid]}{more}"


def build_paired(
    ref: str,
    commit: str,
    run: PairedRun | None,
    plans: Mapping[str, Plan],
    carbon: CarbonSettings,
    design: PairedDesign,
    found: Triage,
    capped: str | None,
) -> Paired:
    paired = Paired(ref, commit, {}, new=set(run.new if run else ()), capped=capped)
    for nodeid, pairs in (run.tests if run else {}).items():
        if pairs.excluded is not None:
            paired.excluded[nodeid] = pairs.excluded
            if pairs.broken:
                paired.broken.add(nodeid)
            continue
        entry = _compared(pairs, plans[nodeid], carbon, paired, design)
        paired.entries[nodeid] = entry
    for nodeid in found.paired if run is None else ():  # the cap left no room for a round
        why = f"not compared with {paired.label}: {capped}; it could see no change"
        paired.entries[nodeid] = _unmeasured(nodeid, plans[nodeid], "inconclusive", why)
    for nodeid in found.impact.unaffected:
        why = f"{UNAFFECTED_WHY} since {paired.label}: not paired, not measured"
        paired.entries[nodeid] = _unmeasured(nodeid, plans[nodeid], "unaffected", why)
    budgeted = set(found.impact.unaffected)  # budgeted here, so never missing
    missing = [t for t in (run.missing if run else ()) if t not in budgeted]
    paired.missing = [_missing(nodeid, paired.label) for nodeid in missing]
    paired.notes = _notes(run, paired, found)
    paired.impact = _impact(found.impact, ref, commit)
    return paired


def _unmeasured(nodeid: str, plan: Plan, verdict: str, why: str) -> TestEntry:
    entry = failed_entry(nodeid, plan, "passed", why)
    return replace(entry, verdict=verdict, repeats=0, warmup=0)


def _impact(impact: Impact, ref: str, commit: str) -> ReportImpact:
    changes = impact.changes
    return ReportImpact(
        ref, commit,
        considered=changes.files if changes else (),
        ignored=changes.ignored if changes else (),
        unaffected=len(impact.unaffected),
        every_test=impact.note,
    )  # fmt: skip


def _compared(
    pairs: TestPairs, plan: Plan, carbon: CarbonSettings, paired: Paired, design: PairedDesign
) -> TestEntry:
    samples = list(pairs.head)
    entry = build_entry(pairs.nodeid, plan, samples, carbon)
    entry = replace(entry, repeats=len(samples), warmup=design.warmup)
    flat = [p for r in pairs.rounds for p in r]
    try:  # the look the test left the schedule at (or the last one, if it never left)
        look = pairs.look or Look.at(pairs.rounds, plan.tolerance, design)
    except ValueError as exc:
        return entry.noted(f"not compared with {paired.label}: {exc}")
    result = look.result
    base_j = [b for _, b in flat]
    figures = BaselineFigures(
        statistics.median(base_j), tuple(base_j), result.ratio, result.p_value, METHOD,
        comparable=True, mode="paired", ref=paired.ref, commit=paired.commit,
        pairs=tuple(flat), detectable=result.detectable,
    )  # fmt: skip
    entry = replace(entry, baseline=figures)
    if entry.verdict == "over-budget":  # the budget's failure names its source: keep it
        return entry
    head_j = statistics.median(h for h, _ in flat)
    text = describe(result, figures.energy_j, head_j, paired.label, len(flat))
    if result.verdict == "inconclusive":
        text += f"; {look.why_inconclusive(design)}"
        if paired.capped:
            text += f"; {paired.capped}"
    return replace(entry, verdict=result.verdict, message=text)


def describe(result: PairedResult, base_j: float, head_j: float, label: str, pairs: int) -> str:
    """One line, e.g. 'energy regressed +12% vs main@abc1234 (3.10 J -> 3.47 J, p=0.002,
    12 pairs in 6 rounds), measured side by side in this job'."""
    p = "no test" if result.p_value is None else format_p(result.p_value)
    detail = f"{format_energy(base_j)} -> {format_energy(head_j)}, {p}, "
    detail += f"{pairs} pairs in {result.rounds} rounds"
    if result.detectable is not None:
        detail += f", could see {percent_change(1.0 + result.detectable)}"
    change = percent_change(result.ratio)
    what = {
        "unchanged": f"energy {change} vs {label}, within tolerance",
        "inconclusive": f"energy {change} vs {label}, inconclusive ({_why(result)})",
    }.get(result.verdict, f"energy {result.verdict} {change} vs {label}")
    return f"{what} ({detail}), measured side by side in this job"


def _why(result: PairedResult) -> str:
    """Beyond the tolerance but not significant, or within it but too noisy to rule a rise
    of the tolerance out (the detectable change says how large a rise it could have seen)."""
    return "not significant" if result.beyond_tolerance else "too noisy to rule out the tolerance"


def _missing(nodeid: str, label: str) -> TestEntry:
    return TestEntry(
        nodeid=nodeid,
        outcome="not-run",
        energy_j=None,
        verdict="missing",
        message=f"budgeted on the base side ({label}) but not here",
    )


def _notes(run: PairedRun | None, paired: Paired, found: Triage) -> list[str]:
    notes = list(found.notes)
    unaffected = len(found.impact.unaffected)  # counted by the renderers, from the verdicts
    if run is None:
        return notes
    seconds = run.round_seconds
    total, rounds = sum(seconds), max(len(seconds), 1)
    notes.append(
        f"measured side by side with {paired.label} in this job: "
        f"{count(len(paired.entries) - unaffected, 'test')}, {count(len(seconds), 'round')} of "
        f"fresh head and base processes, {total:.1f} s ({total / rounds:.1f} s per round, "
        f"{sum(run.startup_seconds) / rounds:.2f} s of it starting and collecting)"
    )
    paired.problems = [f"base side ({paired.label}): {error}" for error in run.base_errors]
    return notes + paired.problems
