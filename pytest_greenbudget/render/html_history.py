"""The HTML page's history charts: each test's energy per run on main, with change-point markers.

Fed by a baseline history (``greenbudget merge --keep-runs N``): ``runs_j`` holds a test's
median in each kept run, newest first, and ``runs_from`` when and at which commit each run was
made. One small chart per test, oldest run on the left; a dashed line marks the first run of a
new level found by gate/changepoint.py, labelled with the step's ratio, its commit and date.
Marks carry CSS classes only; every text passes through ``esc`` (test ids are untrusted).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..gate.changepoint import Step, change_points
from ..gate.compare import percent_change
from ..report.model import RunOrigin, TestEntry
from ..units import format_energy
from .html_svg import esc, finite

LEFT, RIGHT, TOP, PLOT_H, HEIGHT, WIDTH = 90, 1080, 26, 110, 190, 1100
MIN_RUNS = 2  # one run is no history
XScale = Callable[[int], float]  # a run's index to its pixel
YScale = Callable[[float], float]  # an energy to its pixel

STYLE = """
.history .line { fill: none; stroke: var(--good); stroke-width: 1.5; }
.history .run { fill: var(--good); }
.history .step { stroke: var(--bad); stroke-width: 1.5; stroke-dasharray: 5 3; }
.history text.step-label { fill: var(--bad); font-weight: 600; }
.history .axis { stroke: var(--line); }
"""


def history_charts(tests: Sequence[TestEntry]) -> str:
    """Every test's chart, or "" when no test carries a history of runs."""
    charts = [_chart(t) for t in tests if len(_runs(t)) >= MIN_RUNS]
    return "".join(charts)


def _runs(test: TestEntry) -> list[float]:
    return [v for v in (finite(r) for r in test.runs_j) if v is not None]


def _origins(test: TestEntry) -> list[RunOrigin | None]:
    """Each run's origin, oldest first, None where the report does not say (older files)."""
    given = test.runs_from[: len(test.runs_j)]
    known: list[RunOrigin | None] = [o if o.created_utc else None for o in given]
    known += [None] * (len(test.runs_j) - len(known))
    return known[::-1]


def _chart(test: TestEntry) -> str:
    runs = _runs(test)[::-1]  # oldest first
    origins = _origins(test)
    steps = change_points(runs)
    lo, hi = min(runs), max(runs)
    pad = (hi - lo) * 0.1 or hi * 0.05 or 1e-12
    lo, hi = lo - pad, hi + pad

    def x(i: int) -> float:
        return LEFT + (RIGHT - LEFT) * (i / (len(runs) - 1))

    def y(value: float) -> float:
        return TOP + PLOT_H * (1 - (value - lo) / (hi - lo))

    points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(runs))
    marks = [
        f'<polyline class="line" points="{points}"/>',
        *(
            f'<circle class="run" cx="{x(i):.1f}" cy="{y(v):.1f}" r="3">'
            f"<title>{esc(_run_title(i, v, origins[i]))}</title></circle>"
            for i, v in enumerate(runs)
        ),
        *_axes(lo, hi, y, len(runs), x, origins),
        *(_marker(s, x, origins) for s in steps),
    ]
    label = f"Energy per run of {test.nodeid} on the base branch, oldest first"
    return (
        f'<figure class="history-test"><figcaption><code>{esc(test.nodeid)}</code> · '
        f"{esc(_summary(runs, steps, origins))}</figcaption>"
        f'<svg class="chart history" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{esc(label)}">{"".join(marks)}</svg></figure>'
    )


def _axes(
    lo: float, hi: float, y: YScale, n: int, x: XScale, origins: list[RunOrigin | None]
) -> list[str]:
    parts = [
        f'<line class="axis" x1="{LEFT}" x2="{RIGHT}" y1="{TOP + PLOT_H}" y2="{TOP + PLOT_H}"/>',
        f'<text class="tick" x="{LEFT - 8}" y="{y(hi) + 10:.1f}" text-anchor="end">'
        f"{esc(format_energy(hi))}</text>",
        f'<text class="tick" x="{LEFT - 8}" y="{y(lo):.1f}" text-anchor="end">'
        f"{esc(format_energy(lo))}</text>",
    ]
    every = max(1, round(n / 8))  # about eight labelled runs, whatever the history's length
    for i in range(0, n, every):
        top, bottom = _tick_text(i, origins[i])
        parts.append(
            f'<text class="tick" x="{x(i):.1f}" y="{TOP + PLOT_H + 16}" text-anchor="middle">'
            f"{esc(top)}</text>"
            f'<text class="tick" x="{x(i):.1f}" y="{TOP + PLOT_H + 30}" text-anchor="middle">'
            f"{esc(bottom)}</text>"
        )
    return parts


def _tick_text(i: int, origin: RunOrigin | None) -> tuple[str, str]:
    if origin is None:
        return f"run {i + 1}", ""
    return (origin.commit or f"run {i + 1}")[:7], origin.created_utc[:10]


def _run_title(i: int, value: float, origin: RunOrigin | None) -> str:
    where = f" · {origin.commit or 'commit unknown'} · {origin.created_utc}" if origin else ""
    return f"run {i + 1}: {format_energy(value)}{where}"


def _marker(step: Step, x: XScale, origins: list[RunOrigin | None]) -> str:
    at = (x(step.index - 1) + x(step.index)) / 2  # between the last old run and the first new
    text = f"{percent_change(step.ratio)} {_where(step, origins)}"
    anchor = "end" if at > (LEFT + RIGHT) / 2 else "start"
    shift = -6 if anchor == "end" else 6
    return (
        f'<line class="step" x1="{at:.1f}" x2="{at:.1f}" y1="{TOP - 6}" y2="{TOP + PLOT_H}"/>'
        f'<text class="step-label" x="{at + shift:.1f}" y="{TOP - 10}" text-anchor="{anchor}">'
        f"{esc(text)}</text>"
    )


def _where(step: Step, origins: list[RunOrigin | None]) -> str:
    origin = origins[step.index]
    if origin is None:
        return f"from run {step.index + 1}"
    commit = f"at {origin.commit[:7]}" if origin.commit else f"from run {step.index + 1}"
    return f"{commit} ({origin.created_utc[:10]})"


def _summary(runs: list[float], steps: list[Step], origins: list[RunOrigin | None]) -> str:
    said = f"{len(runs)} runs, {format_energy(min(runs))} to {format_energy(max(runs))}"
    if not steps:
        return f"{said}; no step found"
    found = "; ".join(f"step {percent_change(s.ratio)} {_where(s, origins)}" for s in steps)
    return f"{said}; {found}"
