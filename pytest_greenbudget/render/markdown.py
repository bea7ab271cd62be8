"""The view as GitHub-flavoured markdown: the sticky PR comment and the job summary.

Anything from the report (test ids, messages, meter reasons) may have been written by whoever
opened the pull request, so it is escaped to inert text: it cannot end a table cell, open an
HTML tag or a code span, start emphasis or a link, reference an issue, or mention anyone.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..report.model import ProfileDiff, ProfileLine
from .view import NONE, Row, View
from .wording import tests_word

MARKER = "<!-- greenbudget-comment -->"
COMMENT_LIMIT = 65_536  # GitHub answers 422 to a longer comment body
ICONS = {
    "regressed": "🔴",
    "over-budget": "🟠",
    "improved": "🟢",
    "accepted": "☑️",
    "inconclusive": "🟡",
    "new": "🆕",
    "missing": "⚪",
}
MOODS = {"fail": "🔴", "unsure": "🟡", "pass": "🟢"}  # never green while tests are inconclusive
# The terminal's columns, narrowed to fit a comment: runs and spread share a cell, and the
# budget share names its budget. The comparison's columns only when there is a base: the
# change beside the figures it is the ratio of, then what the verdict rests on.
COLUMNS = ("", "Test", "Energy (median)", "Runs, spread (CV)", "Budget used")
ALIGN = (":--", ":--", "--:", "--:", "--:")
BASE_COLUMNS = ("Change vs base", "Evidence")
BASE_ALIGN = ("--:", ":--")
CUT_NOTE = (
    "> ✂️ The rest of this comment is cut: GitHub limits a comment to 65,536 characters. "
    "The job summary and the report hold every test."
)

# Entities rather than backslashes: backslash escapes do not work inside HTML such as <code>.
# "@" gets a zero-width joiner as well, so neither the source nor the rendered text holds a
# mention; line breaks of every kind become spaces, so nothing ends a table row.
_ESCAPES = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "|": "&#124;",
        "`": "&#96;",
        "\\": "&#92;",
        "*": "&#42;",
        "_": "&#95;",
        "~": "&#126;",
        "[": "&#91;",
        "]": "&#93;",
        "#": "&#35;",
        "@": "&#64;\u200d",
        **{chr(c): " " for c in [*range(32), 127, 0x85, 0x2028, 0x2029]},
    }
)


def escape(text: str) -> str:
    """Inert inline text: safe in a table cell, a list item, or between HTML tags."""
    return text.translate(_ESCAPES)


def code(text: str) -> str:
    # <code> keeps GitHub's mention and issue-reference filters off; escape() does the rest.
    return f"<code>{escape(text)}</code>"


_BREAKS = ("::", "/", "&#95;", "&#91;")  # after these, as escaped: a test id may wrap there


def test_id(nodeid: str) -> str:
    """The id as inert code that may wrap between its parts (<wbr>, which GitHub keeps), so a
    long id does not push the figures out of the comment's width."""
    text = escape(nodeid)
    for mark in _BREAKS:
        text = text.replace(mark, f"{mark}<wbr>")
    return f"<code>{text}</code>"


def figure(text: str) -> str:
    """A number and its unit on one line: '489 mJ' must not wrap into '489' and 'mJ',"""
    # and "->" stays whole: a word joiner keeps a browser from breaking after its hyphen
    return escape(text).replace(" ", "\u00a0").replace("-&gt;", "-\u2060&gt;")


def render_markdown(view: View, limit: int = COMMENT_LIMIT) -> str:
    """The document; over ``limit`` characters rows are dropped with a note, never refused."""
    with_base = _with_base(view)
    # Accepted regressions stay in sight, under the ones that need action.
    accepted = [row for row in view.rest if row.status == "accepted"]
    flagged = [_line(row, with_base) for row in (*view.flagged, *accepted)]
    rest = [_line(row, with_base) for row in view.rest if row.status != "accepted"]
    text = _document(view, flagged, rest, omitted=0)
    return text if len(text) <= limit else _fit(view, flagged, rest, limit)


def _fit(view: View, flagged: list[str], rest: list[str], limit: int) -> str:
    """Keep as many rows as fit, flagged first (binary search on the count kept)."""
    total = len(flagged) + len(rest)

    def keep(k: int) -> str:
        return _document(view, flagged[:k], rest[: max(k - len(flagged), 0)], omitted=total - k)

    low, high = 0, total
    while low < high:
        mid = (low + high + 1) // 2
        low, high = (mid, high) if len(keep(mid)) <= limit else (low, mid - 1)
    text = keep(low)
    return text if len(text) <= limit else _hard_cut(text, limit)


def _hard_cut(text: str, limit: int) -> str:
    # Only reached when the notes alone are huge; the marker is first, so it always survives.
    room = limit - len(CUT_NOTE) - 2
    head = text[:room]
    head = head[: head.rfind("\n")] if "\n" in head else head
    return f"{head}\n\n{CUT_NOTE}"


