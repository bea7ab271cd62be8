"""The report as one self-contained HTML page: inline CSS and SVG, no script, no URL.

The page is opened from a CI artifact or on a laptop without network, so it loads nothing: its
Content-Security-Policy tells the browser so as well. The words and figures come from view.py,
as in the PR comment; charts from html_charts.py. Everything from the report is escaped, since
a test id is whatever the pull request's author named it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence

from ..report.model import Report
from .html_charts import (
    Item,
    budget_chart,
    change_chart,
    component_names,
    components_chart,
    samples_chart,
)
from .html_history import STYLE as HISTORY_STYLE
from .html_history import history_charts
from .html_profile import STYLE as PROFILE_STYLE
from .html_profile import profile_charts
from .html_style import STYLE
from .html_svg import esc
from .view import Row, View, build_view, environment, measured_energy_j, watt_hours
from .wording import tests_word

SYMBOLS = {
    "regressed": "▲",
    "over-budget": "▲",
    "improved": "▼",
    "accepted": "☑",
    "unchanged": "=",
    "inconclusive": "?",
    "ok": "✓",
    "new": "+",
    "missing": "○",
    "xfailed": "\N{MULTIPLICATION SIGN}",
    "xpassed": "!",
    "skipped": "\N{EN DASH}",
    "error": "✖",
    "failed": "✖",
}
COLUMNS = (
    "Verdict",
    "Test",
    "Energy (median)",
    "Change vs base",
    "Evidence",
    "Runs",
    "Spread (CV)",
    "Budget",
    "Budget used",
    "Carbon",
)
NUMERIC = {"Energy (median)", "Change vs base", "Runs", "Spread (CV)", "Budget used", "Carbon"}
MOODS = {"fail": "✖", "unsure": "?", "pass": "✔"}  # never a tick while tests are inconclusive
BREAKS = re.compile(r"(::|/|_|\[|,|-|\.)")  # where a test id may wrap: after these, not mid-word
# Nothing may be fetched: no script, no image, no font, no frame, no form target.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'"


def render_html(report: Report, *, notes: Iterable[str] = ()) -> str:
    """The whole page; ``notes`` (comparison warnings, say) are shown under the tables."""
    view = build_view(report, notes=notes)
    items = _items(view, report)
    body = [
        _header(view, report),
        _totals(view, report),
        *_charts(items),
        _table(view),
        _environment(report),
        _notes(view.notes + report.environment.notes),
        "<footer>pytest-greenbudget · this page loads nothing from the network</footer>",
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="color-scheme" content="light dark">\n'
        f"<title>greenbudget: {esc(view.headline)}</title>\n"
        f"<style>{STYLE}{HISTORY_STYLE}{PROFILE_STYLE}</style>\n</head>\n"
        f"<body>\n<main>\n{''.join(body)}\n</main>\n</body>\n</html>\n"
    )


def write_html(report: Report, path: str | os.PathLike[str], *, notes: Iterable[str] = ()) -> None:
    """Write atomically and through symlinks, like the JSON report: an artifact is never half
    a page, and a FIFO or device at ``path`` is refused."""
    from ..report.io import write_atomic

    write_atomic(path, render_html(report, notes=notes))


def _items(view: View, report: Report) -> list[Item]:
    """The view's rows, in its reading order, each with the entry holding its raw figures."""
    entries = report.by_nodeid()
    return [(row, entries[row.nodeid]) for row in view.flagged + view.rest]


# --- header and totals --------------------------------------------------------------------


def _header(view: View, report: Report) -> str:
    state = view.mood
    symbol = MOODS[state]
    commit = report.environment.commit
    made = f"{report.created_utc}" + (f" · commit {commit[:12]}" if commit else "")
    banner = f'<p class="banner">{esc(view.banner)}</p>' if view.banner else ""
    paired = (
        f'<p class="paired">{esc(view.paired[:1].upper() + view.paired[1:])}.</p>'
        if view.paired
        else ""
    )
    return (
        f'<header><p class="kicker">pytest-greenbudget energy report · {esc(made)}</p>{banner}'
        f'<h1 class="status {state}"><span class="sym">{symbol}</span> {esc(view.headline)}</h1>'
        f"{paired}</header>"
    )


