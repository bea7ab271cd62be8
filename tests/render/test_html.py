"""The HTML report: well formed, self-contained, escaped, and charting what the report says."""

from __future__ import annotations

import math
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from pathlib import Path

import pytest
from github_double import entry, report
from github_double.reports import JITTER

from pytest_greenbudget.render.html import render_html, write_html
from pytest_greenbudget.render.html_svg import tick_values
from pytest_greenbudget.render.view import (
    change_fraction,
    environment,
    measured_energy_j,
    spread,
    watt_hours,
)
from pytest_greenbudget.report.model import Component, Report, TestEntry

VOID = {"meta", "br", "hr", "img", "input", "link", "source", "wbr", "col", "area", "base"}
HOSTILE = (
    "t.py::test_a[<script>alert(1)</script>]",
    't.py::test_b["onload=alert(2) x="]',
    "t.py::test_c[a|b`c`]",
    "t.py::test_d[@here]",
)


@dataclass
class Page(HTMLParser):
    """Checks that tags balance and collects what the assertions need."""

    stack: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    tags: list[tuple[str, dict[str, str | None]]] = field(default_factory=list)
    text: dict[str, list[str]] = field(default_factory=dict)  # innermost tag -> its texts
    joined: bool = False  # after a <wbr>: the text goes on, as a reader sees it

    def __post_init__(self) -> None:
        super().__init__(convert_charrefs=True)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self.joined = tag == "wbr"
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        self.joined = False
        if not self.stack or self.stack.pop() != tag:
            self.problems.append(f"unbalanced </{tag}>")

    def handle_data(self, data: str) -> None:
        if not self.stack:
            return
        texts = self.text.setdefault(self.stack[-1], [])
        if self.joined and texts:
            texts[-1] += data
        else:
            texts.append(data)
        self.joined = False


def parse(page: str) -> Page:
    parsed = Page()
    parsed.feed(page)
    parsed.close()
    assert parsed.problems == [] and parsed.stack == []
    return parsed


def section(page: str, anchor: str) -> str:
    match = re.search(rf'<section id="{anchor}">(.*?)</section>', page, re.S)
    return match[1] if match else ""


def mixed() -> Report:
    with_parts = replace(
        entry("t.py::test_gpu", 30.0, base=24.0, verdict="regressed", budget=40.0),
        components={
            "cpu": Component(9.0, "estimated", "cputime"),
            "dram": Component(3.0, "measured", "rapl"),
            "gpu:0": Component(18.0, "measured", "nvml"),
        },
        ci_j=(28.5, 31.8),
    )
    return report(
        with_parts,
        entry("t.py::test_over", 12.0, base=11.9, verdict="over-budget", budget=10.0),
        entry("t.py::test_faster", 0.7, base=1.0, verdict="improved", budget=2.0),
        entry("t.py::test_new", 0.5, verdict="new"),
    )


# --- the page is well formed and self-contained -------------------------------------------


def test_page_parses_and_lists_every_test() -> None:
    page = render_html(mixed())
    parsed = parse(page)
    listed = parsed.text["code"]
    assert listed == ["t.py::test_gpu", "t.py::test_over", "t.py::test_new", "t.py::test_faster"]
    for svg in re.findall(r"<svg.*?</svg>", page, re.S):
        ET.fromstring(svg)  # each chart is well-formed XML as well


def test_nothing_is_fetched_from_anywhere() -> None:
    page = render_html(mixed())
    parsed = parse(page)
    assert not {tag for tag, _ in parsed.tags} & {"script", "link", "img", "iframe", "object"}
    for tag, attrs in parsed.tags:
        for name, value in attrs.items():
            if name in ("src", "href", "xlink:href", "action", "srcset", "style"):
                raise AssertionError(f"<{tag} {name}={value!r}> may load something")
    css = "".join(parsed.text["style"])
    assert re.findall(r"url\(([^)]*)\)", css) == ["#gb-hatch"]
    assert "@import" not in css and "@font-face" not in css
    assert not re.search(r"https?:|//", page.replace("<!DOCTYPE html>", ""))
    csp = next(a["content"] for t, a in parsed.tags if a.get("http-equiv"))
    assert csp is not None and csp.startswith("default-src 'none'")


def test_hostile_test_ids_stay_text() -> None:
    tests = [entry(nodeid, 1.0 + i, budget=3.0) for i, nodeid in enumerate(HOSTILE)]
    evil = replace(tests[0], message='<img src=x onerror="alert(3)">')
    page = render_html(report(evil, *tests[1:]))
    parsed = parse(page)
    assert "<script>" not in page and "<img" not in page
    assert {tag for tag, _ in parsed.tags}.isdisjoint({"script", "img"})
    assert not [n for _, a in parsed.tags for n in a if n.startswith("on")]
    assert sorted(parsed.text["code"]) == sorted(HOSTILE)
    titles = "".join(parsed.text["title"])  # the charts' tooltips
    assert all(nodeid in titles for nodeid in HOSTILE)
    assert '<img src=x onerror="alert(3)">' in parsed.text["span"]


