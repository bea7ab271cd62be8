"""The profile diff's arithmetic: matching, units, ranking."""

from __future__ import annotations

from pytest_greenbudget.gate.profile_diff import Profile, profile_diff


def test_a_function_that_moved_lines_is_still_one_function() -> None:
    base = Profile.from_rows([["m.py", 10, "train", 1.0], ["m.py", 30, "load", 1.0]])
    head = Profile.from_rows([["m.py", 14, "train", 3.0], ["m.py", 34, "load", 1.0]])
    diff = profile_diff(head, base, head_j=None, base_j=None, cost_s=0.1)
    assert [(f.function, f.where) for f in diff.functions] == [("train", "m.py:14")]
    assert (diff.functions[0].base, diff.functions[0].head) == (0.5, 1.5)  # base pass's time
    assert diff.unit == "share"


def test_joules_are_shares_of_each_sides_energy() -> None:
    base = Profile.from_rows([["m.py", 1, "a", 1.0], ["m.py", 2, "b", 1.0]])
    head = Profile.from_rows([["m.py", 1, "a", 1.0], ["m.py", 2, "b", 3.0]])
    diff = profile_diff(head, base, head_j=4.0, base_j=2.0, cost_s=0.1)
    assert diff.unit == "J"
    assert [(f.function, f.base, f.head) for f in diff.functions] == [("b", 1.0, 3.0)]


def test_an_empty_profile_gives_no_lines() -> None:
    empty = Profile.from_rows([])
    assert profile_diff(empty, empty, head_j=1.0, base_j=1.0, cost_s=0.0).functions == ()