def _totals(view: View, report: Report) -> str:
    watts = watt_hours(measured_energy_j(report.tests))
    cards = [
        f'<div class="card"><dt>{esc(label)}</dt><dd>{esc(value)}'
        + (f"<small>{esc(watts)}</small>" if label.startswith("Energy") else "")
        + "</dd></div>"
        for label, value in view.totals
    ]
    measured = "".join(f"<li>{esc(line)}</li>" for line in view.meters)
    return (
        f'<section id="totals"><h2>Totals</h2><dl class="cards">{"".join(cards)}</dl>'
        f'<ul class="measured">{measured}</ul></section>'
    )


# --- charts -------------------------------------------------------------------------------


def _charts(items: Sequence[Item]) -> list[str]:
    sections = [_budget_section(items)]
    change = change_chart(items)
    if change:  # only with a baseline: nothing to diverge from otherwise
        sections.append(_change_section(change))
    sections.append(_samples_section(items))
    sections.append(_components_section(items))
    profiles = profile_charts([t for _, t in items])
    if profiles:  # only for what the paired gate found regressed or improved
        sections.append(_profile_section(profiles))
    history = history_charts([t for _, t in items])
    if history:  # only from a baseline history (greenbudget merge --keep-runs)
        sections.append(_history_section(history))
    return sections


def _profile_section(charts: str) -> str:
    return _section(
        "profile",
        "Where the energy went",
        "For each test the paired gate found regressed or improved, the functions whose cost "
        "changed most between base and head, from one extra, unmeasured pass of each side "
        "under cProfile (each function's own time). In joules for the CPU-time model (its "
        "share of the pass x the side's measured energy), else in time as a share of the "
        "base pass's total.",
        _legend(("sw-bad", "▲ costs more on head"), ("sw-better", "▼ costs less on head")),
        charts,
    )


def _history_section(charts: str) -> str:
    return _section(
        "history",
        "Energy over time on the base branch",
        "Each test's median energy in each kept run of the base branch (greenbudget merge "
        "--keep-runs), oldest first, with the commit and date of each labelled run. A dashed "
        "line marks where the energy stepped (a t-test change-point detector: it marks, it "
        "does not gate).",
        _legend(("sw-good", "a run"), ("sw-bad", "a step: its change, commit and date")),
        charts,
    )


def _budget_section(items: Sequence[Item]) -> str:
    explain = (
        "Each test's measured figure as a share of its budget, largest first; the dashed line "
        "is the budget. ▲ marks a test over budget."
    )
    unbudgeted = sum(t.budget is None and t.verdict != "missing" for _, t in items)
    if unbudgeted:
        explain += f" Not drawn: {tests_word(unbudgeted)} without a budget (see the table)."
    return _section(
        "budget",
        "Energy against budget",
        explain,
        _legend(("sw-good", "within budget"), ("sw-bad", "▲ over budget")),
        budget_chart(items),
    )


def _change_section(chart: str) -> str:
    return _section(
        "change",
        "Change against the base branch",
        "Head vs base, worst first, with the figures each change is the ratio of: side by "
        "side in one job the per-round floors (each side's lowest quarter of runs), against a "
        "stored report the medians. The shaded band is the test's tolerance; a regression is a "
        "rise beyond it that is also statistically significant.",
        _legend(
            ("sw-bad", "▲ regressed"),
            ("sw-better", "▼ improved"),
            ("sw-neutral", "unchanged"),
            ("sw-unsure", "? inconclusive (too noisy to tell)"),
        ),
        chart,
    )


