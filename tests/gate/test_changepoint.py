"""The change-point detector behind the HTML history chart: it marks steps, it does not gate."""

from __future__ import annotations

import random

import pytest

from pytest_greenbudget.gate.changepoint import change_points

STEP_RUN = 18  # the first run (1-based) at the new level


def history(seed: int, step: float = 1.2, runs: int = 30, cv: float = 0.05) -> list[float]:
    rng = random.Random(seed)
    return [(step if i + 1 >= STEP_RUN else 1.0) * rng.lognormvariate(0, cv) for i in range(runs)]


@pytest.mark.parametrize("seed", range(10))
def test_a_20_percent_step_at_run_18_of_30_is_marked_within_2_runs(seed: int) -> None:
    steps = change_points(history(seed))
    assert any(abs((s.index + 1) - STEP_RUN) <= 2 for s in steps), steps
    nearest = min(steps, key=lambda s: abs(s.index + 1 - STEP_RUN))
    assert nearest.ratio == pytest.approx(1.2, rel=0.05)


@pytest.mark.parametrize("seed", range(10))
def test_the_same_noise_without_a_step_is_not_marked(seed: int) -> None:
    assert change_points(history(seed, step=1.0)) == []


def test_a_step_up_and_back_down_gives_two_markers() -> None:
    # One split of the whole series averages the two steps away; the local window sees both.
    level = [1.0, 1.01, 0.99, 1.0, 1.02, 0.98, 1.0]
    runs = level + [1.5 * v for v in level] + level
    assert [s.index for s in change_points(runs)] == [7, 14]


def test_a_perfect_counters_flat_sides_still_mark_their_step() -> None:
    assert [s.index for s in change_points([2.0] * 6 + [3.0] * 6)] == [6]


@pytest.mark.parametrize("runs", [[], [1.0, 2.0], [1.0] * 5, [1.0, 0.0, 1.0, 1.0, 2.0, 2.0, 2.0]])
def test_too_short_or_unusable_histories_get_no_marker(runs: list[float]) -> None:
    assert change_points(runs) == []