def test_a_report_without_tests_is_still_a_page() -> None:
    page = render_html(report())
    parse(page)
    assert "No measured tests in this report" in page and "<svg" not in page


def test_non_finite_figures_are_not_drawn() -> None:
    # The reader takes NaN from JSON; such a figure must not become a coordinate.
    broken = replace(
        entry("t.py::nan", 1.0, budget=2.0), budget_used=math.nan, samples_j=(1.0, math.inf)
    )
    page = render_html(report(broken, entry("t.py::fine", 1.0, budget=2.0)))
    parse(page)
    assert not re.search(r'="[^"]*(nan|inf)', page)
    assert "t.py::nan" not in section(page, "budget") + section(page, "samples")
    assert "t.py::fine" in section(page, "budget") + section(page, "samples")


# --- what the charts show -----------------------------------------------------------------


def row_titles(page: str, anchor: str) -> list[str]:
    return re.findall(r'<g class="row"><title>([^:]+::[^:]+):', section(page, anchor))


def test_budget_bars_are_sorted_by_share_and_overruns_carry_a_symbol() -> None:
    page = render_html(mixed())
    budget = section(page, "budget")
    assert row_titles(page, "budget") == ["t.py::test_over", "t.py::test_gpu", "t.py::test_faster"]
    assert budget.count('class="bar bad"') == 1
    assert "▲ 120% of 10.0 J" in budget and 'class="limit"' in budget
    assert "Not drawn: 1 test without a budget" in budget


def test_change_chart_only_with_a_baseline() -> None:
    plain = render_html(report(entry("t.py::a", 1.0, budget=2.0)))
    assert 'id="change"' not in plain
    page = render_html(mixed())
    change = section(page, "change")
    assert row_titles(page, "change") == [
        "t.py::test_gpu",
        "t.py::test_over",
        "t.py::test_faster",
    ]
    assert change.count('class="highlight"') == 1  # the one regression's row
    assert "▲ +25% regressed · p=0.001" in change and "▼ -30% improved · p=0.001" in change
    assert change.count('class="bar bad"') == 1 and change.count('class="bar better"') == 1


def test_every_sample_is_a_dot_with_the_interval_behind_it() -> None:
    page = render_html(mixed())
    samples = section(page, "samples")
    assert samples.count('class="dot head"') == 4 * 5
    assert samples.count('class="dot base"') == 3 * 5  # the three tests with a baseline
    assert samples.count('class="ci"') == 1
    assert "median 30.0 J · ±0.8% · n=5" in samples


def test_components_stack_and_estimates_are_hatched() -> None:
    page = render_html(mixed())
    components = section(page, "components")
    gpu_row = re.search(r"<title>t\.py::test_gpu:.*?</g>", components, re.S)
    assert gpu_row is not None
    assert re.findall(r'class="seg (c\d)"', gpu_row[0]) == ["c0", "c1", "c2"]
    assert gpu_row[0].count('class="hatched"') == 1  # cpu only: dram and gpu:0 were measured
    assert "30.0 J · gpu:0 60%" in gpu_row[0]
    assert [s for s in ("cpu", "dram", "gpu:0") if f"</span>{s}</span>" in components]


def test_totals_name_energy_in_j_and_wh_carbon_region_pue_and_meters() -> None:
    parsed = parse(render_html(mixed()))
    cards = dict(zip(parsed.text["dt"], parsed.text["dd"], strict=False))
    assert cards["Energy"] == "43.2 J" and "0.012 Wh" in parsed.text["small"]
    assert cards["Carbon"].endswith("gCO2e")
    measured = parsed.text["li"]
    assert "cpu: cputime (estimated), RAPL unreadable: not root" in measured
    assert any("(FRA, " in line and "PUE 1.2" in line for line in measured)
    assert "AMD EPYC 7763 (4 CPUs)" in parsed.text["dd"]


def test_both_colour_schemes_are_styled() -> None:
    page = render_html(mixed())
    assert '<meta name="color-scheme" content="light dark">' in page
    dark = re.search(r"@media \(prefers-color-scheme: dark\) \{(.*?)\n\}", page, re.S)
    assert dark is not None and "--bg: #0d1117" in dark[1] and "--fg: #e6edf3" in dark[1]


# --- the figures view.py adds for the page ------------------------------------------------


def test_view_figures_for_the_page() -> None:
    r = mixed()
    assert watt_hours(7200.0) == "2 Wh" and watt_hours(97.2) == "0.027 Wh"
    assert measured_energy_j(r.tests) == pytest.approx(43.2)
    assert change_fraction(r.tests[0]) == pytest.approx(0.25)
    assert change_fraction(entry("t", 1.0)) is None
    assert spread(entry("t", 1.0)) == "±0.8%"
    assert spread(replace(entry("t", 1.0), samples_j=(1.0, -1.0))) == "—"
    assert ("CPU", "AMD EPYC 7763 (4 CPUs)") in environment(r)


