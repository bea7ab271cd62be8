"""The HTML report's four charts, one function each, returning inline SVG ("" if empty).

Each takes the view's rows paired with their report entries: the words (budget, change,
evidence, verdict label) come from view.py, the entries give only the raw figures to
place. Colour is never the only signal: a bar over budget or a regression also carries "▲"
and its verdict in words, an improvement "▼", an estimated component a hatch.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..report.model import TestEntry
from ..units import format_energy, format_percent
from .html_svg import (
    ROW,
    TOP,
    Scale,
    dot,
    finite,
    line,
    mid,
    overflow,
    rect,
    row_group,
    svg,
    text,
    tick_values,
    ticks,
    top,
)
from .view import Row, change_fraction, component_split, spread

Item = tuple[Row, TestEntry]
BUDGET_CAP = 2.0  # bars past 200% of budget are cut, so the rest stay readable
CHANGE_CAP = 1.0  # likewise changes past ±100%
SAMPLES_CAP = 1.0
# Beside a change: the verdict about that change only. An over-budget test whose energy fell
# is not marked ▲ next to its -0.7%: the budget chart says it is over.
MARKS = {"regressed": "▲ ", "improved": "▼ ", "inconclusive": "? "}
CHANGE_VERDICTS = ("regressed", "improved", "unchanged", "inconclusive")
UNSURE = (  # inconclusive bars: grey stripes, so they are not read as "unchanged"
    '<defs><pattern id="gb-unsure" width="4" height="4" patternUnits="userSpaceOnUse" '
    'patternTransform="rotate(45)"><rect class="unsure-stripe" width="2" height="4"/></pattern>'
    "</defs>"
)
HATCH = (
    '<defs><pattern id="gb-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
    'patternTransform="rotate(45)"><rect class="hatch" width="2" height="6"/></pattern></defs>'
)


def _signed(value: float) -> str:
    return "0%" if abs(value) < 1e-9 else f"{value * 100:+.0f}%"


def _joules(value: float) -> str:
    return format_energy(value) if value else "0"


def _caption(rows: int, x: float, words: str) -> str:
    return text(x, top(rows) + 15, words, "tick", anchor="middle")


# --- energy against budget ----------------------------------------------------------------


def budget_chart(items: Sequence[Item]) -> str:
    """Share of budget per test, largest first, against a line at 100%."""
    drawn = [
        (row, used)
        for row, test in items
        if test.verdict != "missing" and (used := finite(test.budget_used)) is not None
    ]
    if not drawn:
        return ""
    drawn.sort(key=lambda pair: -pair[1])
    scale = Scale(0.0, min(max(1.0, drawn[0][1]) * 1.08, BUDGET_CAP))
    n = len(drawn)
    body = [
        ticks(scale, tick_values(0.0, scale.hi), format_percent, n),
        *(_budget_row(i, row, used, scale) for i, (row, used) in enumerate(drawn)),
        line(scale.x(1.0), TOP - 6, top(n) + 4, "limit"),
        _caption(n, scale.x(1.0), "budget"),
    ]
    return svg("Energy as a share of each test's budget", n, body)


def _budget_row(i: int, row: Row, used: float, scale: Scale) -> str:
    over = row.verdict == "over-budget"
    value = f"{'▲ ' if over else ''}{row.budget_share}"  # names the budget, as everywhere
    marks = [rect(scale.x(0.0), scale.x(used), top(i) + 6, ROW - 12, "bar bad" if over else "bar")]
    if scale.outside(used):
        marks.append(overflow(i))
    return row_group(i, row.nodeid, f"{row.label}, {row.head} measured, {value}", marks, value)


# --- change against the base branch -------------------------------------------------------


def change_chart(items: Sequence[Item]) -> str:
    """Head vs base per test, diverging around 0%, with each test's tolerance shaded."""
    drawn = [
        (row, test, change)
        for row, test in items
        if (change := finite(change_fraction(test))) is not None
    ]
    if not drawn:
        return ""
    drawn.sort(key=lambda d: -d[2])
    widest = max(0.1, *(abs(d[2]) for d in drawn), *(d[1].tolerance for d in drawn))
    reach = min(widest * 1.1, CHANGE_CAP)
    scale = Scale(-reach, reach)
    n = len(drawn)
    body = [
        ticks(scale, tick_values(-reach, reach), _signed, n),
        *(_change_row(i, row, test, change, scale) for i, (row, test, change) in enumerate(drawn)),
        line(scale.x(0.0), TOP - 6, top(n) + 4, "zero"),
        _caption(n, scale.x(0.0), "no change"),
    ]
    regressed = [i for i, (row, _, _) in enumerate(drawn) if row.verdict == "regressed"]
    title = "Energy change per test against the base branch"
    return svg(title, n, body, highlight=regressed, defs=UNSURE)


def _change_row(i: int, row: Row, test: TestEntry, change: float, scale: Scale) -> str:
    tolerance = test.tolerance
    cls = {"regressed": "bar bad", "improved": "bar better", "inconclusive": "bar unsure"}.get(
        row.verdict, "bar neutral"
    )
    if test.baseline is not None and not test.baseline.comparable:
        cls += " incomparable"
    value = f"{MARKS.get(row.verdict, '')}{row.change}"  # the change and its figures
    marks = [
        rect(scale.x(-tolerance), scale.x(tolerance), top(i) + 3, ROW - 6, "band"),
        rect(scale.x(0.0), scale.x(change), top(i) + 7, ROW - 14, cls),
    ]
    if scale.outside(change):
        marks.append(overflow(i))
    said = row.detail or f"{row.change}, {row.evidence} ({row.label})"
    tip = f"{said}; tolerance {format_percent(tolerance)}"
    return row_group(i, row.nodeid, tip, marks, value)


