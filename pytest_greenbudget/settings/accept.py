"""The config's ``accept:`` table: regressions a team has acknowledged, in git or by a PR label.

```yaml
accept:
  label: energy-accepted        # a pull-request label that accepts that PR's regressions
  tests:                        # regressions accepted for a range of commits, with a reason
    - match: "tests/test_model.py::test_fit*"
      reason: "a bigger model, on purpose (#123)"
      commits: "3f9c2a1.."      # FROM..TO: head contains FROM, and TO contains head (TO optional)
```

Pure: read and validated here, with errors naming file, line and key; whether a commit is in
a range is asked of git elsewhere (paired/worktree.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .configfile import KeyPath, RawConfig

DEFAULT_LABEL = "energy-accepted"
ACCEPT_KEYS = ("label", "tests")
TEST_KEYS = ("match", "reason", "commits")
# A commit or ref on each side of "..": what git rev-parse takes, without spaces or options.
_REV = r"[A-Za-z0-9][A-Za-z0-9._/@~^{}-]*"
_RANGE = re.compile(rf"(?P<start>{_REV})\.\.(?P<end>{_REV})?")
# GitHub's label names: up to 50 characters, no commas at the ends worth caring about here.
_LABEL = re.compile(r"[^\x00-\x1f\x7f,]{1,50}")


@dataclass(frozen=True)
class AcceptRule:
    """Regressions of the tests ``match`` selects are accepted while the head commit lies in
    ``start..end`` (``end`` None: no upper end)."""

    match: str
    reason: str
    start: str
    end: str | None
    source: str  # "greenbudget.yaml:14"

    @property
    def commits(self) -> str:
        return f"{self.start}..{self.end or ''}"


@dataclass(frozen=True)
class AcceptSettings:
    label: str = DEFAULT_LABEL
    rules: tuple[AcceptRule, ...] = ()

    @classmethod
    def from_raw(cls, raw: RawConfig) -> AcceptSettings:
        table = raw.data.get("accept")
        if table is None:
            return cls()
        _keys(raw, ("accept",), table, ACCEPT_KEYS)
        label = table.get("label", DEFAULT_LABEL)
        if not isinstance(label, str) or not _LABEL.fullmatch(label):
            raise raw.error(("accept", "label"), "must be a label name (1-50 characters)")
        tests = table.get("tests", [])
        if not isinstance(tests, list):
            raise raw.error(
                ("accept", "tests"), "must be a list of entries (match, reason, commits)"
            )
        return cls(label, tuple(_rule(raw, i, t) for i, t in enumerate(tests)))


def _keys(raw: RawConfig, key: KeyPath, value: object, valid: tuple[str, ...]) -> None:
    if not isinstance(value, dict):
        raise raw.error(key, f"must be a mapping with keys {', '.join(valid)}")
    for name in value:
        if name not in valid:
            raise raw.error((*key, name), f"unknown key {name!r}; valid keys: {', '.join(valid)}")


def _rule(raw: RawConfig, index: int, entry: object) -> AcceptRule:
    key: KeyPath = ("accept", "tests", index)
    _keys(raw, key, entry, TEST_KEYS)
    assert isinstance(entry, dict)
    for name in TEST_KEYS:
        value = entry.get(name)
        if not isinstance(value, str) or not value.strip():
            raise raw.error((*key, name), f"{name} is required: a non-empty string")
    commits = _RANGE.fullmatch(entry["commits"])
    if commits is None:
        raise raw.error(
            (*key, "commits"),
            f"not a commit range: {entry['commits']!r}; valid: FROM..TO or FROM.. "
            "(commits or refs, e.g. 3f9c2a1.. or v1.2..v1.3)",
        )
    where = raw.where(key).split(": ")[0]
    return AcceptRule(
        entry["match"], entry["reason"].strip(), commits["start"], commits["end"], where
    )
