from __future__ import annotations

import math
import random
import statistics

import numpy as np
import pytest
from scipy import special
from scipy import stats as scipy_stats

from pytest_greenbudget.gate import repeats, stats
from pytest_greenbudget.gate.repeats import repeats_needed
from pytest_greenbudget.gate.stats import (
    Summary,
    detect_change,
    session_noise_from,
    smallest_detectable,
)


def lognormal(rng: random.Random, n: int, cv: float, scale: float = 1.0) -> list[float]:
    """n samples whose median is ``scale`` and whose coefficient of variation is ``cv``."""
    sigma = math.sqrt(math.log1p(cv * cv))
    return [scale * math.exp(rng.gauss(0.0, sigma)) for _ in range(n)]


def flag_rate(n: int, cv: float, change: float, tolerance: float, trials: int, seed: int) -> float:
    rng = random.Random(seed)
    flagged = 0
    for _ in range(trials):
        base, head = lognormal(rng, n, cv), lognormal(rng, n, cv, 1.0 + change)
        flagged += detect_change(base, head, tolerance).verdict == "regressed"
    return flagged / trials


# --- the t distribution, against scipy ------------------------------------------------------


def test_betainc_matches_scipy() -> None:
    rng = random.Random(1)
    for _ in range(500):
        a, b, x = rng.uniform(0.05, 60), rng.uniform(0.05, 60), rng.random()
        assert stats.betainc(a, b, x) == pytest.approx(special.betainc(a, b, x), abs=1e-13)
    assert stats.betainc(2.0, 3.0, 0.0) == 0.0
    assert stats.betainc(2.0, 3.0, 1.0) == 1.0


@pytest.mark.parametrize("df", [1.0, 1.7, 2.0, 3.3, 8.0, 29.5, 400.0])
def test_t_tails_match_scipy(df: float) -> None:
    for t in (-40.0, -3.1, -0.2, 0.0, 0.4, 1.9, 4.2, 12.0, 80.0):
        assert stats.t_sf(t, df) == pytest.approx(scipy_stats.t.sf(t, df), rel=1e-11, abs=1e-300)
    for p in (0.4, 0.025, 0.01, 1e-6):
        assert stats.t_isf(p, df) == pytest.approx(scipy_stats.t.isf(p, df), rel=1e-10)
    assert stats.t_sf(math.inf, df) == 0.0
    assert stats.t_sf(-math.inf, df) == 1.0


# --- p-values, against scipy's Welch and Yuen tests ------------------------------------------


def scipy_p(base: list[float], head: list[float], trim: float, up: bool) -> float:
    result = scipy_stats.ttest_ind(
        np.log(head),
        np.log(base),
        equal_var=False,
        trim=trim,
        alternative="greater" if up else "less",
    )
    return float(result.pvalue)


@pytest.mark.parametrize(("n_base", "n_head"), [(2, 2), (2, 5), (3, 3), (4, 5), (5, 5), (5, 9)])
def test_welch_p_value_matches_scipy(n_base: int, n_head: int) -> None:
    rng = random.Random(n_base * 100 + n_head)
    for _ in range(30):
        base = lognormal(rng, n_base, 0.04)
        head = lognormal(rng, n_head, 0.06, rng.choice([0.97, 1.0, 1.05]))
        change = detect_change(base, head, 0.05)
        assert change.method == "welch"
        expected = scipy_p(base, head, 0.0, up=change.ratio >= 1)
        assert change.p_value == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(("n_base", "n_head"), [(6, 6), (7, 6), (10, 10), (12, 15), (20, 31)])
def test_yuen_p_value_matches_scipy(n_base: int, n_head: int) -> None:
    rng = random.Random(n_base * 100 + n_head)
    for _ in range(30):
        base = [*lognormal(rng, n_base, 0.05), 3.0]  # an outlier, which trimming is there for
        head = lognormal(rng, n_head, 0.05, rng.choice([0.95, 1.0, 1.08]))
        change = detect_change(base, head, 0.05)
        assert change.method == "yuen"
        expected = scipy_p(base, head, 0.2, up=change.ratio >= 1)
        assert change.p_value == pytest.approx(expected, rel=1e-9)


