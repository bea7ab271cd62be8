"""Checks of the path options at configure time, for problems that would otherwise lose data
or mislead silently: a FIFO or device as a report path, one file for both reports, and a
baseline path that moved pytest's rootdir. Each answers a message for a usage error, or None.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .report.io import NotRegularFile, resolve_target, same_target

BASELINE_FLAG = "--greenbudget-baseline"


def path_problem(config: pytest.Config) -> str | None:
    return _report_paths(config) or _moved_rootdir(config)


def _report_paths(config: pytest.Config) -> str | None:
    report, html = config.getoption("greenbudget_report"), config.getoption("greenbudget_html")
    try:  # a FIFO or a device there is refused before any test runs, and again at writing
        for path in (report, html):
            if path:
                resolve_target(path)
        same = bool(report and html) and same_target(html, report)
    except NotRegularFile as exc:
        return str(exc)
    except OSError:  # an unreachable folder, say: the write at the end says so and fails
        return None
    if same:
        return (
            f"--greenbudget-report and --greenbudget-html both name {report}; the HTML page "
            "would replace the JSON report: give two different files"
        )
    return None


def _moved_rootdir(config: pytest.Config) -> str | None:
    moved = _rootdir_without_baseline(config)
    if moved is None:
        return None
    # The flag may be repeated (several base runs): name each path as it was given.
    values = config.getoption("greenbudget_baseline") or []
    spaced = ", ".join(f"{BASELINE_FLAG} {v}" for v in values)
    fixed = " ".join(f"{BASELINE_FLAG}={v}" for v in values)
    return (
        f"{spaced} (written with a space) moved pytest's rootdir from {moved} to "
        f"{config.rootpath}: pytest picks the rootdir from every path on the command line "
        f"before plugins load, so no test id would match the baseline. Write "
        f"{fixed}, or pass --rootdir={moved}"
    )


def _rootdir_without_baseline(config: pytest.Config) -> Path | None:
    """The rootdir pytest would have chosen had the baseline been written with ``=``, when
    that differs from the one it chose; None when it does not (or cannot be known)."""
    args = [str(a) for a in config.invocation_params.args]
    if BASELINE_FLAG not in args or config.option.rootdir or config.option.inifilename:
        return None  # only the space form is read as a path; --rootdir and -c pin the rootdir
    while BASELINE_FLAG in args:  # every occurrence: the flag may be repeated
        at = args.index(BASELINE_FLAG)
        args = args[:at] + args[at + 2 :]
    try:
        from _pytest.config.findpaths import determine_setup  # no public API answers this

        rootdir = determine_setup(
            inifile=None,
            override_ini=config.option.override_ini,
            args=args,
            rootdir_cmd_arg=None,
            invocation_dir=config.invocation_params.dir,
        )[0]
    except Exception:  # another pytest's private API: skip the check rather than fail the run
        return None
    return rootdir if Path(rootdir) != config.rootpath else None
