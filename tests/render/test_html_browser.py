"""The HTML page with everything on it at once, read as a reviewer reads it and photographed
in headless Chromium (Debian's `chromium` package: skipped, saying so, where none is installed).

Set GREENBUDGET_SCREENSHOTS=DIR to keep the pictures for a person to look at.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from github_double import entry, report
from test_html import HOSTILE, mixed, parse, section

from pytest_greenbudget.paired.stats import PairedResult, round_floors
from pytest_greenbudget.render.html import render_html, write_html
from pytest_greenbudget.report.model import Budget, Report, TestEntry, Work

JITTER = (0.99, 1.0, 1.01, 0.995, 1.005, 1.0)
SPIKES = (1.0, 1.0, 1.35, 1.0, 1.2, 1.0)  # a run now and then costs more on a shared VM
LONG = "tests/test_training.py::test_more_epochs_do_not_hurt_the_validation_accuracy[adam-64]"


def paired(test: TestEntry, verdict: str, rounds: int = 3) -> TestEntry:
    """A test as the paired runner leaves it: measured alternately with main@abc1234 in
    ``rounds`` rounds, a spike now and then on either side (as on a shared VM), its change the
    ratio of the per-round floors (paired/stats.py), its energy the median of every run."""
    assert test.baseline is not None and test.energy_j is not None
    heads = [test.energy_j * f * s for f, s in zip(JITTER, SPIKES, strict=True)]
    bases = [
        test.baseline.energy_j * f * s for f, s in zip(JITTER[::-1], SPIKES[::-1], strict=True)
    ]
    pairs = list(zip(heads, bases, strict=True))
    size = len(pairs) // rounds
    chunks = [pairs[i * size : (i + 1) * size] for i in range(rounds)]
    result = PairedResult.from_rounds(chunks, test.tolerance)
    figures = replace(
        test.baseline, energy_j=statistics.median(bases), samples_j=tuple(bases),
        ratio=result.ratio, p_value=result.p_value, mode="paired", ref="main",
        commit="abc1234def0", pairs=tuple(pairs), method="paired-rounds-floor",
        floors=tuple(round_floors(c) for c in chunks), detectable=0.04,
    )  # fmt: skip
    return replace(
        test, baseline=figures, verdict=verdict, energy_j=statistics.median(heads),
        samples_j=tuple(heads),
    )  # fmt: skip


def per_sample(nodeid: str, energy: float, samples: int, budget: float) -> TestEntry:
    """A test with a per-sample budget: its run costs ``energy``, a sample 1/``samples`` of it."""
    test = entry(nodeid, energy)
    per_unit = energy / samples
    return replace(
        test,
        work=Work(samples, "sample"),
        energy_per_unit_j=per_unit,
        budget=Budget("greenbudget.yaml:7", energy_j=budget, per="sample"),
        budget_used=per_unit / budget,
    )


def showcase() -> Report:
    """Everything the page must survive at once: paired results with every comparison
    verdict, per-sample budgets, pytest's outcomes, hostile and long ids, an overrun whose
    energy fell, a new and a removed test, an incomplete run."""
    noisy = entry("t.py::test_noisy", 1.1, base=1.0, p_value=0.3, verdict="inconclusive")
    removed = replace(entry("t.py::test_removed", 0.8, verdict="missing"), outcome="not-run")
    tests = [
        paired(entry(LONG, 1.3, base=1.0, budget=2.0), "regressed"),
        paired(entry("t.py::test_same", 2.0, base=1.99, budget=4.0), "unchanged"),
        paired(entry("t.py::test_faster", 0.6, base=0.8), "improved"),
        paired(noisy, "inconclusive"),
        per_sample("t.py::test_batch[8192]", 0.0742, 25_000, 3e-6),
        per_sample("t.py::test_batch[64]", 0.0021, 1_000, 3e-6),
        entry("t.py::test_over", 9.93, base=10.0, p_value=0.4, verdict="over-budget", budget=9.0),
        entry("t.py::test_added", 0.5, verdict="new"),
        removed,
        replace(entry("t.py::test_xfail", None, verdict=None), outcome="xfailed"),
        replace(entry("t.py::test_skip", None, verdict=None), outcome="skipped"),
        *(entry(nodeid, 1.0 + i, budget=5.0) for i, nodeid in enumerate(HOSTILE)),
    ]
    return replace(report(*tests), incomplete=True, incomplete_reason="interrupted (Ctrl-C)")


def test_the_showcase_page_says_what_a_reviewer_needs() -> None:
    page = render_html(showcase())
    parse(page)
    header = re.search(r"<header>(.*?)</header>", page, re.S)
    assert header is not None
    assert "Incomplete run: interrupted (Ctrl-C)." in header[1]
    assert "Measured side by side with main@abc1234 in this job." in header[1]
    assert (
        "1 regressed · 1 over budget · 1 inconclusive (too noisy to tell) · 25.5 J in total"
    ) in header[1]  # no overall change while a test is inconclusive
    assert "over budget: -" not in page  # the change is never glued to the count
    tests = section(page, "tests")
    assert "\N{MULTIPLICATION SIGN} xfailed" in tests and "? inconclusive" in tests
    assert "could see ≥ +4.0%" in tests and '>removed<span class="msg">(was 800 mJ)' in tests
    assert "test_<wbr>more_<wbr>epochs_<wbr>" in tests  # wraps between words, not inside


def test_a_per_sample_test_shows_per_sample_figures_beside_its_budget() -> None:
    tests = section(render_html(showcase()), "tests")
    (row,) = [tr for tr in re.findall(r"<tr.*?</tr>", tests, re.S) if "8192" in tr]
    assert "2.97 µJ/sample" in row and "3.00 µJ per sample" in row
    assert "74.2 mJ" not in row  # never a run's total beside a per-sample budget


CHANGE = re.compile(
    r"([+-][\d.]+)%(?:<span class=\"msg\">)? ?\(([\d.]+) (\w+ )?-&gt; ([\d.]+) (\w+) (floors|medians)\)"
)
SCALE = {"J": 1.0, "mJ": 1e-3, "µJ": 1e-6}


def test_every_change_sits_beside_the_figures_it_is_the_ratio_of() -> None:
    page = render_html(showcase())
    found = CHANGE.findall(section(page, "tests")) + CHANGE.findall(section(page, "change"))
    assert len(found) >= 2 * 5  # the table's and the chart's (values and tooltips)
    for percent, base, base_unit, head, unit, _what in found:
        base_j = float(base) * SCALE[(base_unit or unit).strip()]
        ratio = float(head) * SCALE[unit] / base_j
        assert ratio == pytest.approx(1 + float(percent) / 100, rel=0.01), (percent, base, head)
    assert sum(what == "floors" for *_, what in found) >= 2 * 4
    # The spikes move the medians, not the floors: the figures shown are the floors
    rows = [tr for tr in re.findall(r"<tr.*?</tr>", section(page, "tests"), re.S)]
    (regressed,) = [tr for tr in rows if "more_<wbr>epochs" in tr]
    assert "+30%" in regressed and "floors" in regressed


def test_the_change_legend_names_every_colour_it_uses() -> None:
    change = section(render_html(showcase()), "change")
    for cls, words in [
        ("bar bad", "▲ regressed"),
        ("bar better", "▼ improved"),
        ("bar neutral", "unchanged"),
        ("bar unsure", "? inconclusive"),
    ]:
        assert f'class="{cls}"' in change
        assert re.search(rf'<span class="swatch [^"]+"></span>{re.escape(words)}', change)


def test_a_page_with_only_inconclusive_tests_is_never_ticked() -> None:
    noisy = entry("t.py::test_noisy", 1.01, base=1.0, p_value=0.4, verdict="inconclusive")
    header = re.search(r"<header>(.*?)</header>", render_html(report(noisy)), re.S)
    assert header is not None and "✔" not in header[1]
    assert '<h1 class="status unsure"><span class="sym">?</span> 1 inconclusive' in header[1]


# --- in a real browser --------------------------------------------------------------------


def screenshot(page: Path, out: Path, *extra: str) -> bytes:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("no headless browser: install Debian's chromium (apt-get install chromium)")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
    flags += ["--disable-background-networking", "--disable-component-update", "--disable-sync"]
    flags += [f"--user-data-dir={out.parent / 'profile'}", "--window-size=1280,3000"]
    command = [chromium, *flags, *extra, f"--screenshot={out}", page.as_uri()]
    subprocess.run(command, capture_output=True, timeout=90, check=True)
    keep = os.environ.get("GREENBUDGET_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(out, Path(keep) / out.name)
    return out.read_bytes()


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
