"""Which regressions are accepted, and that acceptance never changes a verdict."""

from __future__ import annotations

from github_double import entry

from pytest_greenbudget.gate.accept import Acceptance, blocking
from pytest_greenbudget.settings.accept import AcceptRule, AcceptSettings

RULE = AcceptRule("tests/t.py::test_fit*", "bigger model", "abc1234", None, "greenbudget.yaml:4")


def acceptance(labels: tuple[str, ...] = (), holds: bool | str = True) -> Acceptance:
    settings = AcceptSettings(rules=(RULE,))
    return Acceptance.from_settings(settings, labels, 12, lambda rule: holds)


def test_a_matching_entry_accepts_a_regression_and_keeps_its_verdict() -> None:
    done = acceptance().apply(
        entry("tests/t.py::test_fit[big]", 2.0, verdict="regressed", base=1.0)
    )
    assert (done.verdict, done.accepted, blocking(done)) == ("regressed", True, False)
    assert (
        done.accepted_reason == "accepted at greenbudget.yaml:4 for commits abc1234..: bigger model"
    )


def test_only_regressions_are_accepted() -> None:
    for verdict in ("over-budget", "improved", "inconclusive", "ok"):
        done = acceptance(("energy-accepted",)).apply(
            entry("tests/t.py::test_fit", verdict=verdict)
        )
        assert not done.accepted and done.accepted_reason is None


def test_an_entry_outside_its_range_or_unchecked_accepts_nothing() -> None:
    regressed = entry("tests/t.py::test_fit", 2.0, verdict="regressed", base=1.0)
    assert blocking(acceptance(holds=False).apply(regressed))
    unchecked = acceptance(holds="unknown revision abc1234")
    assert blocking(unchecked.apply(regressed))
    assert unchecked.notes == (
        "accept entry at greenbudget.yaml:4 not applied: unknown revision abc1234",
    )


def test_the_label_accepts_every_regression_and_the_entry_names_its_own_reason() -> None:
    other = entry("tests/t.py::test_io", 2.0, verdict="regressed", base=1.0)
    done = acceptance(("bug", "energy-accepted")).apply(other)
    assert done.accepted_reason == "accepted by the label energy-accepted on pull request #12"
    assert not acceptance(("bug",)).apply(other).accepted