def test_yuen_falls_back_to_welch_when_trimming_leaves_no_spread() -> None:
    base, head = [1.0] * 5 + [1.3], [2.0] * 5 + [2.1]
    change = detect_change(base, head, 0.05)
    assert change.method == "welch"
    assert change.p_value == pytest.approx(scipy_p(base, head, 0.0, up=True), rel=1e-9)


# --- verdicts -------------------------------------------------------------------------------


def test_regressed_needs_both_ratio_and_significance() -> None:
    base = [3.10, 3.11, 3.09, 3.10, 3.12]
    change = detect_change(base, [3.81, 3.80, 3.83, 3.79, 3.82], 0.05)
    assert change.verdict == "regressed"
    assert change.ratio == pytest.approx(3.81 / 3.10)
    assert change.p_value is not None and change.p_value < 0.01
    significant_but_small = detect_change(base, [3.19, 3.20, 3.18, 3.19, 3.21], 0.05)
    assert significant_but_small.p_value is not None and significant_but_small.p_value < 0.01
    assert significant_but_small.verdict == "unchanged"
    large_but_noisy = detect_change([2.0, 3.1, 4.5], [2.2, 3.6, 5.0], 0.05)
    assert large_but_noisy.ratio > 1.05
    assert large_but_noisy.verdict == "inconclusive"  # too noisy to have seen +5% either


def test_improved_is_the_mirror_image() -> None:
    base = [3.81, 3.80, 3.83, 3.79, 3.82]
    change = detect_change(base, [3.10, 3.11, 3.09, 3.10, 3.12], 0.05)
    assert change.verdict == "improved"
    assert change.ratio < 0.95
    expected = scipy_p(base, [3.10, 3.11, 3.09, 3.10, 3.12], 0.0, up=False)
    assert change.p_value == pytest.approx(expected, rel=1e-9)


def test_p_value_is_one_sided_in_the_direction_of_the_ratio() -> None:
    change = detect_change([1.0, 1.1, 0.9], [1.05, 1.15, 0.95], 0.05)
    assert change.ratio > 1
    assert change.p_value == pytest.approx(scipy_p([1.0, 1.1, 0.9], [1.05, 1.15, 0.95], 0, True))


@pytest.mark.parametrize(
    ("base", "head", "note"),
    [
        ([3.10], [3.81, 3.80], stats.TOO_FEW),
        ([3.10, 3.12], [3.81], stats.TOO_FEW),
        ([3.10, 3.10, 3.10], [3.81, 3.81], stats.NO_SPREAD),
        ([3.10, 0.0, 3.10], [3.81, 3.80, 3.82], stats.NON_POSITIVE),
    ],
)
def test_falls_back_to_the_ratio_and_says_why(
    base: list[float], head: list[float], note: str
) -> None:
    change = detect_change(base, head, 0.05)
    assert (change.method, change.p_value, change.note) == ("ratio-only", None, note)
    assert change.verdict == "regressed"
    assert detect_change(base, head, 0.30).verdict == "unchanged"
    assert detect_change(head, base, 0.05).verdict == "improved"


@pytest.mark.filterwarnings("ignore:Precision loss:RuntimeWarning")  # scipy, on the flat side
def test_one_flat_side_is_still_testable() -> None:
    change = detect_change([2.0, 2.0, 2.0], [2.5, 2.52, 2.49], 0.05)
    assert change.method == "welch"
    assert change.p_value == pytest.approx(scipy_p([2.0] * 3, [2.5, 2.52, 2.49], 0.0, True))


@pytest.mark.parametrize(
    ("base", "head", "tolerance", "alpha"),
    [
        ([], [1.0], 0.05, 0.01),
        ([1.0], [-1.0], 0.05, 0.01),
        ([1.0, math.nan], [1.0], 0.05, 0.01),
        ([0.0, 0.0], [1.0], 0.05, 0.01),
        ([1.0], [1.0], -0.05, 0.01),
        ([1.0], [1.0], 0.05, 1.5),
    ],
)
def test_rejects_what_no_ratio_can_be_formed_from(
    base: list[float], head: list[float], tolerance: float, alpha: float
) -> None:
    with pytest.raises(ValueError):
        detect_change(base, head, tolerance, alpha)


