"""The paired statistics (paired/stats.py): one comparison's verdicts and the round's floor.
The looks over rounds and their false-alarm rate: test_sequential.py."""

from __future__ import annotations

import math

import pytest

from pytest_greenbudget.paired.stats import (
    DEFAULT_DESIGN,
    LEVEL_BAND,
    PairedDesign,
    PairedResult,
    floor_size,
    level,
    quiet,
    round_effect,
    round_floors,
)


def rounds_of(ratios: list[float], base: float = 2.0) -> list[list[tuple[float, float]]]:
    return [[(base * r, base)] for r in ratios]


def test_identical_sides_are_unchanged_with_nothing_to_test() -> None:
    result = PairedResult.from_rounds(rounds_of([1.0] * 4), 0.05)
    assert (result.verdict, result.ratio, result.p_up, result.rounds) == ("unchanged", 1.0, 1.0, 4)


def test_an_exact_doubling_regresses_with_p_zero() -> None:
    result = PairedResult.from_rounds(rounds_of([2.0, 2.0, 2.0]), 0.05)
    assert result.verdict == "regressed"
    assert result.ratio == pytest.approx(2.0)
    assert result.p_value == 0.0


def test_a_halving_is_an_improvement() -> None:
    result = PairedResult.from_rounds(rounds_of([0.5, 0.52, 0.49, 0.51]), 0.05)
    assert result.verdict == "improved"
    assert result.p_value is not None and result.p_value < 0.01


def test_a_change_within_the_tolerance_is_unchanged_even_when_significant() -> None:
    result = PairedResult.from_rounds(rounds_of([1.03, 1.031, 1.029, 1.03]), 0.05)
    assert result.p_up is not None and result.p_up < 0.01
    assert result.verdict == "unchanged"


def test_beyond_the_tolerance_but_noisy_is_inconclusive_and_wants_more() -> None:
    result = PairedResult.from_rounds(rounds_of([1.3, 0.95, 1.25, 1.0]), 0.05)
    assert result.verdict == "inconclusive"
    assert result.wants_more(0.05)
    assert result.detectable is not None and result.detectable > result.ratio - 1.0


def test_the_round_is_the_unit_not_the_pair() -> None:
    # Two rounds whose pairs agree perfectly inside each round but disagree between them:
    # counting the four pairs as independent would call +22% significant.
    rounds = [[(1.5, 1.0), (1.5, 1.0)], [(1.0, 1.0), (1.0, 1.0)]]
    result = PairedResult.from_rounds(rounds, 0.05)
    assert result.rounds == 2
    assert result.ratio == pytest.approx(math.sqrt(1.5))
    assert result.verdict == "inconclusive"


def test_one_round_has_no_p_value() -> None:
    result = PairedResult.from_rounds(rounds_of([1.5]), 0.05)
    assert (result.p_value, result.detectable, result.verdict) == (None, None, "inconclusive")


def test_a_zero_reading_has_no_log_ratio() -> None:
    with pytest.raises(ValueError, match="zero-energy"):
        PairedResult.from_rounds([[(0.0, 1.0)]], 0.05)


def test_rounds_a_test_sat_out_are_skipped() -> None:
    result = PairedResult.from_rounds([[(2.0, 1.0)], [], [(2.0, 1.0)]], 0.05)
    assert result.rounds == 2


def test_within_the_tolerance_but_too_noisy_to_tell_is_inconclusive_not_unchanged() -> None:
    # Estimate +1%, but rounds that scatter by tens of percent could not have found +5%:
    # calling that "unchanged" would be the false all-clear the unpaired gate also refuses.
    result = PairedResult.from_rounds(rounds_of([1.3, 0.8, 1.25, 0.82, 1.0]), 0.05)
    assert abs(result.ratio - 1.0) < 0.05
    assert result.detectable is not None and result.detectable > 0.05
    assert result.verdict == "inconclusive" and not result.wants_more(0.05)


