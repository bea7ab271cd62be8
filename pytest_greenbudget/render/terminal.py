"""The terminal summary: one row per measured test, in pytest's width. Pure: returns lines.

Read in five seconds: the headline, the table (energy, the runs it is the median of, their
spread, budget use naming its budget, verdict, and a change only when there is a base), a
legend for the columns that need one, one line per comparison a reader must look at, then one
line each for totals, meter and carbon. What takes longer to read (meter reasons, each test's
total, components, carbon, every comparison's line) waits for ``-v``. Figures are worded by
the shared view model, as in the PR comment and the HTML page. Nothing is wider than the
terminal: ids are shortened in the middle (file and test name kept), other lines wrap.
"""

from __future__ import annotations

import textwrap

from ..gate.compare import noise_reason, percent_change
from ..gate.lines import verdict_line
from ..gate.repeats import repeats_needed
from ..gate.stats import Summary
from ..report.model import Report, TestEntry
from ..settings.carbon import is_fallback
from ..units import format_carbon, format_energy
from .view import NONE, Row, budget_text, build_view, component_split
from .view import machine as describe_machine
from .wording import (
    elide_shared,
    gate_rule,
    incomplete_banner,
    noise_floor,
    not_run_line,
    paired_base,
    session_floor,
    short_id,
    side_by_side,
    spread_of,
    test_notes,
    tests_word,
    unaffected_line,
    verdict_lines,
)

WIDTH = 80  # pytest's own width when it cannot tell (CI logs are not terminals)
ID_MIN = 30  # below this the id column would say too little: narrower columns go first
HEADER = ("test", "energy", "runs", "spread", "budget used", "verdict")
BASE_HEADER = ("vs base",)
DROPPABLE = ("spread", "runs")  # in this order, when the terminal is too narrow for them
LEGEND = {
    "energy": "energy: median run",
    "spread": "spread: CV of the runs",
    "budget used": "budget used: share of its budget",
}


def _vs_base(entry: TestEntry) -> str:
    if entry.baseline is None or entry.verdict == "missing":
        return NONE
    return percent_change(entry.baseline.ratio)


def row(entry: TestEntry, shown: Row, with_base: bool) -> tuple[str, ...]:
    runs = str(shown.runs) if shown.runs else NONE
    cells = (entry.nodeid, shown.head, runs, shown.spread, shown.budget_use, shown.label)
    return (*cells, _vs_base(entry)) if with_base else cells