# --- the rule's error rates on simulated lognormal noise ------------------------------------


@pytest.mark.parametrize(("n", "cv"), [(5, 0.03), (10, 0.05), (3, 0.01)])
def test_false_positives_stay_under_one_percent(n: int, cv: float) -> None:
    assert flag_rate(n, cv, change=0.0, tolerance=0.05, trials=2000, seed=n) <= 0.01


def test_the_significance_test_alone_holds_its_size() -> None:
    # Tolerance 0 takes the ratio gate away: what is left must flag about alpha of null runs
    # (2000 trials: 1% +- 0.22%), or the p-values are wrong.
    assert flag_rate(5, 0.03, change=0.0, tolerance=0.0, trials=2000, seed=7) <= 0.016


def test_finds_a_ten_percent_regression_at_cv_two_percent_with_five_repeats() -> None:
    assert flag_rate(5, 0.02, change=0.10, tolerance=0.05, trials=2000, seed=11) >= 0.90


# --- summaries ------------------------------------------------------------------------------


def test_summary_interval_is_the_t_interval_of_the_log_samples() -> None:
    samples = [3.1, 3.3, 2.9, 3.0, 3.6]
    summary = Summary.from_samples(samples)
    logs = np.log(samples)
    low, high = scipy_stats.t.interval(
        0.95, len(logs) - 1, loc=logs.mean(), scale=scipy_stats.sem(logs)
    )
    assert (summary.n, summary.median) == (5, 3.1)
    assert summary.ci == pytest.approx((math.exp(low), math.exp(high)), rel=1e-10)
    assert summary.cv == pytest.approx(np.std(samples, ddof=1) / np.mean(samples))


def test_summary_interval_covers_the_median_95_percent_of_the_time() -> None:
    rng = random.Random(3)
    covered = 0
    for _ in range(1000):
        summary = Summary.from_samples(lognormal(rng, 4, 0.05, scale=2.0))
        covered += summary.ci_low <= 2.0 <= summary.ci_high
    assert 0.93 <= covered / 1000 <= 0.975


def test_summary_of_odd_samples() -> None:
    single = Summary.from_samples([4.2])
    assert (single.median, single.ci, single.cv) == (4.2, None, 0.0)
    with_zero = Summary.from_samples([0.0, 0.001, 0.002])
    assert with_zero.ci is not None and with_zero.ci[0] < 0.001 < with_zero.ci[1]
    # An outlier drags the geometric mean away; the interval still holds the median shown.
    skewed = Summary.from_samples([1.0] * 9 + [1e6])
    assert skewed.ci_low <= skewed.median <= skewed.ci_high
    with pytest.raises(ValueError):
        Summary.from_samples([])


# --- repeats guidance -----------------------------------------------------------------------


def test_repeats_needed_for_the_design_examples() -> None:
    assert repeats_needed(0.01, 0.05) == 3
    assert repeats_needed(0.02, 0.05) == 4
    assert repeats_needed(0.03, 0.05) == 5
    assert repeats_needed(0.05, 0.05) == 12
    assert repeats_needed(0.0, 0.05) == 3
    assert repeats_needed(0.2, 0.05) is None


def test_repeats_needed_grows_with_noise_and_shrinks_with_larger_changes() -> None:
    needed = [repeats_needed(cv / 100, 0.05) or 51 for cv in range(1, 15)]
    assert needed == sorted(needed)
    assert (repeats_needed(0.05, 0.05, change=0.2) or 51) < (repeats_needed(0.05, 0.05) or 51)