def test_detectable_is_a_change_as_in_the_unpaired_gate() -> None:
    from pytest_greenbudget.gate.stats import detectable_change

    ratios = [1.01, 0.99, 1.02, 0.98, 1.0, 1.0]
    result = PairedResult.from_rounds(rounds_of(ratios), 0.05)
    logs = [math.log(r) for r in ratios]
    mean = sum(logs) / len(logs)
    se = math.sqrt(sum((x - mean) ** 2 for x in logs) / (len(logs) - 1) / len(logs))
    assert result.detectable == pytest.approx(detectable_change(se, len(logs) - 1))
    assert result.verdict == "unchanged"  # it could have seen +5%, and did not


def test_a_round_compares_floors_so_a_spike_on_one_side_does_not_move_it() -> None:
    # Four pairs, one head run read 3x its floor (as a shared VM does one run in four or
    # five): the mean of log ratios would say +27%, the floors say 0.
    pairs = [(1.0, 1.0), (3.0, 1.02), (1.01, 1.0), (1.0, 1.01)]
    assert round_effect(pairs) == pytest.approx(0.0)
    assert sum(math.log(h / b) for h, b in pairs) / 4 > 0.25


def test_a_floor_is_the_lowest_quarter_and_at_least_one_run() -> None:
    assert round_effect([(2.0, 1.0)]) == pytest.approx(math.log(2.0))
    six = [(h, 1.0) for h in (5.0, 1.0, 4.0, 2.0, 6.0, 3.0)]  # lowest quarter: 1 and 2
    assert round_effect(six) == pytest.approx(math.log(1.5))
    # The default 4 pairs: 3 of the 4 head runs spiked, the floor is still the quiet one.
    four = [(h, 1.0) for h in (2.1, 1.0, 2.9, 2.5)]
    assert round_effect(four) == pytest.approx(0.0)


# --- fewer pairs after a quiet first round ----------------------------------------------------

QUIET = [(1.00, 1.01), (1.02, 1.00), (1.01, 1.03), (1.00, 1.02)]  # all within 3%


def test_a_first_round_ends_after_two_quiet_pairs() -> None:
    design = DEFAULT_DESIGN
    assert not design.round_done([], QUIET[:1])
    assert design.round_done([], QUIET[:2])
    spiked = [QUIET[0], (1.00, 1.30)]
    assert not design.round_done([], spiked)  # not quiet: the round goes on to four pairs
    assert not design.round_done([], [*spiked, QUIET[2]])
    assert design.round_done([], [*spiked, *QUIET[2:]])
    assert design.round_done([QUIET[:2]], QUIET[:1])  # later rounds of a quiet test: one pair
    assert not design.round_done([spiked], QUIET[:2])  # a noisy test's: four, quiet or not
    given = PairedDesign(pairs=4, quiet_pairs=None)  # --greenbudget-against-pairs=4
    assert not given.round_done([], QUIET[:2])


def test_a_quiet_first_round_takes_one_pair_in_each_later_round() -> None:
    assert DEFAULT_DESIGN.pairs_for([]) == 4  # the first round: spikes need four
    assert DEFAULT_DESIGN.pairs_for([QUIET]) == 1
    assert DEFAULT_DESIGN.pairs_for([QUIET, [(1.5, 1.0)], [(1.0, 1.0)]]) == 1  # decided once
    assert DEFAULT_DESIGN.pairs_for([[], QUIET]) == 1  # a round it sat out is not its first


@pytest.mark.parametrize(
    "first",
    [
        [*QUIET[:3], (1.00, 1.30)],  # one spike on the base
        [(1.06, 1.00), (1.05, 1.01), (1.06, 1.00), (1.05, 1.00)],  # a 5% rise: keep precision
        [(1.00, 1.00)],  # one pair shows no spread
        [(0.0, 1.0), (1.0, 1.0)],  # a zero reading
    ],
)
def test_a_spike_a_change_or_too_few_runs_keep_four_pairs(first: list[tuple[float, float]]) -> None:
    assert not quiet(first)
    assert DEFAULT_DESIGN.pairs_for([first]) == 4


def test_the_rule_reads_both_sides_as_one_set_so_swapping_them_changes_nothing() -> None:
    # Why the false-alarm bound survives it: under A/A a round's ratio stays symmetric.
    for first in ([*QUIET[:3], (1.00, 1.045)], QUIET):
        swapped = [(base, head) for head, base in first]
        assert quiet(first) == quiet(swapped)


