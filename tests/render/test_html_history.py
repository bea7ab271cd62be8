"""The HTML page's energy-over-time charts, fed by ``greenbudget merge --keep-runs``."""

from __future__ import annotations

import random
import re
from dataclasses import replace
from pathlib import Path

from github_double import entry, report

from pytest_greenbudget import cli
from pytest_greenbudget.gate.merge import with_history
from pytest_greenbudget.report.io import read_report, write_report
from pytest_greenbudget.report.model import Report

FIT = "tests/test_m.py::test_fit"


def push_run(i: int, rng: random.Random) -> Report:
    """The report of push number ``i`` (1-based) to main: +20% from run 18 on."""
    energy = (1.2 if i >= 18 else 1.0) * rng.lognormvariate(0, 0.04)
    base = report(
        entry(FIT, energy), entry("tests/test_m.py::test_io", 2.0 * rng.lognormvariate(0, 0.04))
    )
    env = replace(base.environment, commit=f"{i:02d}" + "c" * 38)
    return replace(base, environment=env, created_utc=f"2026-11-{i:02d}T10:00:00Z")


def test_thirty_pushes_merged_with_keep_runs_chart_a_step_at_run_18(tmp_path: Path) -> None:
    rng = random.Random(7)
    paths = []
    for i in range(1, 31):
        paths.append(str(tmp_path / f"run{i}.json"))
        write_report(push_run(i, rng), paths[-1])
    history = str(tmp_path / "base.json")
    assert cli.main(["merge", "--keep-runs", "30", history, *paths]) == 0
    (fit,) = [t for t in read_report(history).tests if t.nodeid == FIT]
    assert len(fit.runs_j) == 30 and fit.runs_from[0].commit == "30" + "c" * 38  # newest first
    page = tmp_path / "page.html"
    assert cli.main(["render", "--html", str(page), history]) == 0
    html = page.read_text()
    assert '<section id="history">' in html
    figure = html[html.index(f"<code>{FIT.replace('::', '::')}") :]
    caption = figure[: figure.index("</figcaption>")]
    step = re.search(r"step \+(\d+)% at (\d\d)c{5} \(2026-11-(\d\d)\)", caption)
    assert step is not None, caption
    assert 15 <= int(step[1]) <= 25 and abs(int(step[2]) - 18) <= 2
    assert html.count('class="step"') == 1  # test_io has no step


def test_a_history_chained_from_before_runs_from_existed_still_draws(tmp_path: Path) -> None:
    old = report(replace(entry(FIT, 1.0), runs_j=(1.0, 1.01, 0.99)))
    new = replace(report(entry(FIT, 1.02)), created_utc="2026-12-01T00:00:00Z")
    merged = with_history([new, old], ["new", "old"], keep=10)
    (fit,) = merged.tests
    assert len(fit.runs_j) == 4 and [o.created_utc for o in fit.runs_from][:2] == [
        "2026-12-01T00:00:00Z",
        "2024-05-01T12:00:00Z",
    ]
    from pytest_greenbudget.render.html import render_html

    html = render_html(merged)
    assert "4 runs" in html and "no step found" in html


def test_a_report_without_a_history_has_no_history_section() -> None:
    from pytest_greenbudget.render.html import render_html

    assert 'id="history"' not in render_html(report(entry(FIT, 1.0)))
