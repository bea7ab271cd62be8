"""A test's advice (tests[].notes: spinning thread pools, say) reads the same in every format."""

from __future__ import annotations

import html
from dataclasses import replace

from github_double import entry, report

from pytest_greenbudget.render.html import render_html
from pytest_greenbudget.render.markdown import escape, render_markdown
from pytest_greenbudget.render.terminal import summary_lines
from pytest_greenbudget.render.view import build_view

NOTE = "3 threads kept spinning after the test: a thread pool outlives it; limit it <here>"


def _noted():
    noted = replace(entry("t.py::test_pool", 2.0), notes=(NOTE,))
    return report(noted, entry("t.py::test_quiet", 1.0))


def test_a_tests_note_is_in_the_terminal_the_comment_and_the_page_in_the_same_words() -> None:
    said = "t.py::test_pool: " + NOTE
    terminal = " ".join(summary_lines(_noted(), verbose=False, noise_measured=True, width=200))
    comment = render_markdown(build_view(_noted(), notes=["No baseline yet."]))
    page = render_html(_noted())
    assert said in terminal.replace("\n    ", " ")
    assert f"> {escape(said)}" in comment and "> No baseline yet." in comment
    assert f"<li>{html.escape(said, quote=True)}</li>" in page
    # Only the test that had something to say is named among the notes.
    assert "test_quiet:" not in comment
    notes = page[page.index('<section id="notes">') :]
    assert "t.py::test_pool" in notes and "t.py::test_quiet" not in notes
