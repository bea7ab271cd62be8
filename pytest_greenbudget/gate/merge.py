"""Join reports from CI matrix jobs or a sharded suite into one. Pure: no pytest.

Each test must have run in exactly one input: a node id in two reports means the shards
overlapped (or one file was passed twice), and picking either entry would hide it, so that is
an error naming the ids. The first report's environment is kept, as the one the comparison
and comment will describe, and a note records what was merged and where the inputs differed.

``with_history`` joins the other way: several runs of the same suite into one baseline that
remembers each test's newest medians (gate/history.py compares against them).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from ..report.model import SCHEMA_VERSION, Report, RunOrigin, TestEntry
from ..units import count
from .compare import fingerprint_differences
from .devices import SEVERAL
from .history import runs_of

SHOWN = 5  # duplicate ids named in the error before "and N more"
KEEP = 10  # runs kept per test in a history when the caller does not say


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
        # shards on several GPUs: SEVERAL, which a comparison reads as another GPU
        environment=replace(
            first.environment, notes=notes, devices=_devices(r.environment.devices for r in reports)
        ),
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
        f"{n} ({count(len(r.tests), 'test')})" for r, n in zip(reports, names, strict=True)
    )
    notes = [f"merged from {count(len(reports), 'report')}: {parts}; environment of {names[0]}"]
    first = reports[0]
    for report, name in zip(reports[1:], names[1:], strict=True):
        for difference in fingerprint_differences(first.environment, report.environment):
            notes.append(f"{name}: {difference} ({names[0]} vs {name})")
        if report.carbon != first.carbon:
            notes.append(f"{name}: carbon settings differ; its tests' gCO2e use its own")
    return notes


# --- a history of runs of the same suite ------------------------------------------------


def baseline_of(reports: Sequence[Report], sources: Sequence[str]) -> Report | None:
    """The baseline several inputs make: one report as it is, several runs as a history."""
    if len(reports) < 2:
        return reports[0] if reports else None
    return with_history(reports, sources)


def with_history(reports: Sequence[Report], sources: Sequence[str], keep: int = KEEP) -> Report:
    """The newest report (by ``created_utc``), each of its tests carrying its medians in the
    ``reports`` from the same kind of machine and meter, newest first, at most ``keep``. Older
    histories chain: a report that already holds ``runs_j`` contributes those runs.

    Runs from another CPU, meter or GPU are left out (and noted): the head is only gated
    against a baseline from its own kind of machine, so only such runs tell its noise."""
    if not reports or len(sources) != len(reports) or keep < 1:
        raise MergeError("nothing to merge" if not reports else "need keep >= 1 and one name each")
    _check_distinct(reports, sources)
    order = sorted(range(len(reports)), key=lambda i: reports[i].created_utc, reverse=True)
    newest, names = reports[order[0]], [sources[i] for i in order]
    kept, notes = _same_machine(newest, [reports[i] for i in order], names)
    tests = tuple(_with_runs(t, kept, keep) for t in newest.tests)
    notes.insert(
        0,
        f"baseline history of {len(kept)} reports (newest {names[0]}, {kept[-1].created_utc} "
        f"to {newest.created_utc}); up to {keep} runs per test",
    )
    env = replace(
        newest.environment,
        notes=(*newest.environment.notes, *notes),
        devices=_devices(r.environment.devices for r in kept),
    )
    return replace(newest, tests=tests, environment=env, schema_version=SCHEMA_VERSION)


def _devices(each: Iterable[Mapping[str, str]]) -> dict[str, str]:
    """The history's device per component: the one all its runs used, else SEVERAL (which
    no head's device matches, so a comparison allows for another GPU's level)."""
    found: dict[str, set[str]] = {}
    for devices in each:
        for component, device in devices.items():
            found.setdefault(component, set()).add(device)
    return {c: ids.pop() if len(ids) == 1 else SEVERAL for c, ids in found.items()}


def _same_machine(
    newest: Report, ordered: Sequence[Report], names: Sequence[str]
) -> tuple[list[Report], list[str]]:
    """The runs comparable with the newest, and a note for each one left out."""
    kept, notes = [], []
    for report, name in zip(ordered, names, strict=True):
        differences = fingerprint_differences(newest.environment, report.environment)
        if differences:
            notes.append(f"{name}: left out of the history: {'; '.join(differences)}")
        else:
            kept.append(report)
    return kept, notes


def _with_runs(test: TestEntry, newest_first: Sequence[Report], keep: int) -> TestEntry:
    """The test with its median in each kept run, and when and at which commit each was made
    (a chained history brings its own; a run without them gets its report's)."""
    runs: list[float] = []
    origins: list[RunOrigin] = []
    for report in newest_first:
        entry = report.by_nodeid().get(test.nodeid)
        if entry is not None and entry.verdict != "missing":
            found = runs_of(entry)
            runs += found
            origins += _origins_of(entry, report, len(found))
    return replace(test, runs_j=tuple(runs[:keep]), runs_from=tuple(origins[:keep]))


def _origins_of(entry: TestEntry, report: Report, n: int) -> list[RunOrigin]:
    if entry.runs_j and len(entry.runs_from) == len(entry.runs_j):
        return list(entry.runs_from)
    own = RunOrigin(report.created_utc, report.environment.commit)
    # An older history without origins: only its newest run is known to be this report's.
    return [own] + [RunOrigin("", None)] * (n - 1)


def _check_distinct(reports: Sequence[Report], sources: Sequence[str]) -> None:
    # Two sessions never measure identical samples: the same run twice would count its
    # luck twice and shrink the spread.
    seen: dict[tuple[str, tuple[tuple[float, ...], ...]], str] = {}
    for report, name in zip(reports, sources, strict=True):
        key = (report.created_utc, tuple(t.samples_j for t in report.tests))
        if key in seen:
            raise MergeError(f"{name} is the same run as {seen[key]}; give each run once")
        seen[key] = name