def table(rows: list[tuple[str, ...]], width: int = WIDTH) -> list[str]:
    """Columns padded to their widest cell, in ``width``: test ids shortened in the middle
    (the full ids are in ``-v`` and the report); below ``ID_MIN`` characters for the ids, the
    spread and then the runs column give way."""
    need = min(max(len(r[0]) for r in rows), ID_MIN)
    for name in DROPPABLE:
        if _id_room(rows, width) >= need or name not in rows[0]:
            continue
        gone = rows[0].index(name)
        rows = [r[:gone] + r[gone + 1 :] for r in rows]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    if widths[0] > _id_room(rows, width):
        widths[0] = max(_id_room(rows, width), ID_MIN // 2)
        rows = [rows[0], *_short_ids(rows[1:], widths[0])]
    numeric = {rows[0].index("runs")} if "runs" in rows[0] else set()  # right-aligned
    lines = [
        "  ".join(
            cell.rjust(w) if i in numeric else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(r, widths, strict=True))
        ).rstrip()
        for r in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return lines


def _short_ids(rows: list[tuple[str, ...]], width: int) -> list[tuple[str, ...]]:
    """Each row with its id in ``width``: file and test name where they fit; where a test
    name itself would be cut, the start all ids share gives way first (wording.elide_shared)."""
    ids = [r[0] for r in rows]
    shown = [short_id(i, width) for i in ids]
    if any(i.rpartition("::")[2] not in s for i, s in zip(ids, shown, strict=True)):
        shown = [short_id(i, width) for i in elide_shared(ids)]
    return [(s, *r[1:]) for s, r in zip(shown, rows, strict=True)]


def _id_room(rows: list[tuple[str, ...]], width: int) -> int:
    """Characters left for the ids once every other column has its widest cell."""
    others = [max(len(r[i]) for r in rows) for i in range(1, len(rows[0]))]
    return width - sum(others) - 2 * len(others)


PAIRED_RUNS = "runs: the head's, each beside one of the base's"


def legend(header: str, paired: bool = False) -> str:
    """The legend of the columns the table kept; ``paired``: some runs were measured in
    pairs, and the runs column counts the head's (a pair once), which it then says."""
    words = [words for name, words in LEGEND.items() if name in header]
    if paired and "runs" in header:
        words.insert(1, PAIRED_RUNS)
    return " · ".join(words)


def noise_advice(entries: list[TestEntry]) -> str | None:
    """One line when the noise between sessions, not the repeats, limits what the gate against
    a stored baseline could see. It names that gate: on a plain run, where nothing was compared,
    "the gate sees changes above +251%" read to a newcomer as a fault of the run itself."""
    limited = [e for e in entries if session_floor(e.session_noise) > 2 * e.tolerance]
    if not limited:
        return None
    noise = spread_of([e.session_noise for e in limited], "{:.0%}".format)
    floor = spread_of([noise_floor(e) for e in limited], lambda f: percent_change(1 + f), " to ")
    twice = spread_of([2 * e.tolerance for e in limited], "{:.0%}".format)
    return (
        f"against a stored baseline, {tests_word(len(limited))} could flag only changes above "
        f"{floor}, not {twice}, with {noise} noise between sessions: measure yours with "
        "`greenbudget noise` and set session_noise, or gate side by side with "
        "--greenbudget-against"
    )


def repeats_advice(entry: TestEntry) -> str | None:
    """A line when a test's runs are too noisy for their number to catch a change of twice
    the tolerance (and the session noise is not the limit anyway)."""
    change = 2 * entry.tolerance
    if len(entry.samples_j) < 2 or change <= 0 or session_floor(entry.session_noise) > change:
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


def summary_lines(
    report: Report, *, verbose: bool = False, noise_measured: bool = False, width: int = WIDTH
) -> list[str]:
    """The headline, the table, its legend, each comparison a reader must look at, then
    totals, meter and carbon lines; details under ``verbose``. No line is wider than ``width``.

    ``noise_measured``: the user set session_noise, so advice to measure it would be noise."""
    view = build_view(report)
    entries = report.by_nodeid()
    with_base = any(t.baseline is not None for t in report.tests)
    header = HEADER + BASE_HEADER if with_base else HEADER
    shown = view.flagged + view.rest
    # Nothing measured (every budgeted test unaffected, say): no empty table, no zero totals.
    grid = table([header, *(row(entries[r.nodeid], r, with_base) for r in shown)], width)
    grid = grid if shown else []
    ordered = [entries[r.nodeid] for r in shown]
    lines = [
        legend(grid[0], paired_base(report.tests) is not None) if grid else "",
        *verdict_lines(ordered, every=verbose),
        *(f"{r.nodeid}: {r.detail}" for r in shown if r.status == "accepted" and r.detail),
        _totals_line(view.totals),
        *_meter_lines(report, verbose),
        _carbon_line(report, verbose) if view.totals else "",
    ]
    paired = side_by_side(report.tests) or ""
    if any(note.startswith(paired) for note in report.environment.notes):
        paired = ""  # the run's own note says it, with the rounds and their time
    lines += [paired, *unaffected_line(report), *not_run_line(report)]
    lines += [gate_rule(report.tests) or ""]
    lines += test_notes(report.tests)
    if verbose:
        lines += [line for test in ordered for line in test_details(test)]
    lines += report.environment.notes
    lines += _advice(report, noise_measured)
    banner = _wrap(incomplete_banner(report) or "", width)
    top = _wrap(view.headline, width)
    return banner + top + grid + [w for line in lines if line for w in _wrap(line, width)]


def _advice(report: Report, noise_measured: bool) -> list[str]:
    """Advice for the unpaired gate only: a paired comparison adds pairs where it needs them
    and has no session noise to measure. The noise advice only where a stored baseline was
    compared with: on a plain run two newcomers asked which baseline it meant, and after a
    failed --greenbudget-against it recommended the flag just tried."""
    if side_by_side(report.tests) is not None:
        return []
    measured = [e for e in report.tests if e.samples_j]
    stored = any(e.baseline is not None or e.verdict in ("new", "missing") for e in report.tests)
    noise = None if noise_measured or not stored else noise_advice(measured)
    return [a for a in (noise, *map(repeats_advice, measured)) if a]


def _totals_line(sums: tuple[tuple[str, str], ...]) -> str:
    """The totals (view.totals) in one line; '' when nothing was measured: no zero totals."""
    figures = dict(sums)
    if not figures:
        return ""
    text = f"total: {tests_word(int(figures['Tests measured']))}, {figures['Energy (medians)']}"
    if "Change (same tests)" in figures:
        text += f"; {figures['Change (same tests)']} vs base on the same tests"
        text += f" ({figures['Base -> head (same tests)']})"
    return text


def _meter_lines(report: Report, verbose: bool) -> list[str]:
    meters = report.environment.meters
    if not meters:
        return [f"meter: {report.environment.meter}"] if report.environment.meter else []
    parts = [f"{name} {m.meter} ({m.provenance})" for name, m in sorted(meters.items())]
    reasons = any(m.reason for m in meters.values())
    line = "meter: " + ", ".join(parts) + ("; -v says why" if reasons and not verbose else "")
    env = report.environment
    machine = [f"machine: {describe_machine(env)}"] if env.cpu_model else []
    if not verbose:  # workers and thread limits change the figures: said without -v too
        return [line, *machine] if env.workers or env.threads else [line]
    why = [f"  {name}: {m.reason}" for name, m in sorted(meters.items()) if m.reason]
    return [line, *why, *machine]


def _carbon_line(report: Report, verbose: bool) -> str:
    carbon = report.carbon
    where = f" ({carbon.region})" if carbon.region else ""
    grams = sum(t.carbon_g or 0.0 for t in report.tests if t.verdict != "missing")
    line = f"carbon: {format_carbon(grams)} at {carbon.intensity_g_per_kwh:g} gCO2e/kWh{where}"
    line += f", PUE {carbon.pue:g}"
    fallback = is_fallback(carbon)  # the region asked for was not usable
    return line + (
        f"; intensity: {carbon.source}" if carbon.source and (verbose or fallback) else ""
    )


def test_details(entry: TestEntry) -> list[str]:
    """``-v``: what the row leaves out, one indented line per fact."""
    facts = []
    if entry.energy_j is not None:
        total = f"total {format_energy(entry.energy_j)}"
        if len(entry.samples_j) > 1:
            total += f", runs {format_energy(min(entry.samples_j))}"
            total += f"..{format_energy(max(entry.samples_j))}"
        facts.append(total)
    if entry.budget is not None:
        facts.append(f"budget {budget_text(entry.budget)} from {entry.budget.source}")
    for name, joules, part in component_split(entry):  # shares of the total: they add up
        facts.append(f"{name} {format_energy(joules)} {part.meter} ({part.provenance})")
    if entry.carbon_g is not None:
        facts.append(f"carbon {format_carbon(entry.carbon_g)}")
    lines = [f"{entry.nodeid}: " + "; ".join(facts)] if facts else []
    if entry.message and not verdict_line(entry):  # a comparison's line is said above
        lines.append(f"  {entry.message}")
    if entry.baseline is not None and entry.baseline.mode != "paired":
        lines.append(f"  compared allowing {noise_reason(entry)}")
    if entry.profile_diff is not None and entry.profile_diff.functions:
        from .profile import YOURS, heading, your_lines
        from .profile import lines as profile_lines

        lines.append(f"  {heading(entry.profile_diff, 10)}:")
        lines += [f"    {line}" for line in profile_lines(entry.profile_diff, 10)]
        if entry.profile_diff.your_code:
            lines += [f"  {YOURS}:", *(f"    {line}" for line in your_lines(entry.profile_diff))]
    return lines


def _wrap(line: str, width: int) -> list[str]:
    if not line:
        return []
    if len(line) <= width:
        return [line]
    return textwrap.wrap(line, max(width, 20), subsequent_indent="    ", break_on_hyphens=False)
