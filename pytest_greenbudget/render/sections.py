"""One sticky comment for a whole CI matrix: each job owns one named section of it.

The comment is the marker line, a headline naming the worst section, an index of the sections,
then every section between its own hidden start and end lines. A section's start line carries
what the headline needs (its worst verdict and its own headline) and a nonce that tells the job
that wrote it whether its write survived a concurrent one (see ``github/sections.py``). Pure:
text in, text out, so the merge is tested without any server.
"""

from __future__ import annotations

import argparse
import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from .markdown import COMMENT_LIMIT, ICONS, MARKER, escape
from .view import ORDER, View

# Letters, digits and a few separators: a matrix value (3.11, ubuntu-latest, gpu) fits, and
# nothing in a name can end the HTML comment that carries it or break the headline.
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,63}")
_START = re.compile(
    r'^<!-- greenbudget-section name="(?P<name>[^"]*)" worst="(?P<worst>[^"]*)" '
    r'nonce="(?P<nonce>[^"]*)" headline="(?P<headline>[^"]*)" -->$',
    re.MULTILINE,
)
_END = "<!-- /greenbudget-section -->"
CUT = "> ✂️ This section is cut to fit GitHub's 65,536 characters: its job summary holds all."


class SectionError(ValueError):
    """A section name that cannot be used; the message says what is valid."""


@dataclass(frozen=True)
class Section:
    name: str
    worst: str  # the worst verdict among its tests ("" when none has one)
    headline: str  # raw text, escaped when written
    body: str  # markdown, already escaped
    nonce: str = ""

    def rank(self) -> int:
        """Lower is worse: the order a reviewer reads verdicts in (view.ORDER)."""
        return ORDER.index(self.worst) if self.worst in ORDER else len(ORDER)


def check_name(name: str) -> str:
    if not NAME.fullmatch(name):
        raise SectionError(
            f"section name {name!r}: use 1-64 letters, digits, '.', '_', '+' or '-', "
            "starting with a letter or digit (e.g. 3.11, gpu, ubuntu-latest)"
        )
    return name


def section_name(text: str) -> str:
    """``--section``'s type: the name, or argparse's error with what is valid."""
    try:
        return check_name(text)
    except SectionError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def worst_verdict(view: View) -> str:
    return next((v for v in ORDER if view.counts.get(v, 0)), "")


def section_of(
    view: View, name: str, nonce: str, render: Callable[[View, int], str], limit: int
) -> Section:
    """This job's section: the whole rendered comment minus its marker, the heading demoted
    one level and prefixed with the section's name; ``render`` is render_markdown."""
    text = render(view, limit)
    lines = text.split("\n")
    if lines and lines[0] == MARKER:
        lines = lines[1:]
    for i, line in enumerate(lines):
        if line.startswith("### "):
            lines[i] = f"#### {escape(name)} · {line[4:]}"
            break
    return Section(check_name(name), worst_verdict(view), view.headline, "\n".join(lines).strip())


def parse(body: str) -> list[Section]:
    """The sections of a comment body; text outside them (an older unsectioned comment) is
    dropped, a start line without its end ends at the next start or the end of the body."""
    found = []
    starts = list(_START.finditer(body))
    for i, match in enumerate(starts):
        stop = starts[i + 1].start() if i + 1 < len(starts) else len(body)
        inner = body[match.end() : stop]
        end = inner.find(_END)
        content = inner[:end] if end >= 0 else inner
        name, worst, nonce, headline = (
            html.unescape(match[k]) for k in ("name", "worst", "nonce", "headline")
        )
        if NAME.fullmatch(name):
            found.append(Section(name, worst, headline, content.strip(), nonce))
    return found


def merge(existing: Sequence[Section], mine: Section) -> list[Section]:
    """Every section once, ``mine`` replacing its namesake, in a stable order: by name, with
    numbers compared as numbers (3.9 before 3.10), whoever wrote first."""
    others = {s.name: s for s in existing if s.name != mine.name}
    return sorted([*others.values(), mine], key=lambda s: _natural(s.name))


def _natural(name: str) -> list[tuple[int, int | str]]:
    return [(0, int(p)) if p.isdigit() else (1, p) for p in re.findall(r"\d+|\D+", name)]


def compose(sections: Sequence[Section], limit: int = COMMENT_LIMIT) -> str:
    """The comment: the worst section's headline first, an index, then every section. Over
    ``limit``, the longest sections are cut (each job's own summary keeps its whole text)."""
    text = _compose(sections)
    shown = list(sections)
    while len(text) > limit and any(s.body != CUT for s in shown):
        longest = max(range(len(shown)), key=lambda i: len(shown[i].body))
        shown[longest] = replace(shown[longest], body=CUT)
        text = _compose(shown)
    return text


def _compose(sections: Sequence[Section]) -> str:
    worst = min(sections, key=lambda s: s.rank())
    parts = [MARKER, f"### {_icon(worst)} {escape(worst.name)}: {escape(worst.headline)}"]
    if len(sections) > 1:
        index = " · ".join(f"{_icon(s)} {escape(s.name)}" for s in sections)
        parts.append(f"{len(sections)} sections, worst first in the headline: {index}")
    for s in sections:
        start = (
            f'<!-- greenbudget-section name="{_attr(s.name)}" worst="{_attr(s.worst)}" '
            f'nonce="{_attr(s.nonce)}" headline="{_attr(s.headline)}" -->'
        )
        parts.append(f"{start}\n{s.body}\n{_END}")
    return "\n\n".join(parts) + "\n"


def _attr(text: str) -> str:
    # Quotes, angle brackets and dashes as entities: nothing can end the attribute or the
    # HTML comment that holds it, and html.unescape reads it back.
    return html.escape(text, quote=True).replace("-", "&#45;").replace("\n", " ")


def _icon(section: Section) -> str:
    return ICONS.get(section.worst, "🟢" if section.worst in ("ok", "unchanged", "") else "⚪")
