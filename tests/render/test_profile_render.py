"""A profile diff in the terminal (-v), the PR comment (collapsed, top 5) and the HTML page."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from xml.dom import minidom

from github_double import entry, report

from pytest_greenbudget.gate.profile_diff import Profile, profile_diff
from pytest_greenbudget.render.html import render_html
from pytest_greenbudget.render.markdown import render_markdown
from pytest_greenbudget.render.terminal import summary_lines
from pytest_greenbudget.render.view import build_view
from pytest_greenbudget.report.decode import parse_report

FIT = "tests/test_m.py::test_fit"


def regressed_with_profile() -> object:
    base = Profile.from_rows([["src/m.py", 3, "prepare", 0.5], ["src/m.py", 9, "train", 0.5]])
    head = Profile.from_rows(
        [
            ["src/m.py", 3, "prepare", 0.2],
            ["src/m.py", 9, "train", 0.8],
            ["src/m.py", 20, "augment_<b>", 1.0],
        ]
        + [["src/m.py", 30 + i, f"small{i}", 0.05 + 0.01 * i] for i in range(12)]
    )
    diff = profile_diff(head, base, head_j=2.0, base_j=1.0, cost_s=0.8)
    test = replace(entry(FIT, 2.0, verdict="regressed", base=1.0), profile_diff=diff)
    return report(test)


def head_total() -> float:
    return 0.2 + 0.8 + 1.0 + sum(0.05 + 0.01 * i for i in range(12))


def test_cpu_time_joules_put_the_new_function_first() -> None:
    (test,) = regressed_with_profile().tests  # type: ignore[attr-defined]
    diff = test.profile_diff
    assert diff.unit == "J"
    top = diff.functions[0]
    assert (top.function, top.where, top.base) == ("augment_<b>", "src/m.py:20", 0.0)
    assert abs(top.head - 2.0 * 1.0 / head_total()) < 1e-9  # its share of the head's 2 J
    assert len(diff.functions) == 10  # the top 10 of 15


def test_the_terminal_shows_it_under_verbose_only() -> None:
    data = regressed_with_profile()
    quiet = "\n".join(summary_lines(data))  # type: ignore[arg-type]
    loud = "\n".join(summary_lines(data, verbose=True))  # type: ignore[arg-type]
    assert "where the energy went" not in quiet
    assert "where the energy went (top" in loud and "augment_<b>  src/m.py:20" in loud


def test_the_comment_holds_a_collapsed_top_5_inside_the_regressed_row() -> None:
    body = render_markdown(build_view(regressed_with_profile()))  # type: ignore[arg-type]
    (row,) = [line for line in body.splitlines() if "test&#95;<wbr>fit" in line]
    block = re.search(r"<details><summary>where the energy went.*?</details>", row)
    assert block is not None
    assert block[0].count("<br>") == 4  # five functions
    assert "<b>" not in block[0] and "augment&#95;&lt;b&gt;" in block[0]


def test_the_html_page_draws_a_bar_per_function() -> None:
    html = render_html(regressed_with_profile())  # type: ignore[arg-type]
    assert '<section id="profile">' in html
    svg = re.search(r'<svg class="chart profile".*?</svg>', html)
    assert svg is not None
    minidom.parseString(svg[0])  # well-formed, the hostile name escaped
    assert svg[0].count("<rect") == len(regressed_with_profile().tests[0].profile_diff.functions)  # type: ignore[attr-defined]


def test_a_built_in_is_named_without_cprofiles_tilde() -> None:
    linear = "<built-in method torch._C._nn.linear>"
    base = Profile.from_rows([["~", 0, linear, 0.5], ["src/m.py", 9, "train", 0.5]])
    head = Profile.from_rows([["~", 0, linear, 0.9], ["src/m.py", 9, "train", 0.5]])
    diff = profile_diff(head, base, head_j=1.4, base_j=1.0, cost_s=0.5)
    data = report(replace(entry(FIT, 1.4, verdict="regressed", base=1.0), profile_diff=diff))
    loud = "\n".join(summary_lines(data, verbose=True))
    assert f"{linear}  (" in loud and "~" not in loud
    body = render_markdown(build_view(data))
    assert "&#126;" not in body and "~" not in body
    assert "~" not in render_html(data)


def regressed_through_your_code() -> object:
    own = [["copy.py", 128, "deepcopy", 1.0]]
    base = Profile.from_rows(own, [["src/m.py", 5, "connect_<i>", 1.0]])
    head = Profile.from_rows(
        [["copy.py", 128, "deepcopy", 3.0]], [["src/m.py", 5, "connect_<i>", 3.0]]
    )
    diff = profile_diff(head, base, head_j=3.0, base_j=1.0, cost_s=0.4)
    return report(replace(entry(FIT, 3.0, verdict="regressed", base=1.0), profile_diff=diff))


def test_every_format_names_your_code_under_its_own_heading() -> None:
    data = regressed_through_your_code()
    loud = summary_lines(data, verbose=True)  # type: ignore[arg-type]
    at = loud.index("  through your code (each function with everything it called):")
    assert loud[at + 1].startswith("    +2.00 J  connect_<i>  src/m.py:5  (1.00 J -> 3.00 J)")
    body = render_markdown(build_view(data))  # type: ignore[arg-type]
    assert "<br><i>through your code (each function with everything it called):</i><br>" in body
    assert "connect&#95;&lt;i&gt;" in body and "<i>connect" not in body
    html = render_html(data)  # type: ignore[arg-type]
    yours = re.search(r'<ul class="profile-yours">.*?</ul>', html)
    assert yours is not None and "connect_&lt;i&gt;  src/m.py:5" in yours[0]
    minidom.parseString(yours[0])  # well-formed, the hostile name escaped


def test_a_diff_without_your_code_adds_no_heading() -> None:
    data = regressed_with_profile()
    assert "through your code" not in "\n".join(summary_lines(data, verbose=True))  # type: ignore[arg-type]
    assert "through your code" not in render_markdown(build_view(data))  # type: ignore[arg-type]
    assert "profile-yours" not in render_html(data)  # type: ignore[arg-type]


def test_your_code_survives_the_json_report() -> None:
    data = regressed_through_your_code()
    text = json.dumps(data.to_dict()).encode()  # type: ignore[attr-defined]
    (test,) = parse_report(text, "r.json").tests
    assert test.profile_diff == data.tests[0].profile_diff  # type: ignore[attr-defined]
    assert test.profile_diff is not None and test.profile_diff.your_code
