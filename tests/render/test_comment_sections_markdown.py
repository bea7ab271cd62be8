"""The sectioned comment as text: parse, merge and compose, without a server."""

from __future__ import annotations

from github_double import entry, report

from pytest_greenbudget.render.markdown import MARKER, render_markdown
from pytest_greenbudget.render.sections import CUT, Section, compose, merge, parse, section_of
from pytest_greenbudget.render.view import build_view


def test_a_hostile_headline_round_trips_and_cannot_end_the_start_line() -> None:
    nasty = 'x" --> <!-- greenbudget-section name="evil" -->\n@team'
    body = compose([Section("gpu", "regressed", nasty, "#### gpu")])
    (back,) = parse(body)
    assert (back.name, back.worst, back.headline) == ("gpu", "regressed", nasty.replace("\n", " "))
    assert body.count("<!-- greenbudget-section name=") == 1 and "-->\n@team" not in body


def test_sections_sort_by_name_with_numbers_as_numbers_and_replace_their_namesake() -> None:
    old = [Section(n, "ok", n, f"old {n}") for n in ("3.10", "gpu", "3.9")]
    merged = merge(old, Section("gpu", "regressed", "gpu", "new gpu"))
    assert [(s.name, s.body) for s in merged] == [
        ("3.9", "old 3.9"),
        ("3.10", "old 3.10"),
        ("gpu", "new gpu"),
    ]


def test_the_headline_names_the_worst_section_whatever_the_order() -> None:
    sections = [
        Section(n, w, f"{w} headline", "x")
        for n, w in [("a", "ok"), ("b", "inconclusive"), ("c", "regressed")]
    ]
    body = compose(sections)
    assert body.split("\n\n")[1] == "### 🔴 c: regressed headline"
    assert "3 sections, worst first in the headline: 🟢 a · 🟡 b · 🔴 c" in body


def test_over_the_limit_the_longest_section_is_cut_not_the_comment_refused() -> None:
    big = Section("big", "ok", "h", "y" * 70_000)
    small = Section("small", "regressed", "h", "kept")
    body = compose([big, small])
    assert len(body) <= 65_536
    assert [s.body for s in parse(body)] == [CUT, "kept"]


def test_a_section_is_the_jobs_comment_with_its_name_in_the_heading() -> None:
    view = build_view(report(entry("tests/t.py::test_a", 1.0, verdict="regressed", base=0.5)))
    mine = section_of(view, "3.11", "", render_markdown, 65_536)
    assert MARKER not in mine.body and mine.worst == "regressed"
    assert mine.body.startswith("#### 3.11 · 🔴 ")
    assert parse(compose([mine]))[0].body == mine.body
