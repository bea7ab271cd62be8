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


def test_your_code_names_the_projects_function_the_cost_went_through() -> None:
    # A library function (copy.deepcopy) takes the extra own time; the project's `connected`
    # called it: its inclusive time carries the change, `helper` did not change.
    own_base = [["copy.py", 128, "deepcopy", 1.0], ["pkg/algo.py", 5, "connected", 1.0]]
    own_head = [["copy.py", 128, "deepcopy", 3.0], ["pkg/algo.py", 5, "connected", 1.0]]
    mine_base = [["pkg/algo.py", 5, "connected", 2.0], ["pkg/algo.py", 40, "helper", 0.5]]
    mine_head = [["pkg/algo.py", 5, "connected", 4.0], ["pkg/algo.py", 40, "helper", 0.5]]
    base = Profile.from_rows(own_base, mine_base)
    head = Profile.from_rows(own_head, mine_head)
    diff = profile_diff(head, base, head_j=None, base_j=None, cost_s=0.1)
    assert [f.function for f in diff.functions] == ["deepcopy"]  # own time: the library's
    yours = [(f.function, f.where, f.base, f.head) for f in diff.your_code]
    assert yours == [("connected", "pkg/algo.py:5", 1.0, 2.0)]  # in the base pass's time
    in_joules = profile_diff(head, base, head_j=8.0, base_j=4.0, cost_s=0.1)
    assert [(f.base, f.head) for f in in_joules.your_code] == [(4.0, 8.0)]  # share x energy


def test_your_code_keeps_the_three_largest_changes() -> None:
    mine_base = [["a.py", n, f"f{n}", 1.0] for n in range(6)]
    mine_head = [["a.py", n, f"f{n}", 1.0 + n] for n in range(6)]
    own = [["a.py", 0, "f0", 1.0]]
    diff = profile_diff(
        Profile.from_rows(own, mine_head), Profile.from_rows(own, mine_base),
        head_j=None, base_j=None, cost_s=0.1,
    )  # fmt: skip
    assert [f.function for f in diff.your_code] == ["f5", "f4", "f3"]