@pytest.mark.parametrize(("cv", "tolerance"), [(0.02, 0.05), (0.03, 0.05), (0.05, 0.05)])
def test_repeats_needed_delivers_the_power_it_promises(cv: float, tolerance: float) -> None:
    n = repeats_needed(cv, tolerance)
    assert n is not None
    # 1000 trials: a true 90% reads as 87% or more at three standard errors.
    assert flag_rate(n, cv, 2 * tolerance, tolerance, trials=1000, seed=n) >= 0.87
    if n - 2 >= repeats.MIN_REPEATS:  # and it does not ask for many more than needed
        assert flag_rate(n - 2, cv, 2 * tolerance, tolerance, trials=1000, seed=n) < 0.90


@pytest.mark.parametrize(
    ("cv", "tolerance", "change"), [(-0.1, 0.05, None), (0.03, 0.0, None), (0.03, 0.05, 0.05)]
)
def test_repeats_needed_rejects_changes_it_cannot_promise(
    cv: float, tolerance: float, change: float | None
) -> None:
    with pytest.raises(ValueError):
        repeats_needed(cv, tolerance, change)


# --- session noise ----------------------------------------------------------------------------


def _sessions(
    rng: random.Random, n: int, within: float, between: float, scale: float
) -> list[float]:
    """One session's n runs: the session's own luck times each run's."""
    session = rng.lognormvariate(0.0, between)
    return [scale * session * rng.lognormvariate(0.0, within) for _ in range(n)]


def test_within_session_p_values_cry_wolf_when_sessions_drift() -> None:
    # The failure that motivated session noise: identical code, sessions that drift by 20%.
    rng = random.Random(7)
    alarms = sum(
        detect_change(
            _sessions(rng, 5, 0.03, 0.2, 1.0), _sessions(rng, 5, 0.03, 0.2, 1.0), 0.05
        ).verdict
        == "regressed"
        for _ in range(500)
    )
    assert alarms / 500 > 0.2


@pytest.mark.parametrize("n", [1, 3, 5])
def test_session_noise_holds_false_alarms_near_alpha(n: int) -> None:
    rng = random.Random(11 + n)
    trials = 2000
    alarms = sum(
        detect_change(
            _sessions(rng, n, 0.03, 0.2, 1.0), _sessions(rng, n, 0.03, 0.2, 1.0), 0.05,
            session_noise=math.sqrt(math.expm1(0.2**2)),
        ).verdict == "regressed"
        for _ in range(trials)
    )  # fmt: skip
    # Nominal 1% (alpha); 2000 trials carry a Monte-Carlo standard deviation of 0.22%.
    assert alarms / trials <= 0.015


def test_session_noise_still_catches_what_it_can_see() -> None:
    rng = random.Random(3)
    noise = 0.05
    sigma = math.sqrt(math.log1p(noise**2))
    hits = sum(
        detect_change(
            _sessions(rng, 5, 0.02, sigma, 1.0), _sessions(rng, 5, 0.02, sigma, 1.5), 0.05,
            session_noise=noise,
        ).verdict == "regressed"
        for _ in range(1000)
    )  # fmt: skip
    assert hits / 1000 >= 0.9  # +50% is well above the +18% floor at 5% session noise


def test_single_runs_use_a_z_test_on_session_noise() -> None:
    change = detect_change([1.0], [3.0], 0.05, session_noise=0.25)
    assert change.method == "z" and change.verdict == "regressed"
    expected = 1 - statistics.NormalDist().cdf(math.log(3.0) / math.sqrt(2 * math.log1p(0.0625)))
    assert change.p_value == pytest.approx(expected)
    assert detect_change([1.0], [1.5], 0.05, session_noise=0.25).verdict == "inconclusive"
    assert detect_change([1.0], [1.5], 0.05).method == "ratio-only"


def test_smallest_detectable_change() -> None:
    assert smallest_detectable(0.0) == 0.0
    assert smallest_detectable(0.03) == pytest.approx(0.104, abs=0.002)
    assert smallest_detectable(0.25) == pytest.approx(1.25, abs=0.01)


