"""Measure this machine's session noise from reports of the same code run in separate sessions.

Run the suite two or more times without changing anything (separate pytest sessions, some
minutes apart, on the runner you gate on) and pass the reports: each test's median per session
gives the between-session spread, pooled over tests. A baseline history (``greenbudget merge
--keep-runs``) holds such sessions already: its runs count as well. The recommendation is the
upper end of a 90% confidence interval, rounded up, so that a few sessions err towards fewer
false alarms.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
from collections.abc import Mapping, Sequence

from ..gate.stats import session_noise_from, smallest_detectable
from ..report.model import Report
from ..report.untrusted import printable
from .common import CommandError, load_report

_Z90 = statistics.NormalDist().inv_cdf(0.1)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("reports", nargs="+", metavar="REPORT", help="A/A reports (JSON)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")


def medians_by_test(reports: Sequence[Report]) -> dict[str, list[float]]:
    """Each test's median energy in every session that measured it (a history: every run)."""
    found: dict[str, list[float]] = {}
    for report in reports:
        for test in report.tests:
            if test.runs_j:
                found.setdefault(test.nodeid, []).extend(test.runs_j)
            elif test.energy_j and test.verdict != "missing":
                found.setdefault(test.nodeid, []).append(test.energy_j)
    return {k: v for k, v in found.items() if len(v) >= 2}


def upper_bound(cv: float, dof: int) -> float:
    """Upper end of the 90% interval of the CV (chi-square bound, Wilson-Hilferty)."""
    k = float(dof)
    chi2 = k * (1 - 2 / (9 * k) + _Z90 * math.sqrt(2 / (9 * k))) ** 3
    variance = math.log1p(cv * cv) * k / max(chi2, 1e-9)
    return math.sqrt(math.expm1(variance))


def findings(sessions: Mapping[str, list[float]]) -> dict[str, object]:
    cv, dof = session_noise_from(sessions)
    recommended = math.ceil(upper_bound(cv, dof) * 100) / 100
    per_test = {name: session_noise_from({name: m})[0] for name, m in sessions.items()}
    return {
        "sessions": max(len(m) for m in sessions.values()),
        "tests": len(sessions),
        "degrees_of_freedom": dof,
        "session_noise": cv,
        "recommended": recommended,
        "smallest_detectable_change": smallest_detectable(recommended),
        "per_test": per_test,
    }


def render(found: Mapping[str, object]) -> str:
    per_test = found["per_test"]
    assert isinstance(per_test, dict)
    lines = [f"{printable(name)}: {cv * 100:.1f}%" for name, cv in sorted(per_test.items())]
    return "\n".join(
        [
            f"between-session noise: {found['session_noise']:.1%} (pooled over "
            f"{found['tests']} tests, {found['sessions']} sessions, "
            f"{found['degrees_of_freedom']} degrees of freedom)",
            *lines,
            f"recommended setting: session_noise: {found['recommended']:.0%}  "
            f"(upper end of the 90% interval); the gate then sees changes above "
            f"+{found['smallest_detectable_change']:.0%}",
        ]
    )


def run(args: argparse.Namespace) -> int:
    reports = [load_report(path) for path in args.reports]
    if len(reports) < 2 and not any(t.runs_j for r in reports for t in r.tests):
        raise CommandError(
            "noise needs at least two reports of the same code (A/A runs), or a baseline "
            "history written by `greenbudget merge --keep-runs`"
        )
    # Two sessions never measure identical samples: identical tests mean one report twice.
    measured = [r.tests for r in reports]
    if any(measured.count(tests) > 1 for tests in measured):
        raise CommandError("the same report was given twice; each must be a separate session")
    sessions = medians_by_test(reports)
    if not sessions:
        raise CommandError("no test was measured in two of these reports; nothing to compare")
    try:
        found = findings(sessions)
    except OverflowError:  # medians 1e30 apart: no spread of a float could describe them
        raise CommandError(
            "a test's energy differs between these reports by many orders of magnitude: "
            "they are not A/A runs of the same code on one machine"
        ) from None
    print(json.dumps(found, indent=2) if args.json else render(found))
    return 0
