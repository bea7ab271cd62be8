"""Reports for the scenarios to post: entries as compare.py leaves them, with fixed figures.

Plain data, no HTTP; the markdown and HTML tests use them too, through ``github_double``.
"""

from __future__ import annotations

from pytest_greenbudget.report.model import (
    BaselineFigures,
    Budget,
    CarbonSettings,
    Component,
    ComponentMeter,
    Environment,
    Report,
    TestEntry,
)

JITTER = (0.99, 1.0, 1.01, 0.995, 1.005)  # median 1: a test's energy is its median


def entry(
    nodeid: str,
    energy: float | None = 1.0,
    *,
    verdict: str | None = "ok",
    base: float | None = None,
    p_value: float | None = 0.001,
    budget: float | None = None,
    message: str | None = None,
    comparable: bool = True,
) -> TestEntry:
    """A test entry as compare.py leaves it: verdict and baseline figures filled in."""
    baseline = None
    if base is not None and energy is not None:
        method = "welch" if p_value is not None else "ratio-only"
        samples = tuple(base * f for f in JITTER)
        baseline = BaselineFigures(base, samples, energy / base, p_value, method, comparable)
    return TestEntry(
        nodeid=nodeid,
        outcome="passed",
        energy_j=energy,
        samples_j=tuple(energy * f for f in JITTER) if energy is not None else (),
        components={"cpu": Component(energy or 0.0, "estimated", "cputime")},
        carbon_g=None if energy is None else energy / 3.6e6 * 56.0,
        budget=Budget("greenbudget.yaml:3", energy_j=budget) if budget else None,
        budget_used=energy / budget if budget and energy is not None else None,
        verdict=verdict,
        message=message,
        baseline=baseline,
    )


def report(*tests: TestEntry) -> Report:
    meters = {"cpu": ComponentMeter("cputime", "estimated", "RAPL unreadable: not root")}
    return Report(
        created_utc="2024-05-01T12:00:00Z",
        environment=Environment(cpu_model="AMD EPYC 7763", cpu_count=4, meters=meters),
        carbon=CarbonSettings(56.0, "codecarbon global_energy_mix.json", 1.2, "FRA"),
        tests=tests,
    )