# --- the samples of each test -------------------------------------------------------------


def samples_chart(items: Sequence[Item]) -> str:
    """Every run of every test, relative to its own median, so noise compares across tests."""
    drawn = [
        (row, test, median)
        for row, test in items
        if test.verdict != "missing"
        and (median := finite(test.energy_j))
        and median > 0
        and test.samples_j
        and _points(test)
    ]
    if not drawn:
        return ""
    widest = max(0.05, *(abs(v / m - 1.0) for _, t, m in drawn for v in _points(t)))
    reach = min(widest * 1.15, SAMPLES_CAP)
    scale = Scale(-reach, reach)
    n = len(drawn)
    body = [
        ticks(scale, tick_values(-reach, reach), _signed, n),
        line(scale.x(0.0), TOP - 6, top(n) + 4, "zero"),
        *(_samples_row(i, row, test, median, scale) for i, (row, test, median) in enumerate(drawn)),
        _caption(n, scale.x(0.0), "median of the runs"),
    ]
    return svg("Each measured run, relative to the test's median", n, body)


def _points(test: TestEntry) -> list[float]:
    """Every figure the strip places; empty when any is not a finite, non-negative number."""
    base = test.baseline.samples_j if test.baseline is not None else ()
    points = [*test.samples_j, *(test.ci_j or ()), *base]
    ok = all(finite(v) is not None and v >= 0 for v in points)
    return points if ok else []


def _samples_row(i: int, row: Row, test: TestEntry, median: float, scale: Scale) -> str:
    base = test.baseline.samples_j if test.baseline is not None else ()
    head_y = mid(i) + (4 if base else 0)  # with a baseline, base runs sit just above
    marks = []
    if test.ci_j is not None:
        low, high = (v / median - 1.0 for v in test.ci_j)
        ci_tip = f"95% CI {format_energy(test.ci_j[0])} to {format_energy(test.ci_j[1])}"
        marks.append(rect(scale.x(low), scale.x(high), head_y - 3, 6, "ci", ci_tip))
    marks += [
        dot(scale, v / median - 1.0, mid(i) - 6, "dot base", f"base run: {format_energy(v)}")
        for v in base
    ]
    marks += [
        dot(scale, v / median - 1.0, head_y, "dot head", f"run: {format_energy(v)}")
        for v in test.samples_j
    ]
    value = f"{row.head} · {spread(test)} · n={len(test.samples_j)}"  # the median, as the axis says
    return row_group(i, row.nodeid, value, marks, value)


# --- components ---------------------------------------------------------------------------


def component_names(items: Sequence[Item]) -> list[str]:
    """Components in a fixed order, so a colour means the same part in legend and bars."""
    return sorted({name for _, test in items for name in test.components})


def components_chart(items: Sequence[Item]) -> str:
    """Each test's energy split by component (cpu, dram, gpu:N), on one scale in joules."""
    names = component_names(items)
    drawn = [
        (row, test, total)
        for row, test in items
        if test.verdict != "missing" and (total := _total(test)) > 0
    ]
    if not drawn:
        return ""
    drawn.sort(key=lambda d: -d[2])
    scale = Scale(0.0, drawn[0][2] * 1.04)
    n = len(drawn)
    body = [
        ticks(scale, tick_values(0.0, scale.hi), _joules, n),
        *(_stack_row(i, row, t, total, names, scale) for i, (row, t, total) in enumerate(drawn)),
    ]
    return svg("Energy per test, stacked by component", n, body, defs=HATCH)


def _total(test: TestEntry) -> float:
    """The test's median energy, which its parts are drawn as shares of; 0 (not drawn) when a
    part is not a finite, non-negative number."""
    values = [c.energy_j for c in test.components.values()]
    if not values or not all(finite(v) is not None and v >= 0 for v in values):
        return 0.0
    return sum(joules for _, joules, _ in component_split(test))


def _stack_row(
    i: int, row: Row, test: TestEntry, total: float, names: list[str], scale: Scale
) -> str:
    marks, start = [], 0.0
    split = {name: (joules, part) for name, joules, part in component_split(test)}
    for index, name in enumerate(names):
        if name not in split:
            continue
        joules, part = split[name]
        x0, x1 = scale.x(start), scale.x(start + joules)
        tip = f"{name}: {format_energy(joules)}, {part.provenance} by {part.meter}"
        y = top(i) + 6
        marks.append(rect(x0, x1, y, ROW - 12, f"seg c{index % 6}", tip))
        if part.provenance != "measured":
            marks.append(rect(x0, x1, y, ROW - 12, "hatched", tip))
        start += joules
    value = format_energy(total)
    if len(split) > 1:  # the largest part; the others are in the tooltips
        name, (joules, _) = max(split.items(), key=lambda kv: kv[1][0])
        value += f" · {name} {format_percent(joules / total)}"
    return row_group(i, row.nodeid, value, marks, value)
