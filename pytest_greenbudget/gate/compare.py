"""Baseline report x head report -> per-test verdicts. Pure: no pytest.

Each head test with samples is held to the rule in ``stats.detect_change`` against the same
node id in the baseline. The two reports must come from the same kind of machine and meter for
that to mean anything: when their fingerprints differ, the verdicts are still computed and
shown, but they do not gate unless the caller insists (``gate_incomparable``).
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from ..report.model import BaselineFigures, Environment, Report, TestEntry
from ..units import count
from .accept import blocking
from .devices import in_use, moved_devices, moved_warning
from .history import history_change
from .lines import change_text, verdict_line
from .noise import METER_DEFAULT, meter_noise
from .stats import Change, detect_change

INCOMPARABLE = "baseline from another machine, meter, worker count or thread limit"
NOT_GATED = f"{INCOMPARABLE}: not gated"
SETTING = "setting"  # TestEntry.noise_source of a session_noise the user gave
GATING = ("regressed", "improved")


@dataclass(frozen=True)
class Comparison:
    """The head report with verdicts filled in, and whether its regressions may gate."""

    report: Report
    comparable: bool
    warnings: tuple[str, ...]
    gate_incomparable: bool = False

    @classmethod
    def from_reports(
        cls,
        base: Report | None,
        head: Report,
        *,
        tolerance: float | None = None,
        gate_incomparable: bool = False,
        session_noise: float | None = None,
    ) -> Comparison:
        """Compare ``head`` with ``base``; ``tolerance`` and ``session_noise`` override each
        test's own when given. Without a base, head's own verdicts stand."""
        if base is None:
            return cls(head, True, (), gate_incomparable)
        differences = fingerprint_differences(base.environment, head.environment)
        moved = in_use(moved_devices(base.environment, head.environment), head.tests)
        comparer = _Comparer(
            base.by_nodeid(), tolerance, not differences, gate_incomparable, session_noise,
            frozenset(moved),
        )  # fmt: skip
        tests = tuple(comparer.entry(t) for t in head.tests) + missing_entries(base, head)
        warnings = (
            _fingerprint_warning(differences, gate_incomparable)
            + moved_warning(moved, session_noise is not None)
            + disjoint_warning(base, head)
            + tuple(comparer.warnings)
        )
        return cls(head.with_tests(tests), not differences, warnings, gate_incomparable)

    def count(self, verdict: str) -> int:
        return sum(t.verdict == verdict for t in self.report.tests)

    @property
    def gate_failed(self) -> bool:
        """Something regressed, on a baseline that may gate (or one told to gate anyway)."""
        return any(
            blocking(t) and (self.gate_incomparable or self._comparable(t))
            for t in self.report.tests
        )

    def _comparable(self, test: TestEntry) -> bool:
        return self.comparable and (test.baseline is None or test.baseline.comparable)


# The name most callers use; one implementation.
compare_reports = Comparison.from_reports


# --- fingerprints ---------------------------------------------------------------------------


def fingerprint_differences(base: Environment, head: Environment) -> list[str]:
    """Why the two runs' energies cannot be compared, one sentence each; empty when they can."""
    found = []
    if base.cpu_model != head.cpu_model:
        found.append(f"CPU model differs: {_shown(base.cpu_model)} vs {_shown(head.cpu_model)}")
    found += _meter_differences(_meters(base), _meters(head))
    if sorted(base.gpus) != sorted(head.gpus):
        found.append(f"GPUs differ: {_gpus(base.gpus)} vs {_gpus(head.gpus)}")
    # Parallel workers share cores and caches, and thread limits change what a CPU meter
    # counts: a serial base against a `-n 2` head read +292% to +7507% on the same code.
    if base.workers != head.workers:
        found.append(f"xdist workers differ: {_count(base.workers)} vs {_count(head.workers)}")
    if base.threads != head.threads:
        found.append(f"thread limit differs: {_limit(base.threads)} vs {_limit(head.threads)}")
    return found


