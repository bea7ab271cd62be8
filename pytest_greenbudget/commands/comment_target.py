"""What a pull-request comment is about: the pull request it goes to (checked against the run
that built it) and the baseline its head report is compared with, from a file or from the
base branch's newest artifacts. Split from comment.py, which posts."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..github.actions import ActionsEnv
from ..report.io import parse_report
from ..report.model import Report, ReportError
from .common import CommandError, load_report

if TYPE_CHECKING:
    from ..github.client import GitHubClient


@dataclass(frozen=True)
class Target:
    """Where the comment goes; ``skip`` says why it goes nowhere."""

    repo: str | None
    pr: int | None
    base_branch: str | None
    skip: str | None = None


def need_client(client: GitHubClient | None, why: str) -> GitHubClient:
    if client is None:
        raise CommandError(f"no GitHub token to {why}: set GITHUB_TOKEN or pass --github-token")
    return client


def find_target(args: argparse.Namespace, env: ActionsEnv, client: GitHubClient | None) -> Target:
    pr = args.pr if args.pr is not None else env.pr_number()
    branch = args.base_branch or env.base_branch()
    built = env.workflow_run_sha()
    check_head = built is not None and args.mode != "never"
    if pr is None or not (check_head or (branch is None and args.baseline_artifact)):
        return Target(env.repository, pr, branch)
    from ..github.client import GitHubError, pull_request_refs

    repo = need_repo(env.repository)
    try:
        pull_base, head_sha = pull_request_refs(need_client(client, "read the PR"), repo, pr)
    except GitHubError as exc:
        if exc.status in (401, 404):
            raise
        return Target(repo, pr, branch, skip=f"cannot read pull request #{pr}: {exc}")
    if check_head and head_sha != built:
        # The PR number came from the triggering run's artifact: a fork can write any number
        # there. Comment only on the pull request whose head that run actually built.
        skip = f"pull request #{pr} is at {head_sha[:7]}, the run built {str(built)[:7]}"
        return Target(repo, pr, branch or pull_base, skip=skip)
    return Target(repo, pr, branch or pull_base)


def need_repo(repo: str | None) -> str:
    if repo is None:
        raise CommandError("GITHUB_REPOSITORY is not set (OWNER/NAME)")
    return repo


def find_baseline(
    args: argparse.Namespace, target: Target, client: GitHubClient | None
) -> tuple[Report | None, list[str]]:
    if args.baseline:
        return load_report(args.baseline, "--baseline"), []
    if not args.baseline_artifact:
        return None, []
    if target.base_branch is None:
        return None, ["No baseline: the base branch is unknown (pass --base-branch)."]
    return _artifact_baseline(args, target.base_branch, need_repo(target.repo), client)


def _artifact_baseline(
    args: argparse.Namespace, branch: str, repo: str, client: GitHubClient | None
) -> tuple[Report | None, list[str]]:
    from ..gate.merge import MergeError, baseline_of
    from ..github.artifacts import fetch_baselines
    from ..github.client import GitHubError

    name = args.baseline_artifact
    gh = need_client(client, "download the baseline artifact")
    budgets_only = "compared with budgets only."
    try:
        found = fetch_baselines(
            gh, repo, name, branch, args.baseline_artifact_path, args.baseline_runs
        )
        reports = [parse_report(b.data, b.origin) for b in found]
        base = baseline_of(reports, [b.origin for b in found])
    except GitHubError as exc:
        if exc.status in (401, 404):
            raise
        return None, [f"No baseline: artifact {name} unusable ({exc}); {budgets_only}"]
    except (ReportError, MergeError) as exc:  # not a report this version reads; a run twice
        return None, [f"No baseline: artifact {name} holds no report ({exc}); {budgets_only}"]
    if not found:
        return None, [f"No baseline: no artifact {name} from {branch} yet; {budgets_only}"]
    if base is not None and base.incomplete:  # e.g. a cancelled push run: not a baseline
        why = base.incomplete_reason or "no reason recorded"
        newest = found[0].origin
        return None, [f"No baseline: {newest} is an incomplete run ({why}); {budgets_only}"]
    older = f" and {len(found) - 1} older run(s) of it" if len(found) > 1 else ""
    return base, [f"Baseline: {found[0].origin}{older}."]
