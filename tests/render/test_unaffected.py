"""Unaffected tests (paired runs) are counted in one line, never listed, in every format."""

from __future__ import annotations

from dataclasses import replace

from github_double import entry, report

from pytest_greenbudget.render.html import render_html
from pytest_greenbudget.render.markdown import render_markdown
from pytest_greenbudget.render.terminal import summary_lines
from pytest_greenbudget.render.view import build_view
from pytest_greenbudget.report.model import Impact

LINE = "3 tests unaffected: no file they run changed since main@abc1234 (not paired, not measured)"


def paired_run(compared: int = 1):
    tests = [
        entry(f"t.py::test_changed{i}", 1.0, base=1.0, verdict="unchanged") for i in range(compared)
    ]
    tests += [entry(f"t.py::test_same{i}", None, verdict="unaffected") for i in range(3)]
    impact = Impact("main", "abc1234ffff", considered=("src/model.py",), unaffected=3)
    return replace(report(*tests), impact=impact)


def test_the_terminal_counts_them_in_one_line_and_lists_only_the_compared() -> None:
    text = "\n".join(summary_lines(paired_run(), width=200))
    assert LINE in text
    assert "test_same" not in text
    assert "test_changed0" in text


def test_the_comment_counts_them_in_one_line() -> None:
    text = render_markdown(build_view(paired_run()))
    assert text.count("3 tests unaffected") == 1
    assert "test&#95;same" not in text and "test_same" not in text
    assert "No regressions in 1 test" in text  # the headline judges the compared tests only


def test_all_unaffected_says_so_instead_of_within_budget() -> None:
    view = build_view(paired_run(compared=0))
    assert view.headline == "No test measured: 3 tests unaffected"
    assert LINE in render_html(paired_run(compared=0))


def test_all_unaffected_prints_no_empty_table_and_no_zero_totals() -> None:
    lines = summary_lines(paired_run(compared=0), width=200)
    assert lines[0] == "No test measured: 3 tests unaffected"
    assert LINE in lines
    assert not any(line.startswith(("test ", "----", "total:", "carbon:")) for line in lines)
