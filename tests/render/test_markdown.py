"""The PR comment / job summary markdown: headline, ordering, escaping, truncation."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from github_double import entry, report

from pytest_greenbudget.render.markdown import (
    COMMENT_LIMIT,
    CUT_NOTE,
    MARKER,
    escape,
    render_markdown,
)
from pytest_greenbudget.render.view import build_view

RUN = "https://github.com/octo-org/energy/actions/runs/42"


def mixed():
    return report(
        entry("t.py::test_ok", 2.0, base=2.0, p_value=0.5, verdict="unchanged", budget=10.0),
        entry("t.py::test_small_regression", 1.1, base=1.0, verdict="regressed"),
        entry("t.py::test_over", 12.0, base=11.9, verdict="over-budget", budget=10.0),
        entry("t.py::test_big_regression", 1.5, base=1.0, verdict="regressed"),
        entry("t.py::test_new", 0.5, verdict="new"),
    )


def table_rows(text: str) -> list[str]:
    """The test rows, as read: line-break chances and no-break spaces are layout only."""
    rows = [line for line in text.splitlines() if line.startswith("| ") and "<code>" in line]
    return [row.replace("<wbr>", "").replace("\u00a0", " ").replace("\u2060", "") for row in rows]


def test_headline_counts_what_needs_action_and_the_overall_change() -> None:
    view = build_view(mixed(), run_url=RUN)
    # Same tests only: (2.0 + 1.1 + 12.0 + 1.5) / (2.0 + 1.0 + 11.9 + 1.0) - 1 = +4.4%
    assert view.headline == "2 regressed · 1 over budget · energy +4.4% vs base"
    text = render_markdown(view)
    assert text.startswith(
        MARKER + "\n\n### 🔴 2 regressed · 1 over budget · energy +4.4% vs base\n"
    )


def test_regressions_lead_worst_first_then_overruns_then_the_rest_collapsed() -> None:
    text = render_markdown(build_view(mixed()))
    order = [re.search(r"test&#95;(.+?)</code>", row)[1] for row in table_rows(text)]
    assert order == ["big&#95;regression", "small&#95;regression", "over", "new", "ok"]
    flagged, rest = text.split("<details>")
    assert "test&#95;<wbr>over" in flagged and "test&#95;<wbr>ok" not in flagged
    assert rest.startswith("<summary>2 more tests</summary>")


def test_row_shows_energy_the_change_beside_its_figures_evidence_and_budget_share() -> None:
    text = render_markdown(build_view(mixed()))
    (over,) = [row for row in table_rows(text) if "test&#95;over<" in row]
    assert over.split(" | ")[2:] == [
        "12.0 J", "+0.8%<br>(11.9 -&gt; 12.0 J medians)", "p=0.001", "5, ±0.8%",
        "120% of 10.0 J |",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("p_value", "comparable", "shown"),
    [
        (0.0001, True, "p<0.001"),
        (0.0123, True, "p=0.012"),
        (None, True, "ratio only"),
        (0.001, False, "not comparable"),
    ],
)
def test_significance_reads_as_p_value_ratio_only_or_not_comparable(
    p_value: float | None, comparable: bool, shown: str
) -> None:
    test = entry(
        "t.py::t", 1.3, base=1.0, p_value=p_value, comparable=comparable, verdict="regressed"
    )
    assert build_view(report(test)).flagged[0].evidence.split(",")[0] == shown


def test_without_a_baseline_the_headline_speaks_of_budgets_and_totals() -> None:
    view = build_view(report(entry("a", 2000.0, budget=4000.0), entry("b", 5200.0)))
    assert view.headline == (
        "1 test within budget, 1 test measured without a budget · 2.00 Wh in total"
    )
    assert ("Energy (medians)", "2.00 Wh") in view.totals
    assert not any(label.startswith("Change") for label, _ in view.totals)
    assert "<summary>All 2 tests</summary>" in render_markdown(view)


def test_before_any_budget_the_headline_says_measured_not_within_budget() -> None:
    # The README's first step measures with no budget set, then `greenbudget suggest`.
    view = build_view(report(entry("a", 2.0), entry("b", 3.0)))
    assert view.headline == "2 tests measured without a budget · 5.00 J in total"
    view = build_view(report(entry("a", 2.0, budget=4.0), entry("b", 3.0, budget=6.0)))
    assert view.headline == "2 tests within budget · 5.00 J in total"


def test_a_calm_run_with_a_baseline_says_so() -> None:
    view = build_view(
        report(entry("a", 0.9, base=1.0, verdict="improved"), entry("b", 1.0, base=1.0))
    )
    assert view.headline == "1 test improved, none regressed in 2 tests · energy -5.0% vs base"
    assert render_markdown(view).splitlines()[2].startswith("### 🟢 ")


def test_an_empty_report_still_renders() -> None:
    assert "No measured tests in this report" in render_markdown(build_view(report()))


def test_meters_provenance_carbon_notes_and_run_link() -> None:
    view = build_view(mixed(), notes=["No baseline: no artifact yet."], run_url=RUN)
    text = render_markdown(view)
    assert "- cpu: cputime (estimated), RAPL unreadable: not root" in text
    assert (
        "- carbon: 56 gCO2e/kWh (FRA, codecarbon global&#95;energy&#95;mix.json), PUE 1.2" in text
    )
    assert "> No baseline: no artifact yet." in text
    assert text.rstrip().endswith(f"[workflow run]({RUN})</sub>")


def test_a_run_url_that_could_break_the_link_is_left_out() -> None:
    text = render_markdown(build_view(mixed(), run_url="https://x/a) [click](https://evil"))
    assert "evil" not in text and "workflow run" not in text


HOSTILE = [
    "t.py::test[a|b]",
    "t.py::test[`rm -rf`]",
    "t.py::test[<img src=x onerror=alert(1)>]",
    "t.py::test[@octocat and @org/team]",
    "t.py::test[line\nbreak\r\u2028sep]",
    "t.py::test[**bold** _it_ ~~s~~ [x](https://evil.example) #1 \\|]",
    "t.py::test[</code></details><!--]",
]


def test_hostile_test_ids_cannot_break_the_table_inject_html_or_mention() -> None:
    tests = [entry(n, 2.0, budget=1.0, verdict="over-budget", message=n) for n in HOSTILE]
    tests += [entry(n + "-rest", 1.0) for n in HOSTILE]
    text = render_markdown(build_view(report(*tests)))
    rows = table_rows(text)
    assert len(rows) == 2 * len(HOSTILE)
    assert all(row.count("|") == 6 for row in rows)  # 5 cells: no pipe got through
    assert all(row.count("<code>") == row.count("</code>") == 1 for row in rows)
    assert sum("<br>" in row for row in rows) == len(HOSTILE)  # the messages are shown too
    tags = set(re.findall(r"</?([a-z]+)", text))
    assert tags <= {"code", "wbr", "br", "details", "summary", "sub"}
    assert "`" not in text and "@octocat" not in text and "@org" not in text
    assert "[x](" not in text and "**bold**" not in text and "<!--]" not in text


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("a|b", "a&#124;b"),
        ("`x`", "&#96;x&#96;"),
        ("<b>", "&lt;b&gt;"),
        ("&amp;", "&amp;amp;"),
        ("@me", "&#64;\u200dme"),
        ("a\nb\r\nc", "a b  c"),
        ("#12", "&#35;12"),
        ("a\\", "a&#92;"),
    ],
)
def test_escape(raw: str, escaped: str) -> None:
    assert escape(raw) == escaped


def test_a_body_over_the_limit_keeps_the_flagged_rows_and_says_what_was_cut() -> None:
    long_id = "tests/test_model.py::test_inference[" + "x" * 150 + "-{}]"
    tests = [entry(long_id.format(i), 1.0, base=1.0, verdict="unchanged") for i in range(2000)]
    tests.append(entry("t.py::test_regressed", 2.0, base=1.0, verdict="regressed"))
    view = build_view(report(*tests), run_url=RUN)
    text = render_markdown(view)
    assert len(text) <= COMMENT_LIMIT
    assert text.startswith(MARKER)
    assert "test&#95;regressed" in table_rows(text)[0]
    shown = len(table_rows(text))
    assert f"> ✂️ {2001 - shown} more tests not shown: " in text
    assert text.count("<details>") == text.count("</details>") == 1
    assert text.rstrip().endswith(f"[workflow run]({RUN})</sub>")
    assert len(render_markdown(view, limit=10 * COMMENT_LIMIT)) > COMMENT_LIMIT


def test_notes_alone_over_the_limit_are_cut_never_refused() -> None:
    view = build_view(mixed(), notes=["n" * 40_000, "m" * 40_000])
    text = render_markdown(view)
    assert len(text) <= COMMENT_LIMIT
    assert text.startswith(MARKER) and text.endswith(CUT_NOTE)


def test_render_imports_neither_pytest_nor_requests() -> None:
    code = (
        "import sys, pytest_greenbudget.render.markdown, pytest_greenbudget.render.view\n"
        "print(sorted(m for m in ('pytest', '_pytest', 'requests') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def paired_entry(nodeid: str, energy: float, base: float, verdict: str, p: float):
    from dataclasses import replace

    test = entry(nodeid, energy, base=base, p_value=p, verdict=verdict)
    assert test.baseline is not None
    pairs = tuple((energy * f, base * f) for f in (0.99, 1.0, 1.01, 1.0))
    floors = tuple((min(h for h, _ in r), min(b for _, b in r)) for r in (pairs[:2], pairs[2:]))
    figures = replace(
        test.baseline, mode="paired", ref="main", commit="abc1234ffff", pairs=pairs,
        method="paired-t", floors=floors,
    )  # fmt: skip
    return replace(test, baseline=figures)


def test_a_paired_comment_says_side_by_side_and_how_it_was_judged() -> None:
    text = render_markdown(
        build_view(report(paired_entry("t.py::test_fit", 1.3, 1.0, "regressed", 0.0002)))
    )
    assert "Base and head measured side by side with main&#64;\u200dabc1234 in this job." in text
    assert "4 head/base pairs per test in rounds of fresh processes" in text
    assert "paired test on each round's log ratio of the sides' floors" in text
    assert "noise between sessions (" not in text
    (row,) = table_rows(text)
    assert "| p&lt;0.001, 2 rounds | 4, ±0.8% |" in row
    assert "| +30%<br>(995 mJ -&gt; 1.29 J floors) |" in row


def test_inconclusive_is_its_own_verdict_with_its_reason_and_floor() -> None:
    from dataclasses import replace

    test = entry("t.py::test_noisy", 1.1, base=1.0, p_value=0.3, verdict="inconclusive")
    assert test.baseline is not None
    test = replace(test, baseline=replace(test.baseline, detectable=0.31), message="3 runs")
    view = build_view(report(test))
    # No change in the headline that the gate could not tell: the total instead.
    assert view.headline == "1 inconclusive (too noisy to tell) · 1.10 J in total"
    text = render_markdown(view)
    assert "### 🟡 1 inconclusive" in text  # never green while a test could not be told
    assert "🟡 inconclusive" in text and "unchanged" not in text
    (row,) = table_rows(text)
    assert "| +10%<br>(1.00 -&gt; 1.10 J medians) | p=0.3, 5 runs a side, could see ≥ +31% |" in row


def test_an_incomplete_run_has_a_banner_before_the_headline() -> None:
    from dataclasses import replace

    done = replace(report(entry("t.py::a")), incomplete=True, incomplete_reason="interrupted")
    text = render_markdown(build_view(done))
    banner, headline = text.split("\n\n")[1:3]
    assert banner.startswith("> ⚠️ **Incomplete run: interrupted.")
    assert headline.startswith("### ")


def test_outcomes_read_as_pytest_says_them_and_no_base_columns_without_a_base() -> None:
    from dataclasses import replace

    xfail = replace(entry("t.py::test_x", None, verdict=None), outcome="xfailed")
    text = render_markdown(build_view(report(xfail, entry("t.py::test_ok"))))
    assert "| xfailed | <code>" in text and "failed |" not in text.replace("xfailed |", "")
    assert "Base" not in text.split("<details>")[1] and "Significance" not in text
