"""Before the paired phase: which budgeted tests to pair, and how long that should take.

Order matters for cost: the changed files first (two git commands), then the head's traced
run (scout.py), only when a Python file changed that not every test reaches anyway. A changed
file that a budgeted test's own module imports, directly or through the project's own modules
(a namespace holds the module, or a function or class from it: phase.module_imports), reaches
every test without a trace: it ran while the tests were collected, which the trace counts for
every test. Without a trace no run of its own times the tests: round 1's opening pairs do
(schedule.py). The traced run costs a run under coverage.py (3-5x on pure-Python loops).
Whatever fails on the way, a test is never called unaffected on a guess: every test is paired
instead, and the reason is noted. Pure: no pytest.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from .impact import ANY_TEST_MAY_READ, Changes, Impact, decide, named
from .progress import Watch
from .scout import Scouted, scout
from .worker_process import Side, WorkerError
from .worktree import WorktreeError

AGAINST_ALL = "--greenbudget-against-all pairs every test"
OTHER_PYTHON = "the base side runs another interpreter (--greenbudget-against-python)"


@dataclass(frozen=True)
class Triage:
    impact: Impact
    # None: no traced run; round 1's opening pairs time the tests (timed_by), if any are paired
    scouted: Scouted | None
    notes: tuple[str, ...] = ()
    opened: bool = False  # timed by round 1's opening pairs, not by a run of its own

    @property
    def timed_by(self) -> str:
        """What timed the tests, for the plan."""
        return "round 1's first pairs" if self.opened else "the head's own run"

    @property
    def paired(self) -> list[str]:
        return list(self.impact.affected)

    @property
    def skipped(self) -> list[str]:
        """Tests to pair that skipped in the head's own run: the rounds will find them skipped
        too, so the plan does not count them as paired (61 of a suite's 75 budgeted tests
        were, sklearn's array-API variants, and the plan said "pairing 75")."""
        return self._outcome("skipped")

    def timed(self, scouted: Scouted) -> Triage:
        """This triage with the tests' times from round 1's opening pairs."""
        return replace(self, scouted=scouted, opened=True)

    @property
    def new(self) -> list[str]:
        """Tests to pair that round 1 found missing on the base: measured here alone."""
        return self._outcome("new")

    def _outcome(self, wanted: str) -> list[str]:
        outcomes = self.scouted.outcomes if self.scouted else {}
        return [t for t in self.paired if outcomes.get(t) == wanted]

    def round_s(self, pairs: Mapping[str, int]) -> float:
        """One round's expected seconds, given each test's pairs in it (the scout's times)."""
        return self.scouted.round_seconds(pairs) if self.scouted else 0.0

    def changes_line(self) -> str | None:
        """The changes considered, for the plan: 'changed since REF: src/a.py, data/x.csv
        (2 more ignored by paired.ignore)', and why every test is paired when that is so."""
        impact, changes = self.impact, self.impact.changes
        if changes is None:
            return impact.note
        line = f"changed since the base: {named(changes.files) or 'nothing'}"
        if changes.ignored:
            line += f" ({len(changes.ignored)} more ignored by paired.ignore)"
        repeated = f"{named(changes.files)} changed, "
        if impact.note and impact.note.startswith(repeated) and not changes.ignored:
            line += f", {impact.note.removeprefix(repeated)}"
        elif impact.note:
            line += f"; {impact.note}"
        if impact.note and impact.note.startswith(ANY_TEST_MAY_READ):  # docs, data, configs
            line += " (files no test reads belong in the config's paired: ignore)"
        return line


def triage(
    head: Side,
    tests: Sequence[str],
    top: Path,
    commit: str,
    logdir: Path,
    watch: Watch,
    other_python: bool,
) -> Triage:
    """Which tests to pair; a traced run that fails leaves every test paired, and the rounds
    then say whether the head can run at all."""
    fixed = AGAINST_ALL if not watch.impact else OTHER_PYTHON if other_python else None
    if fixed:
        return Triage(Impact.everything(tests, fixed), None)
    try:
        changes = Changes.from_git(top, commit, watch.ignore, watch.outputs)
    except WorktreeError as exc:
        why = f"git could not list the changed files ({exc})"
        impact = Impact.everything(tests, why)
        return Triage(impact, None, (f"{why}: every test is paired",))
    if not changes.files or changes.untraceable:  # no test affected, or every one
        return Triage(decide(tests, changes, None), None)
    imported = [p for p in sorted(changes.python) if os.path.realpath(top / p) in watch.imports]
    if imported:  # run when their modules import: the trace would count them for every test
        why = f"{named(imported)} changed, which runs when the budgeted tests are collected"
        return Triage(Impact.everything(tests, why, changes), None)
    try:
        scouted = scout(head, tests, top, logdir, True)
    except WorkerError as exc:  # coverage missing or broken: the rounds may still work
        scouted = Scouted(0.0, {}, {}, problems=(str(exc),))
    if scouted.traced is None:
        why = f"the traced run of the head failed ({'; '.join(scouted.problems)})"
        notes = (f"{why}: every test is paired",)
        timed = scouted if scouted.seconds else None  # an unreadable trace still timed them
        return Triage(Impact.everything(tests, why, changes), timed, notes)
    return Triage(decide(tests, changes, scouted.traced), scouted)
