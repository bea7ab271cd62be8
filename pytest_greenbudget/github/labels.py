"""The accept label on a pull request: whether it is there, and who added it when.

Whether it is there comes from the event payload (``pull_request.labels``) or, on a
``workflow_run`` event, from the pull request itself. Who added it and when comes from the
issue's events (``GET /repos/{owner}/{repo}/issues/{number}/events``, the newest ``labeled``
event for that label); a token that may not read them still accepts, and says so.
"""

from __future__ import annotations

from typing import Any

from ..gate.accept import accept
from ..report.model import Report
from .actions import ActionsEnv
from .client import GitHubClient, GitHubError


def pull_labels(client: GitHubClient, repo: str, pr: int) -> tuple[str, ...]:
    data = client.json("GET", f"/repos/{repo}/pulls/{pr}")
    labels = data.get("labels") if isinstance(data, dict) else None
    return tuple(
        str(item["name"])
        for item in (labels if isinstance(labels, list) else [])
        if isinstance(item, dict) and isinstance(item.get("name"), str)
    )


def label_reason(client: GitHubClient | None, repo: str | None, pr: int, label: str) -> str:
    """'accepted by the label L on pull request #N, added by LOGIN at TIME', or with what
    could not be found out said instead."""
    base = f"accepted by the label {label} on pull request #{pr}"
    if client is None or repo is None:
        return f"{base} (who added it and when: no token to ask GitHub)"
    try:
        event = _newest_labeled(client, repo, pr, label)
    except GitHubError as exc:
        return f"{base} (who added it and when: GitHub did not say: {exc})"
    if event is None:
        return f"{base} (who added it and when: no labeled event found)"
    login, when = event
    return f"{base}, added by {login} at {when}"


def _newest_labeled(client: GitHubClient, repo: str, pr: int, label: str) -> tuple[str, str] | None:
    found = None
    for item in client.paginate(f"/repos/{repo}/issues/{pr}/events"):
        if _is_labeled(item, label):
            actor = item.get("actor")
            login = actor.get("login") if isinstance(actor, dict) else None
            found = (str(login or "an unknown account"), str(item.get("created_at") or "?"))
    return found  # GitHub lists events oldest first: the last one is the newest


def _is_labeled(item: Any, label: str) -> bool:
    if not isinstance(item, dict) or item.get("event") != "labeled":
        return False
    named = item.get("label")
    return isinstance(named, dict) and named.get("name") == label


def accept_by_label(
    report: Report,
    env: ActionsEnv,
    client: GitHubClient | None,
    repo: str | None,
    pr: int | None,
    label: str,
) -> Report:
    """The report with its regressions accepted when the pull request carries ``label``."""
    if pr is None:
        return report
    labels = env.labels() if env.pull_request() else None
    if labels is None and client is not None and repo is not None:
        try:  # a workflow_run event carries no labels: ask the pull request
            labels = pull_labels(client, repo, pr)
        except GitHubError:
            labels = None
    if not labels or label not in labels:
        return report
    reason = label_reason(client, repo, pr, label)
    return report.with_tests(tuple(accept(t, reason) for t in report.tests))