@pytest.mark.parametrize(
    ("lo", "hi", "ticks"),
    [
        (0.0, 1.08, [0.0, 0.5, 1.0]),
        (0.0, 2.0, [0.0, 0.5, 1.0, 1.5, 2.0]),
        (-0.11, 0.11, [-0.1, 0.0, 0.1]),
    ],
)
def test_ticks_fall_on_round_numbers(lo: float, hi: float, ticks: list[float]) -> None:
    assert tick_values(lo, hi) == ticks


def test_write_html_creates_the_folder(tmp_path: Path) -> None:
    target = tmp_path / "out" / "report.html"
    write_html(report(entry("t.py::a", 1.0)), target)
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in target.parent.iterdir()] == ["report.html"]  # no temporary left


# --- in a real browser --------------------------------------------------------------------


def screenshot(page: Path, out: Path, *extra: str) -> bytes:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("chromium not installed: apt-get install chromium")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
    flags += ["--disable-background-networking", "--disable-component-update", "--disable-sync"]
    flags += [f"--user-data-dir={out.parent / 'profile'}", "--window-size=1280,2600"]
    command = [chromium, *flags, *extra, f"--screenshot={out}", page.as_uri()]
    subprocess.run(command, capture_output=True, timeout=90, check=True)
    return out.read_bytes()


def paired(test: TestEntry, verdict: str, p: float) -> TestEntry:
    """A test as the paired runner leaves it: measured alternately with main@abc1234."""
    assert test.baseline is not None and test.energy_j is not None
    pairs = tuple((test.energy_j * f, test.baseline.energy_j * f) for f in JITTER)
    figures = replace(
        test.baseline, mode="paired", ref="main", commit="abc1234def0", pairs=pairs, p_value=p,
        method="paired-t",
    )  # fmt: skip
    return replace(test, baseline=figures, verdict=verdict)


def showcase() -> Report:
    """Everything the page must survive at once: paired results, every verdict, pytest's
    outcomes, hostile and long ids, an overrun whose energy fell, an incomplete run."""
    long = "tests/test_training.py::test_more_epochs_do_not_hurt_the_validation_accuracy[adam-64]"
    unresolved = entry("t.py::test_noisy", 1.1, base=1.0, p_value=0.3, verdict="inconclusive")
    assert unresolved.baseline is not None
    tests = [
        paired(entry(long, 1.3, base=1.0, budget=2.0), "regressed", 0.0004),
        paired(entry("t.py::test_same", 2.0, base=1.99, budget=4.0), "unchanged", 0.7),
        entry("t.py::test_over", 9.93, base=10.0, p_value=0.4, verdict="over-budget", budget=9.0),
        replace(unresolved, baseline=replace(unresolved.baseline, detectable=0.31)),
        replace(entry("t.py::test_xfail", None, verdict=None), outcome="xfailed"),
        *(entry(nodeid, 1.0 + i, budget=3.0) for i, nodeid in enumerate(HOSTILE)),
    ]
    return replace(report(*tests), incomplete=True, incomplete_reason="interrupted (Ctrl-C)")


def test_the_showcase_page_says_paired_inconclusive_incomplete_and_outcomes() -> None:
    page = render_html(showcase())
    parse(page)
    header = re.search(r"<header>(.*?)</header>", page, re.S)
    assert header is not None
    assert "Incomplete run: interrupted (Ctrl-C)." in header[1]
    assert "Measured side by side with main@abc1234 in this job." in header[1]
    assert "1 over budget" in header[1] and "energy" in header[1]
    assert "over budget: -" not in page  # the change is never glued to the count
    tests = section(page, "tests")
    assert "\N{MULTIPLICATION SIGN} xfailed" in tests and "? inconclusive" in tests
    assert "could not see changes below +31%" in tests
    assert "5 head/base pairs per test in rounds of fresh processes" in section(page, "totals")
    change = section(page, "change")
    assert "▲ -0.7%" not in change and "-0.7% over budget" not in change
    assert "test_<wbr>more_<wbr>epochs_<wbr>" in tests  # wraps between words, not inside


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_chromium_renders_the_showcase(tmp_path: Path, mode: str) -> None:
    page = tmp_path / "report.html"
    write_html(showcase(), page)
    dark = ("--force-dark-mode",) if mode == "dark" else ()
    shot = screenshot(page, tmp_path / f"{mode}.png", *dark)
    assert shot.startswith(b"\x89PNG\r\n\x1a\n") and len(shot) > 20_000
    plain = tmp_path / "plain.html"
    write_html(mixed(), plain)
    assert screenshot(plain, tmp_path / f"plain-{mode}.png", *dark) != shot
