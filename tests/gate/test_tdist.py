"""The t distribution at any degrees of freedom, fuzzed against scipy (issue 17, item 11).

A Welch test with a known session noise and a quiet sample reaches df 1e7 and far beyond;
the quantile's Newton steps did not settle there and ``greenbudget compare`` ended in a
traceback, ``pytest --greenbudget-baseline`` in INTERNALERROR.
"""

from __future__ import annotations

import math
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats as scipy_stats

from pytest_greenbudget.gate import history
from pytest_greenbudget.gate.stats import Change, detect_change
from pytest_greenbudget.gate.tdist import LARGE_DF, t_isf, t_sf
from pytest_greenbudget.paired.stats import PairedResult

FUZZ = settings(
    max_examples=int(os.environ.get("GREENBUDGET_FUZZ_EXAMPLES", "300")),
    deadline=None,  # a shared 2-core VM: timing says nothing here
    suppress_health_check=[HealthCheck.too_slow],
)
# Degrees of freedom spread evenly on a log scale from 1 to 1e12, as the brief asks, with
# the switch-over point and its neighbours drawn often.
DF = st.floats(0.0, 12.0).map(lambda e: 10.0**e) | st.sampled_from(
    [1.0, 2.0, LARGE_DF * 0.999, LARGE_DF, LARGE_DF * 1.001, 1e7, 1.1278e7, 4.6578e11, 1e12]
)
P = st.floats(1e-12, 1.0, exclude_max=True, exclude_min=True)
T = st.floats(-40.0, 40.0)


@FUZZ
@given(p=P, df=DF)
def test_the_quantile_matches_scipy_at_any_degrees_of_freedom(p: float, df: float) -> None:
    expected = scipy_stats.t.isf(p, df)
    assert t_isf(p, df) == pytest.approx(expected, rel=1e-6, abs=1e-9)


@FUZZ
@given(t=T, df=DF)
def test_the_tail_matches_scipy_at_any_degrees_of_freedom(t: float, df: float) -> None:
    expected = scipy_stats.t.sf(t, df)
    got = t_sf(t, df)
    assert 0.0 <= got <= 1.0
    assert got == pytest.approx(expected, rel=1e-6, abs=1e-300)


@FUZZ
@given(p=P, df=DF)
def test_the_tail_of_the_quantile_is_p(p: float, df: float) -> None:
    assert t_sf(t_isf(p, df), df) == pytest.approx(p, rel=1e-6)


def test_the_quantile_that_did_not_converge() -> None:
    """The failing calls of the report (df 1.1e7 at 2% session noise, 4.7e11 at 25%)."""
    for df in (11278085.6714151, 465781908310.41724, 1e10):
        assert t_isf(0.1, df) == pytest.approx(scipy_stats.t.isf(0.1, df), rel=1e-9)


def test_infinite_degrees_of_freedom_are_the_normal_distribution() -> None:
    assert t_isf(0.01, math.inf) == pytest.approx(scipy_stats.norm.isf(0.01), rel=1e-12)
    assert t_sf(2.0, math.inf) == pytest.approx(scipy_stats.norm.sf(2.0), rel=1e-12)


@pytest.mark.parametrize("df", [0.0, -1.0, math.nan])
def test_no_distribution_without_degrees_of_freedom(df: float) -> None:
    with pytest.raises(ValueError, match="degrees of freedom"):
        t_sf(1.0, df)
    with pytest.raises(ValueError, match="degrees of freedom"):
        t_isf(0.1, df)


# --- the statistics built on it: quiet data never ends in an exception ------------------------

QUIET = st.lists(st.floats(0.999, 1.001), min_size=2, max_size=8)  # 0.1% spread or less
SCALE = st.floats(1e-6, 1e6)
NOISE = st.sampled_from([0.0, 0.003, 0.02, 0.25]) | st.floats(0.0, 1.0)


@FUZZ
@given(base=QUIET, head=QUIET, scale=SCALE, noise=NOISE)
def test_quiet_samples_always_get_a_verdict(
    base: list[float], head: list[float], scale: float, noise: float
) -> None:
    change = detect_change(
        [b * scale for b in base], [h * scale for h in head], 0.05, session_noise=noise
    )
    assert isinstance(change, Change)
    assert change.verdict in ("regressed", "improved", "unchanged", "inconclusive")


@FUZZ
@given(runs=QUIET, head=QUIET, scale=SCALE)
def test_quiet_histories_always_get_a_verdict(
    runs: list[float], head: list[float], scale: float
) -> None:
    judged = history.history_change([r * scale for r in runs], [h * scale for h in head], 0.05)
    assert judged is None or judged[0].verdict in (
        "regressed",
        "improved",
        "unchanged",
        "inconclusive",
    )


ROUND = st.lists(
    st.tuples(st.floats(0.999, 1.001), st.floats(0.999, 1.001)), min_size=1, max_size=4
)


@FUZZ
@given(rounds=st.lists(ROUND, min_size=2, max_size=8))
def test_quiet_paired_rounds_always_get_a_verdict(
    rounds: list[list[tuple[float, float]]],
) -> None:
    result = PairedResult.from_rounds(rounds, 0.05, 0.005)
    assert result.verdict in ("regressed", "improved", "unchanged", "inconclusive")
