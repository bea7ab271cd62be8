"""The shared words: one short line per verdict, figures that divide to the change beside
them, ids shortened in the middle, and a headline that says what matters."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from github_double import entry, report

from pytest_greenbudget.gate.lines import change_text, compared_figures, from_to, verdict_line
from pytest_greenbudget.paired.stats import PairedResult, round_floors
from pytest_greenbudget.render.view import build_view, component_split, totals
from pytest_greenbudget.render.wording import (
    change_cell,
    energy_cell,
    not_run_line,
    short_id,
    status,
)
from pytest_greenbudget.report.model import BaselineFigures, Component, TestEntry, Work


def paired(verdict: str, rounds: list[list[tuple[float, float]]], detectable: float) -> TestEntry:
    """A paired entry built the runner's way: figures the medians, change the floors' ratio."""
    flat = [p for r in rounds for p in r]
    result = PairedResult.from_rounds(rounds, 0.05)
    base = BaselineFigures(
        sorted(b for _, b in flat)[len(flat) // 2], tuple(b for _, b in flat), result.ratio,
        result.p_value, "paired-rounds-floor", mode="paired", ref="main", commit="abc1234",
        pairs=tuple(flat), detectable=detectable, floors=tuple(round_floors(r) for r in rounds),
    )  # fmt: skip
    heads = sorted(h for h, _ in flat)
    return TestEntry("t.py::test_fit", "passed", heads[len(heads) // 2], tuple(heads),
                     verdict=verdict, baseline=base)  # fmt: skip


def test_a_could_see_figure_past_tenfold_names_the_rounds_spread_instead() -> None:
    # The torch inference test whose energy was 0.9 or 1.65 CPU s by process: two rounds.
    bimodal = [[(1.90, 2.61)], [(2.72, 1.85)]]
    far = verdict_line(paired("inconclusive", bimodal, 215509.7))
    assert far == (
        "inconclusive: +3.5% (2.20 -> 2.27 J floors), could see only a change over 10x from 2 "
        "rounds reading 1.85 J to 2.72 J"
    )
    near = verdict_line(paired("inconclusive", bimodal, 8.5))  # up to tenfold: the figure
    assert near is not None and near.endswith("could see ≥ +850%")


# As on a shared VM: spikes move the medians (190 -> 236 mJ, +24%) but not the floors (+22%).
SPIKY = [[(0.236, 0.190), (0.227, 0.230), (0.290, 0.186)] for _ in range(10)]


def test_a_paired_line_shows_the_floors_the_change_is_the_ratio_of() -> None:
    test = paired("regressed", SPIKY, 0.05)
    line = verdict_line(test)
    assert line == "regressed: +22% (186 -> 227 mJ floors), p<0.001, 10 rounds"
    base_j, head_j, what = compared_figures(test) or (0.0, 0.0, "")
    assert head_j / base_j == pytest.approx(test.baseline.ratio if test.baseline else 0)
    assert what == "floors"


def test_an_inconclusive_line_says_what_the_gate_could_see_and_nothing_twice() -> None:
    rounds = [[(0.427, 0.426), (0.43, 0.425)], [(0.426, 0.427), (0.428, 0.426)]]
    line = verdict_line(paired("inconclusive", rounds, 0.15)) or ""
    assert line == "inconclusive: +0.2% (425 -> 426 mJ floors), could see ≥ +15%"
    assert line.count("inconclusive") == 1 and line.count("(") == 1


@pytest.mark.parametrize(
    ("verdict", "p", "ends"),
    [
        ("regressed", 0.002, "p=0.002, 5 runs a side"),
        ("improved", 0.0001, "p<0.001, 5 runs a side"),
        ("unchanged", 0.4, "within ±5%"),
        ("regressed", None, "ratio only, 5 runs a side"),
    ],
)
def test_unpaired_lines_name_their_medians(verdict: str, p: float | None, ends: str) -> None:
    test = entry("t.py::a", 1.2 if verdict != "improved" else 0.8, base=1.0, p_value=p,
                 verdict=verdict)  # fmt: skip
    line = verdict_line(test) or ""
    assert line.startswith(f"{verdict}: ") and "medians), " in line and line.endswith(ends)


def test_other_verdicts_have_no_comparison_line() -> None:
    assert verdict_line(entry("t.py::a", 1.0, verdict="ok")) is None
    over = entry("t.py::a", 1.2, base=1.0, verdict="over-budget")
    assert verdict_line(over) is None  # its message names the budget instead


def test_a_shared_unit_is_said_once() -> None:
    assert from_to(0.190, 0.227, "floors") == "190 -> 227 mJ floors"
    assert from_to(0.995, 1.29, "medians") == "995 mJ -> 1.29 J medians"
    assert from_to(0.99999, 1.3, "floors") == "1.00 -> 1.30 J floors"  # never "1000 mJ"


def test_a_per_unit_test_shows_its_per_unit_figure() -> None:
    test = replace(entry("t.py::b", 0.0742), work=Work(25_000, "sample"),
                   energy_per_unit_j=0.0742 / 25_000)  # fmt: skip
    assert energy_cell(test) == "2.97 µJ/sample"
    assert energy_cell(entry("t.py::c", None)) == "not measured"


def test_change_cells_for_new_and_removed_tests() -> None:
    assert change_cell(entry("t.py::n", 1.0, verdict="new")) == "new"
    assert change_cell(entry("t.py::m", 0.8, verdict="missing")) == "removed (was 800 mJ)"
    assert change_cell(entry("t.py::o", 1.0)) == "—"


def test_components_add_up_to_the_figure_shown() -> None:
    # Each component is the median of its own runs: 486 + 20 µJ is not the 497 µJ shown.
    test = replace(
        entry("t.py::c", 497e-6),
        components={"cpu": Component(486e-6, "estimated", "cputime"),
                    "dram": Component(20e-6, "measured", "rapl")},
    )  # fmt: skip
    split = component_split(test)
    assert math.fsum(j for _, j, _ in split) == pytest.approx(497e-6)
    assert [name for name, _, _ in split] == ["cpu", "dram"]
    assert split[0][1] / split[1][1] == pytest.approx(486 / 20)


@pytest.mark.parametrize(
    ("nodeid", "width", "shown"),
    [
        ("tests/deep/test_file.py::test_name", 80, "tests/deep/test_file.py::test_name"),
        ("tests/deep/test_file.py::test_name", 28, "…/test_file.py::test_name"),
        ("tests/deep/test_file.py::TestA::test_name", 30, "…/test_file.py::…::test_name"),
        (
            "tests/deep/test_sklearn_models.py::test_forest_fit",
            30,
            "test_s…els.py::test_forest_fit",
        ),
        ("a/test_inference.py::test_batch_predict[8192]", 30, "…::test_batch_predict[8192]"),
        # The README's example suite at 80 columns: the id column gets 35 characters.
        (
            "test_inference.py::test_batch_inference[4096]",
            35,
            "…::test_batch_inference[4096]",
        ),
        (
            "a/test_inference.py::test_batch_predict_with_a_very_long_name[8192]",
            30,
            "test…e.py::test_batc…ame[8192]",
        ),
    ],
)
def test_ids_are_shortened_in_the_middle_keeping_file_and_test(
    nodeid: str, width: int, shown: str
) -> None:
    assert short_id(nodeid, width) == shown
    assert len(short_id(nodeid, width)) <= width


@pytest.mark.parametrize("width", range(4, 60))
def test_a_short_id_never_exceeds_its_width(width: int) -> None:
    nodeid = "tests/models/test_sequence_classification.py::TestX::test_batch[adam-64-long]"
    assert len(short_id(nodeid, width)) <= max(width, 3)


def test_the_headline_names_no_overall_change_while_a_test_is_inconclusive() -> None:
    # A torch suite: one real +9.3%, two untouched tests at +30% that were not significant.
    tests = (
        entry("t.py::mlp", 2.04, base=1.87, verdict="regressed"),
        entry("t.py::cnn", 2.6, base=2.0, p_value=0.26, verdict="inconclusive"),
        entry("t.py::inf", 2.6, base=2.0, p_value=0.3, verdict="inconclusive"),
        entry("t.py::same", 1.0, base=1.0, p_value=0.9, verdict="unchanged"),
    )
    view = build_view(report(*tests))
    assert view.headline == "1 regressed · 2 inconclusive (too noisy to tell) · 8.24 J in total"
    decided = build_view(report(tests[0], tests[3]))
    assert decided.headline.endswith("· energy +5.9% vs base")  # every test decided
    # The totals keep the sum over every test and say what is in it.
    figures = dict(totals(report(*tests)))
    assert figures["Change (same tests)"] == "+20% (with 2 inconclusive)"
    assert dict(totals(report(tests[0], tests[3])))["Change (same tests)"] == "+5.9%"


def test_the_headline_counts_what_matters_and_never_ticks_inconclusive() -> None:
    tests = (
        entry("t.py::r", 1.3, base=1.0, verdict="regressed"),
        *(entry(f"t.py::i{i}", 1.01, base=1.0, p_value=0.4, verdict="inconclusive")
          for i in range(4)),
    )  # fmt: skip
    view = build_view(report(*tests))
    assert view.headline.startswith("1 regressed · 4 inconclusive (too noisy to tell) · ")
    assert view.mood == "fail"
    calm = build_view(report(*tests[1:]))
    assert calm.mood == "unsure" and not calm.failed
    assert build_view(report(entry("t.py::o", 1.0))).mood == "pass"


def test_a_compared_test_pytest_never_reached_keeps_its_verdict_and_one_line_says_so() -> None:
    reached = entry("t.py::a", 1.0, base=1.0, p_value=0.9, verdict="unchanged")
    stopped = replace(reached, outcome="not-run")
    assert status(stopped) == "unchanged"  # "not-run" in its place hid the verdict
    assert status(replace(stopped, verdict="regressed")) == "regressed"
    assert status(replace(stopped, verdict="missing")) == "missing"
    assert status(replace(stopped, verdict=None)) == "not-run"
    assert not_run_line(report(reached)) == ()
    assert not_run_line(report(stopped, replace(stopped, nodeid="t.py::b"))) == (
        "2 tests not run here: pytest stopped before them (-x, --maxfail or an interrupt); "
        "their verdicts are from the side-by-side rounds",
    )
    removed = replace(stopped, nodeid="t.py::c", verdict="missing")  # budgeted on base only
    assert not_run_line(report(removed)) == ()


def test_a_change_that_rounds_to_nothing_has_no_sign_of_a_fall() -> None:
    assert change_text(0.9996) == "+0.0%" and change_text(1.0004) == "+0.0%"
    assert change_text(0.9994) == "-0.1%" and change_text(1.25) == "+25%"