def _count(workers: int | None) -> str:
    return str(workers) if workers else "none (serial)"


def _limit(threads: int | None) -> str:
    return str(threads) if threads else "none"


def _meters(env: Environment) -> dict[str, str]:
    # Reports written before per-component meters were recorded carry one meter name only.
    if env.meters:
        return {component: m.meter for component, m in env.meters.items()}
    return {"energy": env.meter} if env.meter else {}


def _meter_differences(base: Mapping[str, str], head: Mapping[str, str]) -> list[str]:
    return [
        f"{name} meter differs: {_shown(base.get(name, ''))} vs {_shown(head.get(name, ''))}"
        for name in sorted(base.keys() | head.keys())
        if base.get(name) != head.get(name)
    ]


def _shown(value: str) -> str:
    return repr(value) if value else "none"


def _gpus(gpus: tuple[str, ...]) -> str:
    return ", ".join(sorted(gpus)) or "none"


def _fingerprint_warning(differences: list[str], gate_incomparable: bool) -> tuple[str, ...]:
    if not differences:
        return ()
    consequence = (
        "gating on it anyway, as asked"
        if gate_incomparable
        else "verdicts are shown but do not gate (--gate-incomparable gates on them)"
    )
    reasons = "; ".join(f"{d} (base vs head)" for d in differences)
    return (f"baseline is not comparable with this run: {reasons}; {consequence}",)


# --- per-test verdicts ----------------------------------------------------------------------


@dataclass
class _Comparer:
    """Verdicts for head entries against one baseline; collects what it could not compare.

    Mutable on purpose: it lives for one comparison and gathers warnings as it goes.
    """

    base: Mapping[str, TestEntry]
    tolerance: float | None
    comparable: bool
    gate_incomparable: bool
    session_noise: float | None = None
    moved: frozenset[str] = frozenset()  # components the baseline measured on another device
    warnings: list[str] = field(default_factory=list)

    def entry(self, head: TestEntry) -> TestEntry:
        if not head.samples_j:
            return head  # the body failed or was skipped: nothing was measured to compare
        base = self.base.get(head.nodeid)
        if base is None or not base.samples_j:
            return _new(head, "no baseline for this test" if base is None else None)
        tolerance = head.tolerance if self.tolerance is None else self.tolerance
        try:
            change, noise, source = self._change(base, head, tolerance)
        except ValueError as exc:
            self._warn(f"{head.nodeid}: not compared with the baseline: {exc}")
            return head
        head = replace(head, tolerance=tolerance, session_noise=noise, noise_source=source)
        return self._judged(head, base, change)

    def _change(
        self, base: TestEntry, head: TestEntry, tolerance: float
    ) -> tuple[Change, float, str]:
        """The change and the between-session noise it allowed for, with its source: the
        user's setting wins; else the baseline's history of this test, when it has enough
        runs; else the meter default the head recorded."""
        if self.session_noise is not None:
            noise, source = self.session_noise, SETTING
        else:
            noise, source = self._recorded_noise(head)
        found = (
            None if source == SETTING else history_change(base.runs_j, head.samples_j, tolerance)
        )
        if found is not None:
            return found[0], found[1], f"history of {len(base.runs_j)} runs"
        change = detect_change(base.samples_j, head.samples_j, tolerance, session_noise=noise)
        return change, noise, source

    def _recorded_noise(self, head: TestEntry) -> tuple[float, str]:
        """The noise the head recorded; a meter default is taken again, at another device's
        figure, for components the baseline measured on another device."""
        moved = self.moved & head.components.keys()
        if not moved or not head.noise_source.startswith(METER_DEFAULT):
            return head.session_noise, head.noise_source
        return meter_noise(head.components, head.cpu_s, head.wall_s, moved)

    def _judged(self, head: TestEntry, base: TestEntry, change: Change) -> TestEntry:
        head_j = statistics.median(head.samples_j)
        # Against a history the base is the runs' geometric mean, which the ratio is to.
        history = change.method == "history"
        base_j = head_j / change.ratio if history else statistics.median(base.samples_j)
        # A per-test thread limit (a budget entry's `threads:`) can differ where the
        # session's default does not.
        comparable = self.comparable and base.threads == head.threads
        figures = BaselineFigures(
            base_j,
            base.samples_j,
            change.ratio,
            change.p_value,
            change.method,
            comparable,
            detectable=change.detectable,
        )
        if head.verdict == "over-budget":  # the budget's failure names its source: keep it
            return replace(head, baseline=figures)
        judged = replace(head, verdict=change.verdict, baseline=figures)
        message = verdict_line(judged) or change.verdict
        if change.p_value is None and change.note:  # why there is no test: said once, here
            message = f"{message} ({change.note})"
        if not (comparable or self.gate_incomparable) and change.verdict in GATING:
            message = f"{message}; {_not_gated(self.comparable, base, head)}"
        # An acceptance the head run recorded (its config's accept list) holds only while the
        # verdict is still a regression.
        kept = head.accepted and change.verdict == "regressed"
        return replace(
            judged,
            message=message,
            accepted=kept,
            accepted_reason=head.accepted_reason if kept else None,
        )

    def _warn(self, text: str) -> None:
        self.warnings.append(text)


