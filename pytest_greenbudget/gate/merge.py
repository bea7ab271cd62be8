"""Join reports from CI matrix jobs or a sharded suite into one. Pure: no pytest.

Each test must have run in exactly one input: a node id in two reports means the shards
overlapped (or one file was passed twice), and picking either entry would hide it, so that is
an error naming the ids. The first report's environment is kept, as the one the comparison
and comment will describe, and a note records what was merged and where the inputs differed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace

from ..results import SCHEMA_VERSION, Report
from .compare import fingerprint_differences

SHOWN = 5  # duplicate ids named in the error before "and N more"


class MergeError(ValueError):
    """The reports cannot be joined; the message says which inputs and ids are at fault."""


def merge_reports(reports: Sequence[Report], sources: Sequence[str] | None = None) -> Report:
    """One report holding every test of ``reports``; ``sources`` name them in messages."""
    names = (
        list(sources) if sources is not None else [f"report {i + 1}" for i in range(len(reports))]
    )
    if not reports or len(names) != len(reports):
        raise MergeError("nothing to merge" if not reports else "one source name per report")
    _check_majors(reports, names)
    _check_duplicates(reports, names)
    first = reports[0]
    notes = (*first.environment.notes, *_notes(reports, names))
    return Report(
        created_utc=first.created_utc,
        environment=replace(first.environment, notes=notes),
        carbon=first.carbon,
        tests=tuple(t for r in reports for t in r.tests),
        schema_version=SCHEMA_VERSION,  # the entries were read by, and are written by, this version
        incomplete=any(r.incomplete for r in reports),  # one cut-short shard: not a baseline
        incomplete_reason=_incomplete(reports, names),
    )


def _incomplete(reports: Sequence[Report], names: Sequence[str]) -> str | None:
    parts = [
        f"{name}: {r.incomplete_reason or 'incomplete'}"
        for r, name in zip(reports, names, strict=True)
        if r.incomplete
    ]
    return "; ".join(parts) or None


def _major(report: Report) -> str:
    return report.schema_version.split(".")[0]


def _check_majors(reports: Sequence[Report], names: Sequence[str]) -> None:
    if len({_major(r) for r in reports}) > 1:
        found = ", ".join(f"{r.schema_version} ({n})" for r, n in zip(reports, names, strict=True))
        raise MergeError(f"cannot merge reports of different schema major versions: {found}")


def _check_duplicates(reports: Sequence[Report], names: Sequence[str]) -> None:
    seen: defaultdict[str, list[str]] = defaultdict(list)
    for report, name in zip(reports, names, strict=True):
        for test in report.tests:
            seen[test.nodeid].append(name)
    twice = [f"{nodeid} ({', '.join(where)})" for nodeid, where in seen.items() if len(where) > 1]
    if twice:
        more = f" and {len(twice) - SHOWN} more" if len(twice) > SHOWN else ""
        raise MergeError(
            f"{len(twice)} test id(s) appear more than once, so the inputs overlap: "
            f"{'; '.join(twice[:SHOWN])}{more}"
        )


def _notes(reports: Sequence[Report], names: Sequence[str]) -> list[str]:
    parts = ", ".join(
        f"{n} ({_count(len(r.tests), 'test')})" for r, n in zip(reports, names, strict=True)
    )
    notes = [f"merged from {_count(len(reports), 'report')}: {parts}; environment of {names[0]}"]
    first = reports[0]
    for report, name in zip(reports[1:], names[1:], strict=True):
        for difference in fingerprint_differences(first.environment, report.environment):
            notes.append(f"{name}: {difference} ({names[0]} vs {name})")
        if report.carbon != first.carbon:
            notes.append(f"{name}: carbon settings differ; its tests' gCO2e use its own")
    return notes


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
