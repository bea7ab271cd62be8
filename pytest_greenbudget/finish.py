"""What the plugin does at the session's end: the one report (with why it is incomplete),
the terminal summary, and the report files. Kept out of plugin.py (hooks only); imported
only when something was measured or a report was asked for."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pytest

from .invocation import no_call, write_error
from .report.untrusted import printable

if TYPE_CHECKING:
    from .report.model import Report
    from .session import Run


def final_report(
    config: pytest.Config, run: Run, workers: list[str], whole: bool, incomplete: str | None
) -> Report:
    """The run's report, with the commit and the xdist workers that took part. ``whole``: this
    process knows what ran (the controller, or a serial run), so it may call the run incomplete."""
    from .measure.environment import commit

    count = run.environment.workers or len(workers) or None
    env = replace(run.environment, workers=count, commit=commit(config.rootpath))
    return run.report(env, whole_run=whole, incomplete=incomplete if whole else None)


def incomplete_reason(
    session: pytest.Session, exitstatus: int, collection_errors: int, interrupted: str | None
) -> str | None:
    """Why this run is not a whole baseline, or None."""
    from .session import incomplete_reason as reason

    return interrupted or reason(
        no_call=no_call(session.config),
        collection_errors=collection_errors,
        interrupted=exitstatus == pytest.ExitCode.INTERRUPTED,
        internal_error=exitstatus == pytest.ExitCode.INTERNAL_ERROR,
        stopped=session.shouldfail or session.shouldstop,
    )


def write_outputs(session: pytest.Session, report: Report, path: str | None) -> tuple[str, ...]:
    """The JSON report and the HTML page, each written atomically; a failure to write is an
    error line and a failed run, never a traceback. Returns the paths written."""
    from .report.io import write_report

    written = []
    if path:
        try:
            write_report(report, path)
            written.append(path)
        except OSError as exc:
            write_error(session, f"greenbudget: could not write report {path}: {exc}")
    html_path = session.config.getoption("greenbudget_html")
    if html_path:
        from .render.html import write_html

        try:
            write_html(report, html_path)
            written.append(html_path)
        except OSError as exc:
            write_error(session, f"greenbudget: could not write HTML report {html_path}: {exc}")
    return tuple(written)


def show_summary(
    terminalreporter: Any,
    report: Report,
    verbose: bool,
    noise_given: bool,
    written: tuple[str, ...] = (),
) -> None:
    """The greenbudget section of the terminal summary; an incomplete run's banner in yellow;
    last, the report files this run wrote (``written``)."""
    from .render.terminal import summary_lines
    from .render.view import build_view

    terminalreporter.section("greenbudget")
    writer = getattr(terminalreporter, "_tw", None)  # pytest's own width: COLUMNS, else 80
    width = getattr(writer, "fullwidth", 80)
    lines = summary_lines(report, verbose=verbose, noise_measured=noise_given, width=width)
    banner = report.incomplete  # the summary opens with it, up to the headline
    headline = build_view(report).headline
    for line in lines:  # test ids and notes may come from the baseline
        banner = banner and not line.startswith(headline[:20])
        terminalreporter.write_line(printable(line), yellow=banner)
    if written:
        terminalreporter.write_line(printable(f"written: {', '.join(written)}"))