def _not_gated(session_comparable: bool, base: TestEntry, head: TestEntry) -> str:
    if session_comparable:
        return (
            f"thread limit differs ({_limit(base.threads)} vs {_limit(head.threads)}, "
            "base vs head): not gated"
        )
    return NOT_GATED


def _new(head: TestEntry, message: str | None) -> TestEntry:
    if head.verdict == "over-budget":
        return head
    return replace(head, verdict="new", message=message or "baseline has no samples of this test")


def disjoint_warning(base: Report, head: Report) -> tuple[str, ...]:
    """A baseline that shares no test id with head compares nothing: every test reads "new"
    and "missing" and the gate can never fire. Say so, with an id from each side, because the
    cause is nearly always a changed rootdir or a renamed test folder."""
    if not base.tests or not head.tests or base.by_nodeid().keys() & head.by_nodeid().keys():
        return ()
    return (
        f"the baseline matches none of this run's {len(head.tests)} "
        f"{'test' if len(head.tests) == 1 else 'tests'} (baseline id "
        f"{base.tests[0].nodeid!r}, this run's {head.tests[0].nodeid!r}); were they run from "
        "another rootdir? Nothing was compared",
    )


def missing_entries(base: Report, head: Report) -> tuple[TestEntry, ...]:
    """Base tests that did not run in head. They keep the base energy (the renderers show it
    in the base column) but no samples, so they cannot pass for a measurement later."""
    ran = head.by_nodeid()
    return tuple(
        replace(
            entry,
            outcome="not-run",
            samples_j=(),
            ci_j=None,
            verdict="missing",
            baseline=None,
            message="in the baseline but did not run in this report",
        )
        for entry in base.tests
        if entry.nodeid not in ran
    )


# --- messages -------------------------------------------------------------------------------


def noise_reason(entry: TestEntry) -> str:
    """'25% between-session noise, meter default (cputime), 5 runs a side'."""
    noise = entry.session_noise * 100
    shown = f"{noise:.0f}%" if noise >= 10 else f"{noise:.1f}%"
    if entry.noise_source.startswith("history"):
        return f"{shown} between-session noise, from its {entry.noise_source}"
    runs = f"{count(len(entry.samples_j), 'run')} a side"
    return f"{shown} between-session noise, {entry.noise_source}, {runs}"


def percent_change(ratio: float) -> str:
    """'+23%' for big changes, '+1.2%' where whole percent would round small ones to nothing."""
    return change_text(ratio)
