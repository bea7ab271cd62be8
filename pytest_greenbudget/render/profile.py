"""A profile diff (``tests[].profile_diff``) in words: shared by the terminal, the PR comment
and the HTML page. Raw strings here; each format escapes them."""

from __future__ import annotations

from ..report.model import ProfileDiff, ProfileLine
from ..units import format_energy


def heading(diff: ProfileDiff, shown: int) -> str:
    what = "energy" if diff.unit == "J" else "time, as a share of the base's profiled time"
    return (
        f"where the energy went (top {min(shown, len(diff.functions))} changes in {what}, "
        f"head vs base; one unmeasured profiled pass per side, {diff.cost_s:.2f} s)"
    )


def change(line: ProfileLine, unit: str) -> str:
    if unit == "J":
        sign = "+" if line.change >= 0 else "-"
        return f"{sign}{format_energy(abs(line.change))}"
    return f"{line.change * 100:+.1f} pts"


def sides(line: ProfileLine, unit: str) -> str:
    if unit == "J":
        return f"{format_energy(line.base)} -> {format_energy(line.head)}"
    return f"{line.base * 100:.1f}% -> {line.head * 100:.1f}%"


def place(line: ProfileLine) -> str:
    """Where the function lives, or nothing for a built-in: cProfile's '~' only repeated
    what its name says ('<built-in method torch._C._nn.linear>'), and a torch user read it
    as noise."""
    return "" if line.where == "~" else line.where


def one_line(line: ProfileLine, unit: str) -> str:
    """'+310 mJ  expensive_step  src/pkg/model.py:12  (100 mJ -> 410 mJ)'."""
    where = f"  {place(line)}" if place(line) else ""
    return f"{change(line, unit)}  {line.function}{where}  ({sides(line, unit)})"


def lines(diff: ProfileDiff, top: int) -> list[str]:
    return [one_line(line, diff.unit) for line in diff.functions[:top]]


# The project's own functions the change went through (``ProfileDiff.your_code``): each one's
# figure counts everything it called, so a caller and its callee may show the same change.
YOURS = "through your code (each function with everything it called)"


def your_lines(diff: ProfileDiff) -> list[str]:
    return [one_line(line, diff.unit) for line in diff.your_code]