def _samples_section(items: Sequence[Item]) -> str:
    has_base = any(t.baseline is not None for _, t in items)
    keys = [("sw-dot", "a measured run"), ("sw-ci", "95% confidence interval of the median")]
    if has_base:
        keys.insert(1, ("sw-base", "a base-branch run"))
    return _section(
        "samples",
        "Runs of each test",
        "Every measured run, as a difference from the test's median, so that the noise of "
        "a millijoule test and of a joule test read on one scale. ▸ marks a run off the scale.",
        _legend(*keys),
        samples_chart(items),
    )


def _components_section(items: Sequence[Item]) -> str:
    names = component_names(items)
    keys = [(f"c{i % 6}", name) for i, name in enumerate(names)]
    return _section(
        "components",
        "Energy by component",
        "The median run's energy split by part (cpu, dram, gpu:N), on one scale in joules a "
        "run; each part is drawn at its measured share, so the parts add up to the test's "
        "median. Hatched parts are estimated from a model, not read from a hardware counter.",
        _legend(*keys, ("hatched-swatch", "estimated")),
        components_chart(items),
    )


def _section(anchor: str, title: str, explain: str, legend: str, chart: str) -> str:
    body = chart or '<p class="note">Nothing to draw: no test in this report has these figures.</p>'
    return (
        f'<section id="{anchor}"><h2>{esc(title)}</h2><p class="explain">{esc(explain)}</p>'
        f"{legend if chart else ''}{body}</section>"
    )


def _legend(*keys: tuple[str, str]) -> str:
    spans = (
        f'<span><span class="swatch {esc(cls)}"></span>{esc(words)}</span>' for cls, words in keys
    )
    return f'<p class="legend">{"".join(spans)}</p>'


# --- the table, the environment, the notes ------------------------------------------------


def _table(view: View) -> str:
    head = "".join(f'<th class="{"num" if c in NUMERIC else ""}">{c}</th>' for c in COLUMNS)
    rows = "".join(_table_row(row) for row in view.flagged + view.rest)
    return (
        f'<section id="tests"><h2>All tests</h2><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{rows}</tbody></table></section>"
    )


def _table_row(row: Row) -> str:
    verdict = f"{SYMBOLS.get(row.status, '·')} {row.label}"
    said = "" if row.detail else row.message  # a comparison's line is the row itself
    if row.status == "accepted":  # who accepted the regression, and why
        said = row.detail
    message = f'<span class="msg">{esc(said)}</span>' if said else ""
    runs = str(row.runs) if row.runs else "—"
    percent, _, figures = row.change.partition(" (")
    change = esc(percent) + (f'<span class="msg">({esc(figures)}</span>' if figures else "")
    cells = [
        f'<td class="verdict v-{esc(row.status)}">{esc(verdict)}</td>',
        f'<td class="test"><code>{breakable(row.nodeid)}</code>{message}</td>',
        f'<td class="num">{esc(row.head)}</td>',
        f'<td class="num">{change}</td>',
        f"<td>{esc(row.evidence)}</td>",
        *(f'<td class="num">{esc(v)}</td>' for v in (runs, row.spread)),
        f"<td>{esc(row.budget)}</td>",
        *(f'<td class="num">{esc(v)}</td>' for v in (row.budget_use, row.carbon)),
    ]
    return f'<tr class="{esc(row.verdict)}">{"".join(cells)}</tr>'


def breakable(nodeid: str) -> str:
    """The escaped id with a line-break chance after each separator, so a long name wraps
    between its parts rather than in the middle of a word."""
    return "".join(
        f"{esc(part)}<wbr>" if BREAKS.fullmatch(part) else esc(part)
        for part in BREAKS.split(nodeid)
        if part
    )


def _environment(report: Report) -> str:
    pairs = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in environment(report))
    return f'<section id="environment"><h2>Environment</h2><dl class="env">{pairs}</dl></section>'


def _notes(notes: Sequence[str]) -> str:
    if not notes:
        return ""
    items = "".join(f"<li>{esc(note)}</li>" for note in notes)
    return f'<section id="notes"><h2>Notes</h2><ul>{items}</ul></section>'