def test_pairs_the_user_gave_are_used_in_every_round() -> None:
    given = PairedDesign(pairs=3, quiet_pairs=None)
    assert given.pairs_for([QUIET]) == 3
    assert PairedDesign(pairs=1).pairs_for([QUIET]) == 1  # never more than asked for


# --- a round goes on until its floors stand on one level --------------------------------------

FAST, SLOW = 1.0, 1.55  # a runner whose speed switches between two levels


def test_a_side_with_no_run_at_the_fast_level_keeps_its_round_going() -> None:
    # The head's four runs all fell on the slow level, the base's did not: the floors would
    # read +55%, the levels' ratio, not the code's change.
    stuck = [(SLOW, FAST), (SLOW * 1.01, SLOW), (SLOW, FAST * 1.01), (SLOW * 1.02, SLOW)]
    assert not DEFAULT_DESIGN.round_done([], stuck)
    reached = [*stuck, (FAST * 1.02, SLOW)]  # a fifth pair finds the head's fast level
    assert DEFAULT_DESIGN.round_done([], reached)
    assert round_effect(reached, DEFAULT_DESIGN.pairs) == pytest.approx(math.log(1.02))


def test_a_round_that_never_finds_the_level_stops_at_twice_its_pairs() -> None:
    stuck = [(SLOW, FAST), (SLOW, SLOW)] * 4
    assert DEFAULT_DESIGN.most_pairs([]) == 8
    assert not DEFAULT_DESIGN.round_done([], stuck[:7])
    assert DEFAULT_DESIGN.round_done([], stuck)
    assert DEFAULT_DESIGN.most_pairs([QUIET]) == 2  # a quiet test's one pair, at most two


def test_a_steady_meter_reading_a_large_change_is_not_kept_going() -> None:
    # Neither side's runs show a second level: a doubling is the code, and costs no more.
    doubled = [(2.0, 1.0), (2.01, 1.0), (2.0, 1.01), (2.02, 1.0)]
    assert DEFAULT_DESIGN.round_done([], doubled)
    # With levels in the round, a change past the band cannot look level: it takes 8 pairs.
    noisy = [(2.0, FAST), (2.0 * SLOW, SLOW), (2.0, FAST), (2.0, SLOW)]
    assert not DEFAULT_DESIGN.round_done([], noisy)
    assert PairedDesign(level_band=None).round_done([], noisy)  # the rule off: never extended


def test_the_pairs_a_round_adds_for_its_level_do_not_widen_the_floor() -> None:
    # Eight pairs would average a side's lowest two; one of them on the slow level would put
    # the floor between the levels. The design's four keep one.
    eight = [(FAST, FAST), *[(SLOW, SLOW)] * 7]
    assert floor_size(8) == 2 and floor_size(8, planned=4) == 1
    assert round_floors(eight, 4) == (FAST, FAST)
    assert round_effect(eight) == pytest.approx(0.0)  # both sides the same, either way
    assert round_floors([(FAST, FAST), (SLOW, FAST), *[(SLOW, SLOW)] * 6], 8) == (
        pytest.approx((FAST + SLOW) / 2),
        FAST,
    )  # a user's 8 pairs keep their lowest quarter


@pytest.mark.parametrize(
    "pairs",
    [
        [(SLOW, FAST), (SLOW, SLOW), (SLOW, FAST), (SLOW, SLOW)],
        [(FAST, FAST), (SLOW, SLOW), (FAST, SLOW), (SLOW, FAST)],
        [(1.2, 1.0), (1.25, 1.0), (1.2, 1.01), (1.21, 1.0)],
    ],
)
def test_the_level_rule_reads_both_sides_as_one_set(pairs: list[tuple[float, float]]) -> None:
    # Under A/A a round's ratio stays symmetric, and rounds independent: the bound survives.
    swapped = [(base, head) for head, base in pairs]
    assert level(pairs, LEVEL_BAND, 4) == level(swapped, LEVEL_BAND, 4)