def _document(view: View, flagged: list[str], rest: list[str], omitted: int) -> str:
    icon = MOODS[view.mood]
    banner = f"> ⚠️ **{escape(view.banner)}**" if view.banner else ""
    parts = [MARKER, banner, f"### {icon} {escape(view.headline)}"]
    if view.paired:
        parts.append(f"Base and head {escape(view.paired)}.")
    with_base = _with_base(view)
    if flagged:
        parts.append(_table(flagged, with_base))
    if rest:
        parts.append(_details(rest, more=bool(flagged), with_base=with_base))
    if omitted:
        parts.append(f"> ✂️ {omitted} more tests not shown: {CUT_NOTE[5:]}")
    parts += [_totals(view), _meters(view), *_notes(view.notes), _footer(view)]
    return "\n\n".join(p for p in parts if p) + "\n"


def _with_base(view: View) -> bool:
    return any(row.change != NONE for row in view.flagged + view.rest)


def _line(row: Row, with_base: bool) -> str:
    verdict = f"{ICONS.get(row.status, '')} {escape(row.label)}".strip()
    test = test_id(row.nodeid)
    if row.message and row.verdict == "over-budget":  # names the budget's source
        test += f"<br>{escape(row.message)}"
    if row.status == "accepted" and row.detail:  # who accepted it, and why
        test += f"<br>{escape(row.detail)}"
    if row.profile is not None and row.profile.functions:  # collapsed, inside the cell
        test += _profile(row.profile)
    runs = f"{row.runs}, {row.spread}" if row.runs else NONE
    cells = [verdict, test, figure(row.head), runs, escape(row.budget_share)]
    if with_base:  # the change and its evidence after the head's own figure
        cells[3:3] = [_change(row.change), escape(row.evidence)]
    return "| " + " | ".join(cells) + " |"


def _change(change: str) -> str:
    """'+24% (190 -> 227 mJ floors)' with its figures kept on one line each."""
    percent, _, figures = change.partition(" (")
    if not figures:
        return figure(change)
    return f"{figure(percent)}<br>{figure('(' + figures)}"


def _profile(diff: ProfileDiff) -> str:
    """The top 5 changes as a collapsed block; inline HTML only, so the table row holds it."""
    from .profile import YOURS, change, place, sides

    def item(line: ProfileLine) -> str:
        where = escape(place(line)) + " " if place(line) else ""
        return (f"<br>{escape(change(line, diff.unit))} {code(line.function)} {where}"
                f"({escape(sides(line, diff.unit))})")  # fmt: skip

    items = "".join(item(line) for line in diff.functions[:5])
    if diff.your_code:  # the same form, under its own heading
        items += f"<br><i>{escape(YOURS)}:</i>" + "".join(item(line) for line in diff.your_code)
    what = "energy" if diff.unit == "J" else "time, share of the base's"
    summary = f"where the energy went ({what}, profiled {diff.cost_s:.1f} s)"
    return f"<details><summary>{escape(summary)}</summary>{items[4:]}</details>"


def _table(lines: Sequence[str], with_base: bool) -> str:
    columns, align = list(COLUMNS), list(ALIGN)
    if with_base:
        columns[3:3], align[3:3] = BASE_COLUMNS, BASE_ALIGN
    header = "| " + " | ".join(columns) + " |\n| " + " | ".join(align) + " |"
    return header + "\n" + "\n".join(lines)


def _details(lines: Sequence[str], more: bool, with_base: bool) -> str:
    n = len(lines)
    summary = f"{tests_word(n).replace(' ', ' more ')}" if more else f"All {tests_word(n)}"
    if n == 1 and not more:
        summary = "The 1 test"
    # Blank lines around the table: GitHub renders markdown inside <details> only then.
    return f"<details><summary>{summary}</summary>\n\n{_table(lines, with_base)}\n\n</details>"


def _totals(view: View) -> str:
    rows = "\n".join(f"| {escape(label)} | {escape(value)} |" for label, value in view.totals)
    return f"| Total | |\n| :-- | --: |\n{rows}" if rows else ""


def _meters(view: View) -> str:
    lines = "\n".join(f"- {escape(line)}" for line in view.meters)
    return f"**How this was measured and judged**\n\n{lines}" if lines else ""


def _notes(notes: Sequence[str]) -> list[str]:
    return [f"> {escape(note)}" for note in notes]


def _footer(view: View) -> str:
    url = view.run_url
    # Built from GITHUB_SERVER_URL; still refuse anything that could end the link early.
    safe = url is not None and url.startswith(("https://", "http://"))
    if url is None or not safe or any(c in url for c in " ()<>\"'\n"):
        return "<sub>pytest-greenbudget</sub>"
    return f"<sub>pytest-greenbudget · [workflow run]({url})</sub>"
