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
from ..gate.lines import verdict_line
from ..measure.probe import RunSample
from ..report.model import BaselineFigures, CarbonSettings, TestEntry
from ..report.model import Impact as ReportImpact
from ..settings.plans import Plan
from ..units import count
from .impact import UNAFFECTED_WHY, Impact
from .rounds import PairedRun, TestPairs
from .sequential import Look
from .stats import METHOD, PairedDesign, round_floors
from .triage import Triage

NOT_REACHED = "not run in this session: pytest stopped before it (measured side by side first)"


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
    seen: dict[str, str] = field(default_factory=dict)  # what the controller's own run said

    def saw(self, nodeid: str, when: str, outcome: str) -> None:
        """pytest's report of one phase of the controller's own run of a compared test: a
        setup that failed or skipped is the test's outcome; any phase means it ran."""
        if nodeid not in self.entries:
            return
        if when == "setup" and outcome != "passed":
            self.seen[nodeid] = "error" if outcome == "failed" else outcome
        else:
            self.seen.setdefault(nodeid, "passed")

    def settled(self, entry: TestEntry) -> TestEntry:
        """An entry as the session ends. One the controller measured itself: ``finish``. A
        compared one: the workers ran it, but pytest's verdict on the test is the
        controller's; one it never reached (-x, --maxfail, Ctrl-C) is "not-run", not the
        "passed" its workers saw, and its side-by-side verdict stands."""
        if entry.nodeid not in self.entries:
            return self.finish(entry)
        outcome = self.seen.get(entry.nodeid)
        if outcome is None:
            return replace(entry, outcome="not-run").noted(NOT_REACHED)
        if outcome != "passed" and entry.outcome == "passed":
            return replace(entry, outcome=outcome)
        return entry

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
    entry = build_entry(pairs.nodeid, plan, samples, carbon, _warm(pairs))
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
        floors=tuple(round_floors(r, design.pairs) for r in pairs.rounds if r),
    )  # fmt: skip
    entry = replace(entry, baseline=figures)
    if entry.verdict == "over-budget":  # the budget's failure names its source: keep it
        return entry
    entry = replace(entry, verdict=result.verdict)
    # One short line, as every format shows it; the base's name and the method are said once
    # for the run (its notes, the report's baseline fields, the summary's how-judged line).
    text = verdict_line(entry) or result.verdict
    if result.verdict == "inconclusive" and _says_why(look):
        text += f"; {look.why_inconclusive(design)}"
    elif result.verdict == "inconclusive" and paired.capped:
        text += f"; {paired.capped}"  # why it had no more rounds: the time cap, or -x
    return replace(entry, message=text)


def _says_why(look: Look) -> bool:
    """Why it left before the cap; at the cap, what its look needed when the change lay past
    the tolerance (its p is shown, and a small one alone read as a contradiction)."""
    return look.stop in ("hopeless", "slow") or (
        look.stop == "cap" and look.result.beyond_tolerance
    )


def _warm(pairs: TestPairs) -> list[RunSample]:
    """The head's runs past each round's first where a round had more: a fresh process's
    first run of a test is cold by design (no warm-up: the floor leaves it out). Read as a
    spread, those runs sent torch-optimizer's tests the advice that spinning threads made
    them vary 72%; their other runs varied under 1%."""
    warm, at = [], 0
    for pairs_of_round in (len(r) for r in pairs.rounds):
        warm += pairs.head[at + (pairs_of_round > 1) : at + pairs_of_round]
        at += pairs_of_round
    return warm


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
    if paired.capped:  # said as it happened; the summary at the end says it again
        notes.append(f"paired gate: {paired.capped}")
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
