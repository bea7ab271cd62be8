"""Compare, merge, render and post pytest-greenbudget energy reports; check the meters.

The console script is a thin dispatcher over ``pytest_greenbudget.commands``.

Exit codes: 0 fine, 1 the command's own "something is wrong" (a regression, say), 2 bad input.
Bad input never shows a traceback: commands raise ``CommandError`` with a message instead.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from types import ModuleType

from .commands.common import CommandError

COMMANDS = ("compare", "merge", "render", "comment", "doctor", "noise", "suggest")


def _module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(f"pytest_greenbudget.commands.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"pytest_greenbudget.commands.{name}":
            raise
        return None  # a command not shipped in this build is simply not offered


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(prog="greenbudget", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"greenbudget {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS if only is None else (only,):
        module = _module(name)
        if module is None:
            continue
        summary = first_paragraph(module.__doc__ or name)
        command = sub.add_parser(name, help=summary, description=module.__doc__)
        module.add_arguments(command)
        command.set_defaults(run=module.run)
    return parser


def first_paragraph(doc: str) -> str:
    """A command's one-entry summary for ``greenbudget --help``: its docstring's first
    paragraph whole (a first line alone stopped mid-sentence)."""
    return " ".join(doc.strip().split("\n\n", 1)[0].split())


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    # Import only the command asked for, so `greenbudget doctor` does not load requests.
    first = args_list[0] if args_list and args_list[0] in COMMANDS else None
    parser = build_parser(first)
    args = parser.parse_args(args_list)
    try:
        code: int = args.run(args)
    except CommandError as exc:
        print(error_line(exc), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `greenbudget doctor | head`: the reader left, nothing is wrong
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    return code


def error_line(exc: object) -> str:
    """The one line bad input prints; the message may quote a report or GitHub's answer."""
    from .report.untrusted import printable

    return f"greenbudget: error: {printable(exc)}"


if __name__ == "__main__":
    raise SystemExit(main())