def test_session_noise_from_recovers_the_simulated_cv() -> None:
    rng = random.Random(5)
    sigma = math.sqrt(math.log1p(0.15**2))
    sessions = {f"t{i}": [rng.lognormvariate(0.0, sigma) for _ in range(6)] for i in range(20)}
    cv, dof = session_noise_from(sessions)
    assert dof == 100
    assert cv == pytest.approx(0.15, rel=0.15)
    with pytest.raises(ValueError, match="at least two sessions"):
        session_noise_from({"t": [1.0]})


# --- unchanged or inconclusive: could the comparison have seen a change of the tolerance? ---


def test_a_doubling_with_low_noise_is_regressed() -> None:
    rng = random.Random(21)
    change = detect_change(
        lognormal(rng, 5, 0.01), lognormal(rng, 5, 0.01, 2.0), 0.05, session_noise=0.005
    )
    assert change.verdict == "regressed"
    assert change.detectable is not None and change.detectable < 0.05


def test_a_doubling_under_huge_noise_is_inconclusive_with_the_detectable_change() -> None:
    # One run a side against 50% session noise: the z-test's standard error is the session
    # noise alone, so the detectable change has a closed form to check against.
    change = detect_change([1.0], [2.0], 0.05, session_noise=0.5)
    assert change.method == "z" and change.verdict == "inconclusive"
    se = math.sqrt(2 * math.log1p(0.25))
    z = statistics.NormalDist().inv_cdf
    assert change.detectable == pytest.approx(math.expm1((z(0.99) + z(0.9)) * se))
    assert change.detectable == pytest.approx(10.1, abs=0.05)  # +1010%: a doubling hides


def test_the_detectable_change_of_a_welch_test_matches_scipys_power() -> None:
    # At the detectable change, a shift of the logs by that much is found 90% of the time:
    # checked with scipy's noncentral t at the Welch test's own degrees of freedom.
    base, head = [3.0, 3.3, 2.9, 3.1, 3.2], [3.1, 3.0, 3.4, 3.2, 2.8]
    change = detect_change(base, head, 0.05, session_noise=0.02)
    assert change.method == "welch" and change.detectable is not None
    lb, lh = np.log(base), np.log(head)
    se2 = lb.var(ddof=1) / 5 + lh.var(ddof=1) / 5
    known = 2 * math.log1p(0.02**2)
    dof = (se2 + known) ** 2 / ((lb.var(ddof=1) / 5) ** 2 / 4 + (lh.var(ddof=1) / 5) ** 2 / 4)
    shift = math.log1p(change.detectable) / math.sqrt(se2 + known)
    critical = scipy_stats.t.isf(0.01, dof)
    assert scipy_stats.nct.sf(critical, dof, shift) == pytest.approx(0.9, abs=0.01)


def test_a_a_with_low_noise_is_unchanged() -> None:
    rng = random.Random(22)
    verdicts = [
        detect_change(lognormal(rng, 5, 0.01), lognormal(rng, 5, 0.01), 0.05, session_noise=0.005)
        for _ in range(200)
    ]
    assert {c.verdict for c in verdicts} == {"unchanged"}
    assert all(c.detectable is not None and c.detectable < 0.05 for c in verdicts)


def test_inconclusive_never_hides_a_significant_change() -> None:
    # A regression found is a regression, however large the detectable change.
    change = detect_change([1.0, 1.01, 0.99], [9.0, 9.1, 8.9], 0.05, session_noise=0.25)
    assert change.detectable is not None and change.detectable > 0.05
    assert change.verdict == "regressed"


def test_ratio_only_has_no_detectable_change() -> None:
    change = detect_change([1.0], [1.02], 0.05)
    assert change.method == "ratio-only" and change.detectable is None
    assert change.verdict == "unchanged"


def test_detectable_change_at_infinite_degrees_of_freedom_is_the_normal_one() -> None:
    z = statistics.NormalDist().inv_cdf
    assert stats.detectable_change(0.1, math.inf) == pytest.approx(
        math.expm1(0.1 * (z(0.99) + z(0.9)))
    )
    assert stats.detectable_change(0.1, 4.0) > stats.detectable_change(0.1, 40.0)
