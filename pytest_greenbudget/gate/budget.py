"""Measured runs + plan -> one report entry with its budget verdict. Pure: no pytest.

The budget is held against the median of the measured runs, so one noisy run neither fails
nor rescues a test. Per-unit budgets divide each run by the units that run declared.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ..measure import threads as threads_mod
from ..measure.probe import RunSample
from ..meters.base import Reading
from ..report.model import Budget, CarbonSettings, Component, TestEntry, Work
from ..settings import carbon as carbon_mod
from ..settings.plans import BudgetSpec, Plan
from ..units import format_carbon, format_energy
from .noise import meter_noise
from .stats import Summary


@dataclass(frozen=True)
class Figures:
    """Medians of the measured runs, in the budget's own terms."""

    energy_j: float
    per_unit_j: float | None
    carbon_g: float
    work: Work | None


def median_reading(samples: list[RunSample]) -> Reading:
    """Components, wall and CPU time of the median run (each component by its own median).
    The lower median throughout, so that with an even count the CPU seconds shown belong to
    the same run as the energy (a mean of two runs read 17 ms beside 10 ms x 3.5 W)."""
    names = {n for s in samples for n in s.reading.components}
    comps = {}
    for name in sorted(names):
        values = [s.reading.components[name] for s in samples if name in s.reading.components]
        middle = statistics.median_low([v.energy_j for v in values])
        comps[name] = next(v for v in values if v.energy_j == middle)
    wall = statistics.median_low(s.reading.wall_s for s in samples)
    return Reading(comps, wall, statistics.median_low(s.reading.cpu_s for s in samples))


def work_problem(samples: list[RunSample], per: str | None) -> str | None:
    """Why a per-unit budget cannot be judged, or None when every run declared its units."""
    if per is None:
        return None
    for sample in samples:
        if sample.work is None:
            return (
                f"the budget is per {per!r} but the test never called "
                f"greenbudget.work(n, {per!r}) in a measured run"
            )
        if sample.work.unit != per:
            return (
                f"the budget is per {per!r} but the test declared work in "
                f"{sample.work.unit!r}; call greenbudget.work(n, {per!r})"
            )
    return None


def figures(samples: list[RunSample], settings: CarbonSettings) -> Figures:
    energies = [s.reading.energy_j for s in samples]
    energy = statistics.median(energies)
    per_unit = None
    work = samples[-1].work
    if all(s.work for s in samples):
        per_unit = statistics.median(s.reading.energy_j / s.work.units for s in samples if s.work)
    return Figures(energy, per_unit, carbon_mod.grams(energy, settings), work)


def verdict(
    fig: Figures, spec: BudgetSpec | None, settings: CarbonSettings
) -> tuple[str, str | None, float | None]:
    """('ok' | 'over-budget', message, used fraction) against the budget."""
    if spec is None:
        return "ok", None, None
    checks = _checks(fig, spec, settings)
    unjudged = _unjudged_carbon(spec, settings)
    if not checks:  # a carbon budget alone, which this run's intensity cannot judge
        return "ok", unjudged, None
    used = max(measured / limit for _, measured, limit, _ in checks)
    for quantity, measured, limit, fmt in checks:
        if measured > limit:
            msg = f"{quantity} budget exceeded: {fmt(measured)} > {fmt(limit)} ({spec.source})"
            return "over-budget", "; ".join(filter(None, (msg, unjudged))), used
    return "ok", unjudged, used


def _unjudged_carbon(spec: BudgetSpec, settings: CarbonSettings) -> str | None:
    """Why a carbon budget is not enforced: the region's intensity could not be read, and
    the world average it fell back to is not that region's (France's is 8x lower), so the
    budget would fail or pass for the wrong reason. Energy budgets still are."""
    if spec.carbon_g is None or not carbon_mod.is_fallback(settings):
        return None
    return f"carbon budget not enforced: {settings.source}"


def _checks(
    fig: Figures, spec: BudgetSpec, settings: CarbonSettings
) -> list[tuple[str, float, float, _Fmt]]:
    energy = fig.energy_j if spec.per is None else (fig.per_unit_j or 0.0)
    suffix = f"/{spec.per}" if spec.per else ""
    checks = []
    if spec.energy_j is not None:
        checks.append(("energy", energy, spec.energy_j, _fmt(format_energy, suffix)))
    if spec.carbon_g is not None and not carbon_mod.is_fallback(settings):
        grams = carbon_mod.grams(energy, settings)
        checks.append(("carbon", grams, spec.carbon_g, _fmt(format_carbon, suffix)))
    return checks


