"""The terminal summary: one row per measured test. Pure: returns lines, prints nothing.

Figures are worded by the shared view model (``view.py``), as in the PR comment."""

from __future__ import annotations

from ..compare import percent_change
from ..results import Report, TestEntry
from ..stats import Summary, repeats_needed
from ..units import format_carbon, format_energy
from .view import budget_text, meters, significance, spread, totals

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
    return ", ".join(kinds) or "-"


def _energy(entry: TestEntry) -> str:
    if entry.energy_j is None:
        return "not measured"
    text = format_energy(entry.energy_j)
    if entry.energy_per_unit_j is not None and entry.work is not None:
        text += f" ({format_energy(entry.energy_per_unit_j)}/{entry.work.unit})"
    return text


def _vs_base(entry: TestEntry) -> str:
    if entry.baseline is None:
        return "-"
    return f"{percent_change(entry.baseline.ratio)} ({significance(entry)})"


def row(entry: TestEntry) -> tuple[str, ...]:
    used = f"{entry.budget_used * 100:.0f}%" if entry.budget_used is not None else "-"
    carbon = format_carbon(entry.carbon_g) if entry.carbon_g is not None else "-"
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


def repeats_advice(entry: TestEntry) -> str | None:
    """A line when the runs are too noisy for their number to detect a real change."""
    if len(entry.samples_j) < 2 or entry.tolerance <= 0:
        return None
    spread = Summary.from_samples(entry.samples_j).cv
    need = repeats_needed(spread, entry.tolerance)
    if need is not None and need <= len(entry.samples_j):
        return None
    change = f"{2 * entry.tolerance * 100:.0f}%"
    advice = f"repeats: {need}" if need else "a longer measured window (over 50 repeats needed)"
    return (
        f"{entry.nodeid}: runs vary by ±{spread * 100:.1f}%, too much for "
        f"{len(entry.samples_j)} runs to catch a {change} change; use {advice}"
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
    lines.extend(a for a in map(repeats_advice, entries) if a)
    return lines
