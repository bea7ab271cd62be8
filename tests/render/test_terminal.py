"""The terminal summary: pytest's width, the new verdicts, paired results, incomplete runs."""

from __future__ import annotations

import math
import statistics
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from github_double import entry, report

from pytest_greenbudget.render.terminal import WIDTH, summary_lines
from pytest_greenbudget.render.wording import elide_shared
from pytest_greenbudget.report.model import BaselineFigures, Budget, CarbonSettings, TestEntry

EXAMPLES = Path(__file__).parents[2] / "examples"


def paired(test: TestEntry, ratio: float, p: float, verdict: str) -> TestEntry:
    assert test.energy_j is not None
    base_j = test.energy_j / ratio
    pairs = tuple((test.energy_j * f, base_j * f) for f in (0.99, 1.0, 1.01, 1.0, 0.995, 1.005))
    floors = tuple((min(h for h, _ in r), min(b for _, b in r)) for r in (pairs[:3], pairs[3:]))
    figures = BaselineFigures(
        base_j, tuple(b for _, b in pairs), ratio, p, "paired-t", mode="paired",
        ref="main", commit="abc1234def5678", pairs=pairs, floors=floors,
    )  # fmt: skip
    return replace(test, baseline=figures, verdict=verdict)


def test_a_paired_run_says_side_by_side_and_describes_the_paired_test() -> None:
    lines = summary_lines(
        report(
            paired(entry("t.py::test_fit", 1.3), 1.3, 0.0002, "regressed"),
            paired(entry("t.py::test_same", 2.0), 1.004, 0.6, "unchanged"),
        )
    )
    text = "\n".join(lines)
    assert "measured side by side with main@abc1234 in this job" in text
    assert "6 head/base pairs per test in rounds of fresh processes" in text
    assert "session noise" not in text and "noise between sessions (" not in text
    (row, said) = [line for line in lines if line.startswith("t.py::test_fit")]
    assert row.split()[-2:] == ["regressed", "+30%"] and " 6 " in row
    # One line per verdict: the change beside the figures it is the ratio of, labelled
    assert said == "t.py::test_fit: regressed: +30% (992 mJ -> 1.29 J floors), p<0.001, 2 rounds"
    assert lines[0] == "1 regressed · energy +10% vs base"
    assert "vs base" in lines[1]
    # The runs column counts the head's runs; with pairs, its legend says so.
    legend = next(line for line in lines if line.startswith("energy: median run"))
    assert "runs: the head's, each beside one of the base's" in legend


def test_the_runs_legend_speaks_of_pairs_only_when_runs_were_paired() -> None:
    lines = summary_lines(report(entry("t.py::test_fit", 1.3, base=1.0, p_value=0.2)))
    legend = next(line for line in lines if line.startswith("energy: median run"))
    assert "runs:" not in legend


def test_inconclusive_shows_the_reason_and_the_smallest_change_never_unchanged() -> None:
    test = entry("t.py::test_noisy", 1.1, base=1.0, p_value=0.2, verdict="inconclusive")
    assert test.baseline is not None
    test = replace(
        test,
        baseline=replace(test.baseline, detectable=0.31),
        message="3 runs a side, 18% spread between sessions",
    )
    text = " ".join(line.strip() for line in summary_lines(report(test)))
    assert "inconclusive" in text and "unchanged" not in text
    assert (
        "t.py::test_noisy: inconclusive: +10% (1.00 -> 1.10 J medians), p=0.2, 5 runs a side, "
        "could see ≥ +31%"
    ) in text
    assert "18% spread" not in text  # the message's method details wait for -v


def test_an_incomplete_run_leads_with_a_banner() -> None:
    done = replace(report(entry("t.py::a")), incomplete=True, incomplete_reason="interrupted")
    lines = summary_lines(done)
    assert lines[0].startswith("Incomplete run: interrupted.")


@pytest.mark.parametrize("outcome", ["xfailed", "xpassed", "skipped", "error"])
def test_pytest_outcomes_are_shown_as_such_not_as_failed(outcome: str) -> None:
    test = replace(entry("t.py::test_x", None, verdict=None), outcome=outcome)
    (row,) = [line for line in summary_lines(report(test)) if line.startswith("t.py::test_x")]
    assert row.split()[-1] == outcome


