"""Drawing primitives for the HTML report's charts: a row-per-test SVG frame and its marks.

Every chart shares one layout: test ids on the left, the plot in the middle, a value label on
the right. Marks carry CSS classes, never colours, so html.py's style sheet alone decides the
palette in light and dark mode. All text passes through ``esc``: test ids are untrusted.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from html import escape

from .wording import short_id as shorten

WIDTH = 1100
LABEL = 390  # the test-id column; ids are set in monospace, so characters map to pixels
PLOT_RIGHT = 850
VALUE_X = PLOT_RIGHT + 18  # the value label; the gap leaves room for an overflow mark
ROW = 26
TOP = 30  # room for the tick labels above the first row
ID_CHARS = 52  # 12px monospace is about 7.2px a character: 52 fill the id column


def esc(text: object) -> str:
    """Inert text for element content and quoted attributes alike."""
    return escape(str(text), quote=True)


def finite(value: float | None) -> float | None:
    """The value if it is a real number: a hand-edited report may hold NaN or Infinity."""
    return value if value is not None and math.isfinite(value) else None


@dataclass(frozen=True)
class Scale:
    lo: float
    hi: float

    def x(self, value: float) -> float:
        """Pixel for ``value``, clamped so an outlier cannot draw over the labels."""
        clamped = min(max(value, self.lo), self.hi)
        return LABEL + (clamped - self.lo) / (self.hi - self.lo) * (PLOT_RIGHT - LABEL)

    def outside(self, value: float) -> int:
        """-1 below the plot, +1 above it, 0 inside: where a clamped mark must say so."""
        return -1 if value < self.lo else (1 if value > self.hi else 0)


def tick_values(lo: float, hi: float, count: int = 4) -> list[float]:
    """Round numbers (1, 2, 2.5 or 5 times a power of ten) spanning [lo, hi]."""
    raw = (hi - lo) / count
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * power >= raw * 0.999)
    first = math.ceil(lo / step - 1e-9)
    last = math.floor(hi / step + 1e-9)
    return [round(k * step, 12) for k in range(first, last + 1)]


def top(i: int) -> float:
    return TOP + i * ROW


def mid(i: int) -> float:
    return top(i) + ROW / 2


def svg(
    label: str, rows: int, body: Iterable[str], defs: str = "", highlight: Iterable[int] = ()
) -> str:
    """The chart; row bands (stripes, and ``highlight`` rows) are painted first, so that the
    gridlines and marks drawn over them stay visible."""
    height = TOP + rows * ROW + 22  # the bottom margin holds a caption under the plot
    box = f'viewBox="0 0 {WIDTH} {height}"'
    head = f'<svg class="chart" {box} role="img" aria-label="{esc(label)}">'
    return head + defs + bands(rows, set(highlight)) + "".join(body) + "</svg>"


def bands(rows: int, highlight: set[int]) -> str:
    parts = []
    for i in range(rows):
        band = "highlight" if i in highlight else ("stripe" if i % 2 else "")
        if band:
            parts.append(
                f'<rect class="{band}" x="0" y="{top(i):.1f}" width="{WIDTH}" height="{ROW}"/>'
            )
    return "".join(parts)


def ticks(scale: Scale, values: Sequence[float], fmt: Callable[[float], str], rows: int) -> str:
    bottom = top(rows)
    parts = []
    for value in values:
        x = scale.x(value)
        parts.append(line(x, TOP - 6, bottom, "grid"))
        parts.append(text(x, TOP - 12, fmt(value), "tick", anchor="middle"))
    return "".join(parts)


def line(x: float, y1: float, y2: float, cls: str) -> str:
    return f'<line class="{cls}" x1="{x:.1f}" x2="{x:.1f}" y1="{y1:.1f}" y2="{y2:.1f}"/>'


def text(x: float, y: float, content: str, cls: str, anchor: str = "start") -> str:
    return (
        f'<text class="{cls}" x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}">{esc(content)}</text>'
    )


def rect(x0: float, x1: float, y: float, height: float, cls: str, tip: str = "") -> str:
    left, right = sorted((x0, x1))
    shape = f'class="{cls}" x="{left:.1f}" y="{y:.1f}" width="{max(right - left, 1.0):.1f}"'
    if not tip:
        return f'<rect {shape} height="{height:.1f}"/>'
    return f'<rect {shape} height="{height:.1f}"><title>{esc(tip)}</title></rect>'


def dot(scale: Scale, value: float, y: float, cls: str, tip: str) -> str:
    """A sample; one beyond the plot becomes a triangle at the edge, pointing where it lies."""
    x, side = scale.x(value), scale.outside(value)
    title = f"<title>{esc(tip)}</title>"
    if not side:
        return f'<circle class="{cls}" cx="{x:.1f}" cy="{y:.1f}" r="4">{title}</circle>'
    tip_x, back = x + 5 * side, x - 3 * side
    points = f"{tip_x:.1f},{y:.1f} {back:.1f},{y - 5:.1f} {back:.1f},{y + 5:.1f}"
    return f'<polygon class="{cls}" points="{points}">{title}</polygon>'


def overflow(i: int) -> str:
    """A bar cut at the plot's edge says so: its value is in the label beside it."""
    return text(PLOT_RIGHT + 3, mid(i) + 4, "»", "tick")


def short_id(nodeid: str) -> str:
    # The folders are the first thing to give up, then classes: file and test name stay.
    return shorten(nodeid, ID_CHARS)


def row_group(i: int, nodeid: str, tip: str, marks: Iterable[str], value: str) -> str:
    """One test's row: the id, the marks, the value label (its band is drawn by ``svg``)."""
    parts = [
        text(LABEL - 12, mid(i) + 4, short_id(nodeid), "id", anchor="end"),
        *marks,
        text(VALUE_X, mid(i) + 4, value, "value"),
    ]
    return f'<g class="row"><title>{esc(nodeid)}: {esc(tip)}</title>{"".join(parts)}</g>'
