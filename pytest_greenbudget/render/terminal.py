"""The terminal summary: one row per measured test. Pure: returns lines, prints nothing.

Figures are worded by the shared view model (``view.py``), as in the PR comment."""

from __future__ import annotations

from ..gate.compare import percent_change
from ..gate.repeats import repeats_needed
from ..gate.stats import Summary, smallest_detectable
from ..results import Report, TestEntry
from ..units import format_carbon, format_energy
from .view import NONE, budget_text, meters, significance, spread, totals

HEADER = (
    "test",
    "energy (median)",
    "spread",
    "budget",
    "used",
    "vs base",
    "verdict",
    "carbon",
    "meter",
)


def _meter(entry: TestEntry) -> str:
    kinds = sorted({f"{c.meter} ({c.provenance})" for c in entry.components.values()})
    return ", ".join(kinds) or NONE


def _energy(entry: TestEntry) -> str:
    if entry.energy_j is None:
        return "not measured"
    text = format_energy(entry.energy_j)
    if entry.energy_per_unit_j is not None and entry.work is not None:
        text += f" ({format_energy(entry.energy_per_unit_j)}/{entry.work.unit})"
    return text


def _vs_base(entry: TestEntry) -> str:
    if entry.baseline is None:
        return NONE
    return f"{percent_change(entry.baseline.ratio)} ({significance(entry)})"


def row(entry: TestEntry) -> tuple[str, ...]:
    used = f"{entry.budget_used * 100:.0f}%" if entry.budget_used is not None else NONE
    carbon = format_carbon(entry.carbon_g) if entry.carbon_g is not None else NONE
    verdict = entry.verdict or entry.outcome
    cells = (
        _energy(entry),
        spread(entry),
        budget_text(entry.budget),
        used,
        _vs_base(entry),
        verdict,
    )
    return (entry.nodeid, *cells, carbon, _meter(entry))


def noise_advice(entries: list[TestEntry]) -> str | None:
    """One line when the noise between sessions, not the repeats, limits what the gate sees."""
    limited = [e for e in entries if smallest_detectable(e.session_noise) > 2 * e.tolerance]
    if not limited:
        return None
    noise, tolerance = limited[0].session_noise, limited[0].tolerance
    return (
        f"with {noise * 100:.0f}% session noise the regression gate sees changes above "
        f"{percent_change(1 + smallest_detectable(noise))}, not the {tolerance * 200:.0f}% a "
        f"{tolerance * 100:.0f}% tolerance aims at ({len(limited)} tests); measure this machine "
        "with `greenbudget noise` and lower session_noise"
    )


def repeats_advice(entry: TestEntry) -> str | None:
    """A line when a test's runs are too noisy for their number to catch a change of twice
    the tolerance (and the session noise is not the limit anyway)."""
    change = 2 * entry.tolerance
    if len(entry.samples_j) < 2 or change <= 0 or smallest_detectable(entry.session_noise) > change:
        return None
    spread_cv = Summary.from_samples(entry.samples_j).cv
    need = repeats_needed(spread_cv, entry.tolerance)
    if need is not None and need <= len(entry.samples_j):
        return None
    advice = f"repeats: {need}" if need else "a longer measured window (over 50 repeats needed)"
    return (
        f"{entry.nodeid}: runs vary by ±{spread_cv * 100:.1f}%, too much for "
        f"{len(entry.samples_j)} runs to catch a {change * 100:.0f}% change; use {advice}"
    )


def table(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return lines


def summary_lines(report: Report) -> list[str]:
    """The table, a totals line and the carbon/meter provenance lines."""
    entries = list(report.tests)
    lines = table([HEADER, *(row(e) for e in entries)])
    lines.append(" · ".join(f"{label}: {value}" for label, value in totals(report)))
    lines.extend(meters(report))
    lines.extend(report.environment.notes)
    lines.extend(f"{e.nodeid}: {note}" for e in entries for note in e.notes)
    measured = [e for e in entries if e.samples_j]
    advice = [noise_advice(measured), *map(repeats_advice, measured)]
    lines.extend(a for a in advice if a)
    return lines