def test_a_double_budget_says_which_one_is_used() -> None:
    both = Budget("greenbudget.yaml:3", energy_j=10.0, carbon_g=1e-9)
    carbon_bound = replace(entry("t.py::c", 1.0), budget=both, budget_used=15.6)
    energy_bound = replace(entry("t.py::e", 1.0), budget=both, budget_used=0.1)
    lines = summary_lines(report(carbon_bound, energy_bound))
    assert any(line.startswith("t.py::c ") and "1560% carbon" in line for line in lines)
    assert any(line.startswith("t.py::e ") and "10% energy" in line for line in lines)


def test_long_ids_are_shortened_to_fit_and_advice_says_one_test() -> None:
    long = f"tests/test_{'very_' * 20}long.py::test_{'x' * 60}[param]"
    lines = summary_lines(report(entry(long, base=0.9, p_value=0.5, verdict="unchanged")))
    assert max(map(len, lines)) <= WIDTH
    ids = [line.split()[0] for line in lines if ".py::test_" in line and "[param]" in line]
    assert ids and ids[0].startswith("test_") and ids[0].endswith("x[param]") and "…" in ids[0]
    replaced = report(replace(entry("t.py::a", base=1.0, p_value=0.5), session_noise=0.25))
    text = " ".join(summary_lines(replaced))
    assert "1 test could flag" in text and "1 tests" not in text


def test_ids_that_share_a_long_start_show_what_tells_them_apart() -> None:
    # torch-optimizer's parametrized ids: at 80 columns every row read the same cut of the
    # file and function name; the shared start now gives way to the parameters.
    start = "tests/test_basic.py::test_benchmark_function["
    names = ["AggMo ({'lr': 0.003}, 1800)-rosenbrock ((1.5, 1.5), (1, 1))]",
             "NovoGrad ({'lr': 2.9, 'betas': (0.9, 0.999)}, 900)-beale ((1.5, 1.5), (3, 0.5))]",
             "LARS ({'lr': 0.002, 'momentum': 0.91}, 900)-beale ((1.5, 1.5), (3, 0.5))]"]  # fmt: skip
    lines = summary_lines(report(*(entry(start + name) for name in names)))
    assert max(map(len, lines)) <= WIDTH
    rows = [line for line in lines if line.startswith("…[")]
    assert sorted(row.split()[0].split("(")[0] for row in rows) == [
        "…[AggMo", "…[LARS", "…[NovoGrad"
    ]  # fmt: skip
    same_file = ["a/t.py::test_one", "a/t.py::test_two"]  # short_id cuts these file first
    assert elide_shared(same_file) == same_file
    assert elide_shared(["t.py::a"]) == ["t.py::a"]  # one id shares nothing with another


def _compared(nodeid: str, noise: float, detectable: float | None, tolerance: float = 0.05):
    test = entry(nodeid, 1.1, base=1.0, p_value=0.3, verdict="unchanged")
    assert test.baseline is not None
    figures = replace(test.baseline, detectable=detectable)
    return replace(test, baseline=figures, session_noise=noise, tolerance=tolerance)


def _gate_line(*tests: TestEntry) -> str:
    text = " ".join(line.strip() for line in summary_lines(report(*tests)))
    return text[text.index("regressions:") :].split(" t.py::")[0].split(" against a stored")[0]


def test_the_gate_line_quotes_the_figures_the_verdicts_used_as_a_range_when_they_differ() -> None:
    line = _gate_line(_compared("t.py::a", 0.25, 2.52), _compared("t.py::b", 0.10, 0.41, 0.1))
    assert line == (
        "regressions: above 5%-10% tolerance and p < 0.01, allowing 10%-25% noise between "
        "sessions (changes below about +41% to +252% are not reliably seen)"
    )
    # One figure when the tests agree; none when no comparison had a test (ratio only).
    same = _gate_line(_compared("t.py::a", 0.25, 2.52), _compared("t.py::b", 0.25, 2.52))
    assert same.endswith(
        "allowing 25% noise between sessions (changes below about +252% are not reliably seen)"
    )
    assert _gate_line(_compared("t.py::a", 0.0, None)) == (
        "regressions: above 5% tolerance and p < 0.01, on the repeats alone (no noise between "
        "sessions allowed for)"
    )