_Fmt = Callable[[float], str]


def _fmt(base: _Fmt, suffix: str) -> _Fmt:
    return lambda value: f"{base(value)}{suffix}"


def build_entry(
    nodeid: str, plan: Plan, samples: list[RunSample], settings: CarbonSettings,
    steady: list[RunSample] | None = None,
) -> TestEntry:  # fmt: skip
    """``steady``: the runs the thread-pool advice reads, when not all of them (the paired
    gate's cold first runs)."""
    spec = plan.budget
    problem = work_problem(samples, spec.per if spec else None)
    fig = figures(samples, settings)
    status: str
    message: str | None
    used: float | None
    if problem:
        status, message, used = "over-budget", problem, None
    else:
        status, message, used = verdict(fig, spec, settings)
    middle = median_reading(samples)
    tie = meter_mismatch(spec, middle)
    if tie and not problem:
        status, message = "ok", f"{message}; {tie}" if message else tie
    components = {
        n: Component(c.energy_j, c.provenance, c.meter, c.note, c.processes)
        for n, c in middle.components.items()
    }
    noise, source = session_noise(plan, components, middle.cpu_s, middle.wall_s)
    return TestEntry(
        nodeid=nodeid,
        outcome="failed" if status == "over-budget" else "passed",
        energy_j=fig.energy_j,
        samples_j=tuple(s.reading.energy_j for s in samples),
        ci_j=Summary.from_samples([s.reading.energy_j for s in samples]).ci,
        wall_s=middle.wall_s,
        cpu_s=middle.cpu_s,
        components=components,
        work=fig.work,
        energy_per_unit_j=fig.per_unit_j,
        carbon_g=fig.carbon_g,
        budget=_budget(spec),
        budget_used=used,
        verdict=status,
        message=message,
        repeats=plan.repeats,
        warmup=plan.warmup,
        tolerance=plan.tolerance,
        session_noise=noise,
        noise_source=source,
        threads=plan.threads,
        notes=_notes(steady or samples, plan) + ((tie,) if tie else ()),
    )


def session_noise(
    plan: Plan, components: Mapping[str, Component], cpu_s: float, wall_s: float
) -> tuple[float, str]:
    """The user's setting, or the default of the meters that measured this test."""
    if plan.session_noise is not None:
        return plan.session_noise, "setting"
    return meter_noise(components, cpu_s, wall_s)


def meters_of(reading: Reading) -> str:
    """The meters behind a figure, as a budget's ``meter:`` names them: 'cputime',
    'rapl+nvml' (sorted, joined by '+')."""
    return "+".join(sorted({c.meter for c in reading.components.values()}))


def meter_mismatch(spec: BudgetSpec | None, reading: Reading) -> str | None:
    """Why the budget is not enforced, when it was set with other meters than measured now.

    Meters disagree by large factors on the same work (codecarbon read about 8x the CPU-time
    model on scikit-learn tests), so a budget is held only against the meters it assumed;
    like a baseline from another meter, the figure is reported, not judged."""
    if spec is None or spec.meter is None or not reading.components:
        return None
    wanted = "+".join(sorted(spec.meter.split("+")))
    got = meters_of(reading)
    if wanted == got:
        return None
    return (
        f"budget set with meter {wanted!r} but measured with {got!r}: not enforced, "
        "the meters' figures are not comparable"
    )


def _notes(samples: list[RunSample], plan: Plan) -> tuple[str, ...]:
    spin = threads_mod.spin_note(
        [s.reading.cpu_s for s in samples],
        [s.reading.wall_s for s in samples],
        [s.reading.energy_j for s in samples],
        plan.threads,
        threads_mod.pool_threads,
    )
    return (spin,) if spin else ()


def _budget(spec: BudgetSpec | None) -> Budget | None:
    if spec is None or not spec.has_budget:
        return None
    return Budget(spec.source, spec.energy_j, spec.carbon_g, spec.per, spec.meter)


def failed_entry(nodeid: str, plan: Plan, outcome: str, reason: str) -> TestEntry:
    """The body raised or skipped: recorded, not judged."""
    return TestEntry(
        nodeid=nodeid,
        outcome=outcome,
        energy_j=None,
        budget=_budget(plan.budget),
        message=reason,
        repeats=plan.repeats,
        warmup=plan.warmup,
        tolerance=plan.tolerance,
        # Nothing was measured: no meter figure to take a default from.
        session_noise=plan.session_noise or 0.0,
        noise_source="setting" if plan.session_noise is not None else "not measured",
        threads=plan.threads,
    )
