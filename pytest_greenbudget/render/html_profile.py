"""The HTML page's "where the energy went" charts: for each test the paired gate found
regressed or improved, a bar per function whose cost changed most between base and head (from
one profiled pass per side, ``tests[].profile_diff``). Bars grow right for a rise (▲) and
left for a fall (▼) from a zero line; marks carry CSS classes only, text passes through ``esc``.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..report.model import ProfileDiff, TestEntry
from .html_svg import esc
from .profile import YOURS, change, heading, place, sides, your_lines

WIDTH, LABEL, ZERO, HALF, ROW, TOP = 1100, 470, 720, 200, 22, 8

STYLE = """
.profile .up { fill: var(--bad); }
.profile .down { fill: var(--better); }
.profile .zero { stroke: var(--line); }
"""


def profile_charts(tests: Sequence[TestEntry]) -> str:
    """One chart per test that carries a profile diff; "" when none does."""
    return "".join(
        _chart(t, t.profile_diff)
        for t in tests
        if t.profile_diff is not None and t.profile_diff.functions
    )


def _chart(test: TestEntry, diff: ProfileDiff) -> str:
    lines = diff.functions[:10]
    widest = max(abs(line.change) for line in lines) or 1.0
    height = TOP * 2 + ROW * len(lines)
    marks = [f'<line class="zero" x1="{ZERO}" x2="{ZERO}" y1="0" y2="{height}"/>']
    for i, line in enumerate(lines):
        y = TOP + i * ROW
        length = HALF * abs(line.change) / widest
        up = line.change >= 0
        x = ZERO if up else ZERO - length
        label = f"{line.function}  {place(line)}".rstrip()
        label = label if len(label) <= 64 else label[:63] + "…"
        value = f"{'▲' if up else '▼'} {change(line, diff.unit)} ({sides(line, diff.unit)})"
        marks.append(
            f'<text class="id" x="{LABEL - 10}" y="{y + 15}" text-anchor="end">{esc(label)}'
            f"<title>{esc(line.function)} {esc(place(line))}</title></text>"
            f'<rect class="{"up" if up else "down"}" x="{x:.1f}" y="{y + 4}" '
            f'width="{max(length, 1):.1f}" height="{ROW - 8}"/>'
            f'<text x="{ZERO + HALF + 12}" y="{y + 15}">{esc(value)}</text>'
        )
    return (
        f'<figure class="profile-test"><figcaption><code>{esc(test.nodeid)}</code> · '
        f"{esc(heading(diff, 10))}</figcaption>"
        f'<svg class="chart profile" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{esc("Where the energy of " + test.nodeid + " went")}">'
        f"{''.join(marks)}</svg>{_yours(diff)}</figure>"
    )


def _yours(diff: ProfileDiff) -> str:
    if not diff.your_code:
        return ""
    items = "".join(f"<li>{esc(line)}</li>" for line in your_lines(diff))
    return f'<p>{esc(YOURS)}:</p><ul class="profile-yours">{items}</ul>'
