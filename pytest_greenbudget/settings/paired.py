"""The config file's ``paired`` section: paths whose changes cannot change any test's energy.

``paired: ignore: ["docs/**", "*.md"]``. The paired gate leaves out a test that no change
could have reached (paired/impact.py), and any changed file that is not Python source counts
as a change to every test unless a pattern here says it is irrelevant. Patterns follow
.gitignore's spelling, the one users already write: without a ``/`` a pattern matches a
file's name at any depth (``*.md``); with one it is anchored at the repository's top
(``docs/**``, ``/setup.cfg``); ``*`` and ``?`` stay inside one folder, ``**`` crosses them,
and a trailing ``/`` means everything under that folder. Nothing here imports pytest.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .configfile import RawConfig

PAIRED_KEYS = ("ignore",)
EXAMPLE = 'e.g. ignore: ["docs/**", "*.md"]'


def read_ignore(raw: RawConfig) -> tuple[str, ...]:
    """The validated ``paired.ignore`` patterns; ConfigError names the file, line and key."""
    section = raw.data.get("paired")
    if section is None:
        return ()
    if not isinstance(section, dict):
        raise raw.error(("paired",), f"must be a mapping with key ignore ({EXAMPLE})")
    for name in section:
        if name not in PAIRED_KEYS:
            raise raw.error(("paired", name), f"unknown key {name!r}; valid keys: ignore")
    patterns = section.get("ignore") or []
    if not isinstance(patterns, list):
        raise raw.error(("paired", "ignore"), f"must be a list of path patterns ({EXAMPLE})")
    for index, pattern in enumerate(patterns):
        problem = pattern_problem(pattern)
        if problem:
            raise raw.error(("paired", "ignore", index), problem)
    return tuple(patterns)


def pattern_problem(pattern: object) -> str | None:
    """Why ``pattern`` is not a usable path pattern, or None."""
    if not isinstance(pattern, str) or not pattern.strip():
        return f"{pattern!r} is not a path pattern; give text such as 'docs/**' or '*.md'"
    if "\\" in pattern:
        return f"{pattern!r}: write paths with '/', as git shows them"
    if pattern.startswith("!"):
        return f"{pattern!r}: negated patterns are not supported; list what to ignore"
    if pattern.strip("/") in ("", "**"):
        return f"{pattern!r} would ignore every change; list the paths that cannot change a test"
    return None


def ignored(path: str, patterns: tuple[str, ...]) -> bool:
    """Whether a repository path (``docs/a.md``, as git prints it) matches any pattern."""
    return any(_regex(p).fullmatch(path) for p in patterns)


@lru_cache(maxsize=256)
def _regex(pattern: str) -> re.Pattern[str]:
    anchored = "/" in pattern.rstrip("/")
    body = pattern.strip("/") + ("/**" if pattern.endswith("/") else "")
    prefix = "" if anchored else "(?:.*/)?"
    return re.compile(prefix + _translate(body), re.DOTALL)


def _translate(glob: str) -> str:
    out, i = [], 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        else:
            char = glob[i]
            out.append("[^/]*" if char == "*" else "[^/]" if char == "?" else re.escape(char))
            i += 1
    return "".join(out)
