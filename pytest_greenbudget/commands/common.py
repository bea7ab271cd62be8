"""What every ``greenbudget`` command shares: the error that means bad input (exit 2, one
line, no traceback) and reading a report the user named."""

from __future__ import annotations

from ..report.io import read_report
from ..report.model import Report, ReportError


class CommandError(Exception):
    """Bad input to a command; printed as ``greenbudget: error: ...`` with exit code 2."""


def load_report(path: str, flag: str | None = None) -> Report:
    """Read a report for a command; anything wrong with the file is bad input (exit 2),
    named by the flag that gave it where there is one."""
    try:
        return read_report(path)
    except ReportError as exc:  # also values of the wrong shape: read_report says so
        raise CommandError(f"{flag}: {exc}" if flag else str(exc)) from None
