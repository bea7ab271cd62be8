"""Before the paired phase: which budgeted tests to pair, and how long that should take.

Order matters for cost: the changed files first (two git commands), then the head's own run
(scout.py), traced only when a Python file changed, skipped when nothing that could reach a
test changed at all. A changed file that a budgeted test's own module imports (its namespace
holds the module, or a function or class from it) reaches every test without a trace: it ran
while the tests were collected, which the trace counts for every test. The untraced run
costs a plain run; the traced one, a run under coverage.py (3-5x on pure-Python loops).
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
    scouted: Scouted | None  # None: nothing to pair, so the head's own run was not needed
    notes: tuple[str, ...] = ()

    @property
    def paired(self) -> list[str]:
        return list(self.impact.affected)

    @property
    def skipped(self) -> list[str]:
        """Tests to pair that skipped in the head's own run: the rounds will find them skipped
        too, so the plan does not count them as paired (61 of a suite's 75 budgeted tests
        were, sklearn's array-API variants, and the plan said "pairing 75")."""
        outcomes = self.scouted.outcomes if self.scouted else {}
        return [t for t in self.paired if outcomes.get(t) == "skipped"]

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
        if impact.note:
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
    """WorkerError when the head's own run cannot start (the paired phase could not either)."""
    fixed = AGAINST_ALL if not watch.impact else OTHER_PYTHON if other_python else None
    if fixed:
        return Triage(Impact.everything(tests, fixed), scout(head, tests, top, logdir, False))
    try:
        changes = Changes.from_git(top, commit, watch.ignore, watch.outputs)
    except WorktreeError as exc:
        why = f"git could not list the changed files ({exc})"
        impact = Impact.everything(tests, why)
        return Triage(
            impact, scout(head, tests, top, logdir, False), (f"{why}: every test is paired",)
        )
    if not changes.files:
        return Triage(decide(tests, changes, None), None)
    if changes.untraceable:
        return Triage(decide(tests, changes, None), scout(head, tests, top, logdir, False))
    imported = [p for p in sorted(changes.python) if os.path.realpath(top / p) in watch.imports]
    if imported:  # run when their modules import: the trace would count them for every test
        why = f"{named(imported)} changed, which runs when the budgeted tests are collected"
        untraced = scout(head, tests, top, logdir, False)
        return Triage(Impact.everything(tests, why, changes), untraced)
    try:
        scouted = scout(head, tests, top, logdir, True)
    except WorkerError as exc:  # coverage missing or broken: the plain run may still work
        scouted = replace(scout(head, tests, top, logdir, False), problems=(str(exc),))
    if scouted.traced is None:
        why = f"the traced run of the head failed ({'; '.join(scouted.problems)})"
        notes = (f"{why}: every test is paired",)
        return Triage(Impact.everything(tests, why, changes), scouted, notes)
    return Triage(decide(tests, changes, scouted.traced), scouted)
