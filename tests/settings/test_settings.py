"""Budget selection and precedence as pure functions."""

from __future__ import annotations

import pytest

from pytest_greenbudget.settings.plans import (
    BudgetSpec,
    Defaults,
    glob_match,
    make_plan,
    marker_spec,
)


@pytest.mark.parametrize(
    ("pattern", "nodeid", "matches"),
    [
        ("tests/test_infer.py::test_batch[*]", "tests/test_infer.py::test_batch[cpu-32]", True),
        ("tests/test_infer.py::test_batch[*]", "tests/test_infer.py::test_batch", False),
        ("*::test_fit", "tests/a/test_m.py::test_fit", True),
        ("tests/*", "tests/x.py::T::test_y", True),
        ("test_?.py::t", "test_a.py::t", True),
        ("test_[ab].py::t", "test_a.py::t", False),  # brackets are literal, not a class
        ("test_[ab].py::t", "test_[ab].py::t", True),
    ],
)
def test_glob(pattern: str, nodeid: str, matches: bool) -> None:
    assert glob_match(pattern, nodeid) is matches


def test_unbudgeted_test_has_no_plan() -> None:
    assert make_plan(Defaults(), None, None) is None


def test_marker_budget_is_taken_whole_over_file_budget() -> None:
    rule = BudgetSpec("greenbudget.yaml:3", carbon_g=1.0, repeats=9)
    marker = marker_spec((), {"energy": "2 J"}, "t.py:1", "t.py::t")
    plan = make_plan(Defaults(repeats=2), rule, marker)
    assert plan is not None
    assert plan.budget == marker  # no mixing of the marker's energy with the file's carbon
    assert plan.repeats == 9  # the marker did not say, the file did


def test_defaults_fill_what_nobody_said() -> None:
    plan = make_plan(Defaults(repeats=4, warmup=0, tolerance=0.1), BudgetSpec("f:1"), None)
    assert plan is not None
    assert (plan.repeats, plan.warmup, plan.tolerance, plan.budget) == (4, 0, 0.1, None)


def test_a_region_without_codecarbon_falls_back_to_the_world_average_and_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The energy needs no codecarbon (the default meter reads CPU time); a machine without it
    # (a GPU box's plain python3) once stopped the whole run with exit 4 over the grams.
    from pytest_greenbudget.settings import carbon

    monkeypatch.setattr(carbon, "find_spec", lambda name: None)
    carbon._energy_mix.cache_clear()  # a test before may have read the data
    settings = carbon.carbon_settings("fra", None, 1.2)
    assert settings.intensity_g_per_kwh == carbon.WORLD_INTENSITY
    assert settings.region is None and settings.pue == 1.2
    assert "region FRA needs codecarbon's data, which is not installed" in settings.source
    assert carbon.carbon_settings(None, 300.0, 1.0).intensity_g_per_kwh == 300.0
