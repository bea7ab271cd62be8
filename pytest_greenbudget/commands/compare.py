"""Compare a report with its baseline and print each test's verdict; exit 1 on a regression.

BASE and HEAD are report files written by ``pytest --greenbudget-report``. A test regressed
when its median energy rose by more than its tolerance AND a one-sided test on the log samples
gives p < 0.01 (docs/regressions.md). A baseline from another CPU, meter or GPU is compared but
does not gate unless --gate-incomparable. A test the comparison could not resolve is
"inconclusive", with the smallest change it could have found. Exit status: 0 nothing regressed
(inconclusive included), 1 something regressed, 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from ..gate.compare import Comparison, compare_reports, percent_change
from ..report.model import VERDICTS, TestEntry, incomplete_notes
from ..report.untrusted import printable
from ..units import UnitError, format_energy, parse_percent
from .common import load_report

NONE = "-"
HEADER = ("test", "base", "head", "change", "p", "verdict")


def _tolerance(text: str) -> float:
    try:
        return parse_percent(text)
    except UnitError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("base", metavar="BASE", help="the base branch's report (JSON)")
    parser.add_argument("head", metavar="HEAD", help="the report to judge (JSON)")
    parser.add_argument(
        "--tolerance",
        type=_tolerance,
        metavar="PERCENT",
        help="allowed rise before a significant change counts, e.g. 5%%; "
        "overrides each test's own tolerance",
    )
    parser.add_argument(
        "--session-noise",
        type=_tolerance,
        metavar="PERCENT",
        help="between-session CV of energy on the measuring machine, e.g. 25%%; overrides "
        "each test's own (measure it with `greenbudget noise`)",
    )
    parser.add_argument(
        "--gate-incomparable",
        action="store_true",
        help="exit 1 on a regression even when the baseline ran on another machine or meter",
    )
    parser.add_argument(
        "--json", action="store_true", help="print the compared report as JSON, not the table"
    )


def run(args: argparse.Namespace) -> int:
    base, head = load_report(args.base), load_report(args.head)
    result = compare_reports(
        base,
        head,
        tolerance=args.tolerance,
        gate_incomparable=args.gate_incomparable,
        session_noise=args.session_noise,
    )
    for warning in [*incomplete_notes(base, head), *result.warnings]:
        print(f"greenbudget: warning: {printable(warning)}", file=sys.stderr)
    if args.json:
        print(json.dumps(result.report.to_dict(), indent=2, ensure_ascii=False, allow_nan=False))
    else:
        print(render_table(result))
    return 1 if result.gate_failed else 0


# --- the table ------------------------------------------------------------------------------


def render_table(result: Comparison) -> str:
    """Aligned plain text: one row per test, then the verdict counts."""
    rows = [HEADER, *(_row(t) for t in result.report.tests)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join([*(line.rstrip() for line in lines), "", _totals(result)])


def _row(test: TestEntry) -> Sequence[str]:
    base = test.baseline
    missing = test.verdict == "missing"
    base_j = base.energy_j if base else (test.energy_j if missing else None)
    head_j = None if missing else test.energy_j
    return (
        printable(test.nodeid),  # a report's text: nothing in it may act on the CI log
        NONE if base_j is None else format_energy(base_j),
        NONE if head_j is None else format_energy(head_j),
        NONE if base is None else percent_change(base.ratio),
        NONE if base is None else _p(base.p_value),
        _verdict(test),
    )


def _verdict(test: TestEntry) -> str:
    detectable = test.baseline.detectable if test.baseline else None
    if test.verdict == "inconclusive" and detectable is not None:
        return f"inconclusive (sees only >{percent_change(1.0 + detectable)})"
    return test.verdict or test.outcome


def _p(p_value: float | None) -> str:
    if p_value is None:
        return "ratio only"
    return "p<0.001" if p_value < 0.001 else f"p={p_value:.2g}"


def _totals(result: Comparison) -> str:
    counts = [f"{result.count(v)} {v}" for v in VERDICTS if result.count(v)]
    line = ", ".join(counts) or "no tests to compare"
    regressed = result.count("regressed")
    if regressed and not result.gate_failed:
        line += "; the baseline is not comparable, so regressions do not fail this check"
    return line
