"""Join reports from CI matrix jobs or a sharded suite into one report file, or, with
--keep-runs N, several runs of the same suite into one baseline that remembers them.

Shards: every test must come from exactly one input: an id found twice is an error naming it.
The first input's environment is kept, and its notes say what was merged. Runs: the newest
input (by created_utc) is kept whole, and each of its tests carries its median in the newest N
runs (``runs_j``), so that a comparison can judge it by its own noise between sessions.
Exit status: 0 written, 2 bad input (an unreadable report, overlapping shards, the same run
twice, mixed schema major versions).
"""

from __future__ import annotations

import argparse

from ..gate.merge import MergeError, merge_reports, with_history
from ..render.wording import tests_word
from ..report.io import write_report
from ..units import count
from .common import CommandError, load_report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", metavar="OUT", help="the merged report to write (JSON)")
    parser.add_argument("inputs", metavar="IN", nargs="+", help="reports to join, in order")
    parser.add_argument(
        "--keep-runs",
        type=_positive,
        metavar="N",
        help="the inputs are runs of the same suite (a history file among them chains): keep "
        "each test's median in the newest N runs, for the gate to learn its noise from",
    )


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, not {text!r}")
    return value


def run(args: argparse.Namespace) -> int:
    reports = [load_report(path) for path in args.inputs]
    try:
        if args.keep_runs:
            merged = with_history(reports, args.inputs, args.keep_runs)
        else:
            merged = merge_reports(reports, args.inputs)
    except MergeError as exc:
        raise CommandError(str(exc)) from None
    try:
        write_report(merged, args.out)
    except OSError as exc:
        raise CommandError(f"{args.out}: cannot write the merged report: {exc}") from None
    noun = "run" if args.keep_runs else "report"
    sources = count(len(reports), noun)
    keeping = f", keeping up to {args.keep_runs} per test" if args.keep_runs else ""
    tests = tests_word(len(merged.tests))
    print(f"greenbudget: merged {sources}{keeping}, {tests}, into {args.out}")
    return 0
