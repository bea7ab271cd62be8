"""Acknowledged regressions: a verdict of ``regressed`` that does not fail. Pure: no pytest, no git.

Two ways in, both recorded on the entry (``accepted``, ``accepted_reason``) while the verdict
stays ``regressed``, so a report read later still shows what happened:

- a pull-request label (``accept.label``, default ``energy-accepted``) accepts every
  regression of that pull request;
- an ``accept.tests`` entry of the config accepts the regressions of the tests it matches,
  for a range of head commits, with a reason (for teams that want it in git).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from ..report.model import TestEntry
from ..settings.accept import AcceptRule, AcceptSettings
from ..settings.plans import glob_match


@dataclass(frozen=True)
class Acceptance:
    """What accepts regressions in this run: the label's reason when the pull request carries
    it, and the config's entries whose commit range holds the head commit."""

    label_reason: str | None = None
    rules: tuple[AcceptRule, ...] = ()
    notes: tuple[str, ...] = ()  # entries that could not be checked, said once per run

    @classmethod
    def from_settings(
        cls,
        settings: AcceptSettings,
        labels: Iterable[str],
        pr: int | None,
        in_range: Callable[[AcceptRule], bool | str],
    ) -> Acceptance:
        """``in_range`` answers whether the head commit lies in a rule's range, or why that
        cannot be told (one line); a rule that cannot be checked accepts nothing."""
        label = settings.label if settings.label in set(labels) else None
        where = f" on pull request #{pr}" if pr is not None else ""
        reason = f"accepted by the label {label}{where}" if label else None
        rules, notes = [], []
        for rule in settings.rules:
            holds = in_range(rule)
            if holds is True:
                rules.append(rule)
            elif isinstance(holds, str):
                notes.append(f"accept entry at {rule.source} not applied: {holds}")
        return cls(reason, tuple(rules), tuple(notes))

    def reason(self, nodeid: str) -> str | None:
        for rule in self.rules:
            if glob_match(rule.match, nodeid):
                return f"accepted at {rule.source} for commits {rule.commits}: {rule.reason}"
        return self.label_reason

    def apply(self, entry: TestEntry) -> TestEntry:
        reason = self.reason(entry.nodeid) if entry.verdict == "regressed" else None
        return accept(entry, reason) if reason else entry


def accept(entry: TestEntry, reason: str) -> TestEntry:
    """The entry, its regression accepted for ``reason``; other verdicts are left alone."""
    if entry.verdict != "regressed":
        return entry
    return replace(entry, accepted=True, accepted_reason=reason)


def blocking(entry: TestEntry) -> bool:
    """A regression nobody accepted: what fails a run."""
    return entry.verdict == "regressed" and not entry.accepted
