"""Checks of the command line at configure time, for problems that would otherwise lose data
or mislead silently: a FIFO or device as a report path, one file for both reports, and a
value of ours written with a space that moved pytest's rootdir. Each answers a message for a
usage error, or None.
"""

from __future__ import annotations

from pathlib import Path

import pytest

PREFIX = "--greenbudget-"
SWITCHES = (  # take no value
    "--greenbudget-gate-incomparable", "--greenbudget-disable", "--greenbudget-report-only",
)  # fmt: skip


def check_command_line(config: pytest.Config) -> None:
    """A value of ours written with a space that moved the rootdir stops the run before it
    starts, so no test runs under another folder's ini and no report is overwritten; so do
    the usage errors of --greenbudget-against."""
    against = config.getoption("greenbudget_against") is not None
    if against and not config.getoption("greenbudget_paired_worker"):
        from .paired.phase import check_usage

        check_usage(config)
    if not any(str(a).startswith("--greenbudget-") for a in config.invocation_params.args):
        return  # nothing of ours on the command line: no rootdir to have moved
    problem = moved_rootdir(config)
    if problem:
        raise pytest.UsageError(f"greenbudget: {problem}")


def path_problem(config: pytest.Config) -> str | None:
    return _report_paths(config)


def _report_paths(config: pytest.Config) -> str | None:
    from .report.io import NotRegularFile, resolve_target, same_target  # only when asked

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


def moved_rootdir(config: pytest.Config) -> str | None:
    """A value of ours written with a space that moved pytest's rootdir: pytest chooses the
    rootdir (and with it the ini file, the config and the test ids) from every existing path
    on the command line before plugins load, so ``--greenbudget-report r.json`` moves it as
    soon as r.json exists, on the second run of the same command."""
    args = [str(a) for a in config.invocation_params.args]
    spaced = _spaced(args)
    if not spaced or config.option.rootdir or config.option.inifilename:
        return None  # only the space form is read as a path; --rootdir and -c pin the rootdir
    moved = _rootdir_without(config, args, spaced)
    if moved is None:
        return None
    here = config.invocation_params.dir
    culprits = [(f, v) for f, v in spaced if Path(here, v).exists()] or spaced
    given = ", ".join(f"{flag} {value}" for flag, value in culprits)
    fixed = " ".join(f"{flag}={value}" for flag, value in culprits)
    return (
        f"{given} (written with a space) moved pytest's rootdir from {moved} to "
        f"{config.rootpath}: pytest picks the rootdir from every path on the command line "
        f"before plugins load, so another folder's ini file, budgets and test ids would "
        f"apply. Write {fixed}"
    )  # not --rootdir: it pins the rootdir, but pytest still takes the ini file from the paths


def _spaced(args: list[str]) -> list[tuple[str, str]]:
    """Our options given as two words, ``--greenbudget-report PATH``, with their values."""
    pairs: list[tuple[str, str]] = []
    at = 0
    while at < len(args) - 1:
        flag = args[at]
        if flag.startswith(PREFIX) and "=" not in flag and flag not in SWITCHES:
            pairs.append((flag, args[at + 1]))
            at += 1
        at += 1
    return pairs


def _rootdir_without(
    config: pytest.Config, args: list[str], spaced: list[tuple[str, str]]
) -> Path | None:
    """The rootdir pytest would have chosen had our values been written with ``=``, when
    that differs from the one it chose; None when it does not (or cannot be known)."""
    kept: list[str] = []
    values = iter(spaced)
    pending = next(values, None)
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif pending is not None and arg == pending[0]:
            skip, pending = True, next(values, None)
        else:
            kept.append(arg)
    try:
        from _pytest.config.findpaths import determine_setup  # no public API answers this

        rootdir = determine_setup(
            inifile=None,
            override_ini=config.option.override_ini,
            args=kept,
            rootdir_cmd_arg=None,
            invocation_dir=config.invocation_params.dir,
        )[0]
    except Exception:  # another pytest's private API: skip the check rather than fail the run
        return None
    return Path(rootdir) if Path(rootdir) != config.rootpath else None
