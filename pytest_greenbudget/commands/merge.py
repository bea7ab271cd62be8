"""Join reports from CI matrix jobs or a sharded suite into one report file.

Every test must come from exactly one input: an id found twice is an error naming it. The
first input's environment is kept, and its notes say what was merged. Exit status: 0 written,
2 bad input (an unreadable report, overlapping inputs, mixed schema major versions).
"""

from __future__ import annotations

import argparse

from ..cli import CommandError
from ..gate.merge import MergeError, merge_reports
from ..render.wording import tests_word
from ..results import write_report
from .compare import load_report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", metavar="OUT", help="the merged report to write (JSON)")
    parser.add_argument("inputs", metavar="IN", nargs="+", help="reports to join, in order")


def run(args: argparse.Namespace) -> int:
    reports = [load_report(path) for path in args.inputs]
    try:
        merged = merge_reports(reports, args.inputs)
    except MergeError as exc:
        raise CommandError(str(exc)) from None
    try:
        write_report(merged, args.out)
    except OSError as exc:
        raise CommandError(f"{args.out}: cannot write the merged report: {exc}") from None
    sources = "1 report" if len(reports) == 1 else f"{len(reports)} reports"
    tests = tests_word(len(merged.tests))
    print(f"greenbudget: merged {sources}, {tests}, into {args.out}")
    return 0
