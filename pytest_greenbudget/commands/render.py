"""Render a report as a self-contained HTML page with charts (opens offline, from an artifact).

REPORT is a file written by ``pytest --greenbudget-report``. With --baseline, the report is
first compared with the base branch's report, as ``greenbudget compare`` does, so the page
also charts each test's change. Exit status: 0 written, 2 bad input or an unwritable OUT.
"""

from __future__ import annotations

import argparse
import sys

from ..gate.compare import compare_reports
from ..render.html import write_html
from ..render.wording import tests_word
from ..report.io import same_target
from ..report.untrusted import printable
from .common import CommandError, load_report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--html", metavar="OUT", required=True, help="the HTML page to write, e.g. report.html"
    )
    parser.add_argument("report", metavar="REPORT", help="the report to show (JSON)")
    parser.add_argument(
        "--baseline", metavar="BASE", help="the base branch's report: chart the change vs it"
    )


def run(args: argparse.Namespace) -> int:
    _refuse_overwriting_an_input(args)
    report = load_report(args.report)
    notes: tuple[str, ...] = ()
    if args.baseline:
        result = compare_reports(load_report(args.baseline), report)
        report, notes = result.report, result.warnings
        for warning in notes:
            print(f"greenbudget: warning: {printable(warning)}", file=sys.stderr)
    try:
        write_html(report, args.html, notes=notes)
    except OSError as exc:
        raise CommandError(f"{args.html}: cannot write the HTML report: {_reason(exc)}") from None
    print(f"greenbudget: wrote {args.html} ({tests_word(len(report.tests))})")
    return 0


def _refuse_overwriting_an_input(args: argparse.Namespace) -> None:
    """OUT naming REPORT or BASE (through a symlink or ``..``, say) would replace a JSON
    report, often the only copy of a run, by its page: refused before anything is read."""
    for flag, path in (("REPORT", args.report), ("--baseline", args.baseline)):
        try:
            same = path is not None and same_target(args.html, path)
        except OSError:  # a FIFO at OUT, say: the write says so, naming it
            return
        if same:
            raise CommandError(
                f"--html {args.html} names the same file as {flag} {path}; the HTML page "
                "would replace the JSON report: give two different files"
            )


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)
