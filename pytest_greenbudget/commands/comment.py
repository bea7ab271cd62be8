"""Post the energy report to the pull request as one sticky comment, plus the job summary.

Reads GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_EVENT_NAME, GITHUB_EVENT_PATH, GITHUB_API_URL,
GITHUB_SERVER_URL, GITHUB_RUN_ID, GITHUB_STEP_SUMMARY and GITHUB_OUTPUT as a GitHub Actions
runner sets them. GitHub being down, rate-limited or handing out a read-only token (fork pull
requests) never fails the build: the summary is written and a warning printed. A bad token or an
unknown repository or pull request is an error (exit 2). With --fail-on-regression the exit
status is 1 when a test regressed or went over budget.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..gate.accept import blocking
from ..github.actions import DEFAULT_BOT_LOGIN, ActionsEnv, ActionsError, command
from ..render.sections import section_name
from ..render.view import View
from ..report.model import Report, incomplete_notes
from ..report.untrusted import printable
from .comment_target import (
    Target,
    find_baseline,
    find_target,
    need_client,
    need_repo,
)
from .common import CommandError, load_report

if TYPE_CHECKING:
    from ..github.client import GitHubClient

DEFAULT_LABEL = "energy-accepted"  # settings.accept.DEFAULT_LABEL, without importing settings
MODES = ("always", "on-change", "on-regression", "never")
CHANGED = ("regressed", "over-budget", "improved", "new", "missing")
MAX_RUNS = 20  # artifacts downloaded for a baseline history: each is one request and a zip
SUMMARY_CHARS = 256 * 1024  # 4 bytes a character at worst: within the summary's 1 MiB


def _pr_number(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"not a pull request number: {text!r}")
    return int(text)


def _runs(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= MAX_RUNS:
        raise argparse.ArgumentTypeError(f"runs must be a whole number 1-{MAX_RUNS}: {text!r}")
    return int(text)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--report", required=True, metavar="HEAD", help="this run's report")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--baseline", metavar="BASE", help="the base branch's report file")
    source.add_argument(
        "--baseline-artifact",
        metavar="NAME",
        help="take the baseline from the newest artifact NAME uploaded by a run on the base branch",
    )
    parser.add_argument(
        "--baseline-runs",
        type=_runs,
        default=1,
        metavar="N",
        help="with --baseline-artifact: the newest N artifacts of the base branch, so that each "
        "test is judged by its own noise between those runs (default 1)",
    )
    parser.add_argument(
        "--baseline-artifact-path",
        metavar="PATH",
        help="the report's path inside the artifact (default: its only .json file)",
    )
    parser.add_argument("--base-branch", help="default: the pull request's base branch")
    parser.add_argument(
        "--pr",
        type=_pr_number,
        metavar="N",
        help="pull request number (default: from the pull_request event; needed for workflow_run)",
    )
    parser.add_argument("--mode", choices=MODES, default="always", help="when to comment")
    parser.add_argument(
        "--fail-on-regression", action="store_true", help="exit 1 on a regression or overrun"
    )
    parser.add_argument(
        "--section",
        type=section_name,
        metavar="NAME",
        help="this job's section of the one comment that a matrix's jobs share "
        "(e.g. the Python version, gpu or cpu); each job updates only its own",
    )
    parser.add_argument(
        "--accept-label",
        default=DEFAULT_LABEL,
        metavar="LABEL",
        help=f"a pull-request label that accepts its regressions (default: {DEFAULT_LABEL}; "
        "'' turns it off): they stay regressed in the report but do not fail",
    )
    parser.add_argument("--github-token", help="default: $GITHUB_TOKEN (prefer the variable)")
    parser.add_argument(
        "--bot-login",
        default=DEFAULT_BOT_LOGIN,
        help="login the token comments as "
        f"(default: {DEFAULT_BOT_LOGIN}; a GitHub App's is APP-SLUG[bot])",
    )


def run(args: argparse.Namespace, *, sleep: Callable[[float], None] = time.sleep) -> int:
    env = _env()
    head = load_report(args.report, "--report")
    from ..github.client import GitHubClient, GitHubError
    from ..github.redaction import check_token

    try:  # stripped here, so a secret saved with its newline works and never leaks
        token = check_token(args.github_token or os.environ.get("GITHUB_TOKEN", ""))
    except ValueError as exc:
        raise CommandError(str(exc)) from None

    with GitHubClient(env.api_url, token, sleep=sleep) as client:
        try:
            return _run(args, env, head, client if token else None, sleep)
        except GitHubError as exc:
            # Only errors that a person must fix reach here: a bad token or a wrong name.
            raise CommandError(f"GitHub: {exc}") from None


def _env() -> ActionsEnv:
    try:
        return ActionsEnv.from_environ(os.environ)
    except ActionsError as exc:
        raise CommandError(str(exc)) from None


def _run(
    args: argparse.Namespace,
    env: ActionsEnv,
    head: Report,
    client: GitHubClient | None,
    sleep: Callable[[float], None],
) -> int:
    from ..render.markdown import render_markdown
    from ..render.view import build_view

    target = find_target(args, env, client)
    base, notes = find_baseline(args, target, client)
    incomplete = incomplete_notes(base, head)
    for line in incomplete:
        print(f"greenbudget: warning: {printable(line)}", file=sys.stderr)
    incomplete = [f"⚠️ {line[0].upper()}{line[1:]}." for line in incomplete]
    report, warnings, gate = _compare(base, head)
    if args.accept_label and any(t.verdict == "regressed" for t in report.tests):
        from ..github.labels import accept_by_label

        report = accept_by_label(report, env, client, target.repo, target.pr, args.accept_label)
        gate = gate and any(blocking(t) for t in report.tests)
    view = build_view(report, notes=[*incomplete, *notes, *warnings], run_url=env.run_url())
    if env.step_summary is not None:
        from ..github.actions import append_summary

        append_summary(env.step_summary, render_markdown(view, SUMMARY_CHARS))
    url = _post(args, target, client, view, sleep)
    from ..github.actions import annotate, step_outputs

    annotate(view)
    step_outputs(env, view, url)
    failed = gate or view.counts.get("over-budget", 0) > 0
    return 1 if args.fail_on_regression and failed else 0


def _compare(base: Report | None, head: Report) -> tuple[Report, tuple[str, ...], bool]:
    """Head with verdicts; without a baseline, the verdicts pytest already gave it."""
    if base is None:
        gate = any(blocking(t) or t.verdict == "over-budget" for t in head.tests)
        return head, (), gate
    from ..gate.compare import compare_reports

    result = compare_reports(base, head)
    return result.report, tuple(result.warnings), result.gate_failed


def _post(
    args: argparse.Namespace,
    target: Target,
    client: GitHubClient | None,
    view: View,
    sleep: Callable[[float], None],
) -> str:
    """The comment's URL, or "" when none was written (and a line saying why)."""
    if args.mode == "never" or target.pr is None or target.skip:
        why = target.skip or ("--mode never" if args.mode == "never" else "no pull request")
        print(f"greenbudget: not commenting: {printable(why)}", file=sys.stderr)
        return ""
    from ..github.client import GitHubError, upsert_comment
    from ..render.markdown import render_markdown

    gh, repo = need_client(client, "comment"), need_repo(target.repo)
    try:
        create = _should_create(args.mode, view)
        if args.section:
            from ..github.sections import post_section

            where = (repo, target.pr)
            posted = post_section(gh, where, view, args.section, args.bot_login, create, sleep)
        else:
            body = render_markdown(view)
            posted = upsert_comment(
                gh, repo, target.pr, body, bot_login=args.bot_login, create=create
            )
    except GitHubError as exc:
        if exc.status in (401, 404):
            raise
        print(command("warning", f"greenbudget could not comment: {exc}", title=_why(exc)))
        return ""
    return posted.html_url if posted else ""


def _why(exc: Exception) -> str:
    from ..github.client import ReadOnlyToken, Unavailable

    if isinstance(exc, ReadOnlyToken):
        return "Read-only token (fork pull request?): see the job summary"
    if isinstance(exc, Unavailable):
        return "GitHub unavailable: see the job summary"
    return "GitHub refused the comment: see the job summary"


def _should_create(mode: str, view: View) -> bool:
    """Whether to create a comment; an existing one is always kept up to date instead."""
    if mode == "on-change":
        return any(view.counts.get(v, 0) for v in CHANGED)
    return mode == "always" or (mode == "on-regression" and view.failed)