def test_noise_advice_quotes_the_gates_own_floor_at_90_percent_power() -> None:
    text = " ".join(line.strip() for line in summary_lines(report(_compared("t.py::a", 0.25, 2.6))))
    assert (
        "against a stored baseline, 1 test could flag only changes above +260%, not 10%, with "
        "25% noise between sessions"
    ) in text
    # A test new beside the baseline: what the session noise alone allows to a z-test at the
    # same 90% power, not the half-power figure (+125%) the line once gave.
    z = statistics.NormalDist().inv_cdf
    floor = math.expm1((z(0.99) + z(0.9)) * math.sqrt(2 * math.log1p(0.25**2)))
    alone = replace(entry("t.py::b", 1.0), session_noise=0.25)
    new = replace(alone, verdict="new")
    text = " ".join(line.strip() for line in summary_lines(report(new)))
    assert f"only changes above +{floor:.0%}, not 10%" in text and "+125%" not in text
    # A plain run compared with nothing: no advice about a baseline it was not given.
    plain = " ".join(summary_lines(report(alone)))
    assert "stored baseline" not in plain and "greenbudget noise" not in plain


def test_noise_advice_is_not_repeated_once_the_user_set_it() -> None:
    noisy = report(replace(entry("t.py::a", base=1.0, p_value=0.5), session_noise=0.25))
    assert any("greenbudget noise" in line for line in summary_lines(noisy))
    quiet = summary_lines(noisy, noise_measured=True)
    assert not any("greenbudget noise" in line for line in quiet)


def test_the_example_suite_summary_fits_100_columns(tmp_path: Path) -> None:
    pytest.importorskip("numpy")
    for verbose in ((), ("-v",)):
        out = subprocess.run(
            [sys.executable, "-m", "pytest", str(EXAMPLES), "-p", "no:cacheprovider",
             "--greenbudget-repeats", "2", *verbose],
            capture_output=True, text=True, timeout=300, cwd=tmp_path,
        )  # fmt: skip
        summary = out.stdout.split("= greenbudget =", 1)[1].rsplit("\n=", 1)[0]
        lines = summary.splitlines()[1:]
        assert any(line.startswith("test_training.py::test_fit_tiny_mlp ") for line in lines)
        assert any(line.startswith("meter: ") for line in lines)
        assert any(line.startswith("carbon: ") for line in lines)
        too_wide = [line for line in lines if len(line) > WIDTH]
        assert too_wide == [], "\n".join(too_wide)


def test_a_run_shows_xfailed_and_skipped_tests_as_pytest_names_them(gb: pytest.Pytester) -> None:
    gb.makepyfile(
        test_suite="""
import pytest
from fakemeter import burn

@pytest.mark.greenbudget(energy="5 J", repeats=1, warmup=0)
@pytest.mark.xfail(reason="known to diverge")
def test_known():
    burn(1.0)
    assert False

@pytest.mark.greenbudget(energy="5 J", repeats=1, warmup=0)
def test_needs_gpu():
    pytest.skip("no GPU here")

@pytest.mark.greenbudget(energy="5 J", repeats=1, warmup=0)
def test_fine():
    burn(1.0)
"""
    )
    result = gb.runpytest()
    result.assert_outcomes(passed=1, skipped=1, xfailed=1)
    summary = result.stdout.str().split("= greenbudget =")[1]
    rows = {line.split()[0]: line.split()[-1] for line in summary.splitlines() if "::" in line}
    assert rows == {
        "test_suite.py::test_known": "xfailed",
        "test_suite.py::test_needs_gpu": "skipped",
        "test_suite.py::test_fine": "ok",
    }


def test_a_region_that_could_not_be_used_is_said_without_v() -> None:
    """The grams are the world average's, not the region's the config asked for: said in the
    default summary, not only under -v (the default source stays quiet)."""
    fallback = CarbonSettings(
        475.0, "world average: region FRA needs codecarbon's data, which is not installed", 1.0
    )
    said = " ".join(
        " ".join(
            summary_lines(replace(report(entry("t.py::test_fit", 1.0)), carbon=fallback))
        ).split()
    )  # the line wraps at the terminal's width
    assert (
        "at 475 gCO2e/kWh, PUE 1; intensity: world average: region FRA needs codecarbon's data"
        in said
    )
    default = CarbonSettings(475.0, "world average (codecarbon's default); set 'region'", 1.0)
    quiet = summary_lines(replace(report(entry("t.py::test_fit", 1.0)), carbon=default))
    assert not any("intensity:" in line for line in quiet)
