"""What the double's repository holds: tokens, pull requests, their comments, and artifacts.

Kept apart from HTTP so that tests seed and inspect it directly (``add_pull``, ``comments``)
and the endpoints in ``github_double.rest`` change it the same way a request to GitHub would.
"""

from __future__ import annotations

import itertools
from typing import Any

from github_double.model import BOT, FORK_ID, HUMAN, ISO, READ_TOKEN, REPO_ID, WRITE_TOKEN, Account


class Repository:
    """State of one repository (``octo-org/energy``)."""

    def __init__(self) -> None:
        self.tokens = {WRITE_TOKEN: ("write", BOT), READ_TOKEN: ("read", BOT)}
        self.comments: dict[int, list[dict[str, Any]]] = {}
        self.pulls: dict[int, tuple[str, str]] = {}  # number -> (base ref, head sha)
        self.artifacts: list[dict[str, Any]] = []
        self.blobs: dict[str, bytes] = {}
        self.labels: dict[int, list[tuple[str, Account, str]]] = {}  # (name, who, when)
        # One counter for comments and artifacts, as on GitHub ids never collide in a test.
        self._ids = itertools.count(9001)

    def add_pull(
        self, number: int, base: str = "main", head_sha: str = "c0ffee" * 6 + "c0fe"
    ) -> None:
        self.pulls[number] = (base, head_sha)
        self.comments.setdefault(number, [])

    def add_label(self, pr: int, name: str, account: Account = HUMAN, at: str = ISO) -> None:
        """A label added to the pull request: in its labels, and as a ``labeled`` event."""
        self.labels.setdefault(pr, []).append((name, account, at))

    def add_comment(self, pr: int, body: str, account: Account = HUMAN) -> int:
        comment_id = next(self._ids)
        self.comments[pr].append({"id": comment_id, "body": body, "account": account, "pr": pr})
        return comment_id

    def add_artifact(
        self, name: str, branch: str, archive: bytes, *, created: str = ISO, **flags: bool
    ) -> int:
        """``expired=True`` for an expired one, ``fork=True`` for one a fork's run uploaded."""
        artifact_id = next(self._ids)
        self.blobs[str(artifact_id)] = archive
        self.artifacts.append(
            {
                "id": artifact_id,
                "name": name,
                "size": len(archive),
                "created_at": created,
                "expired": flags.get("expired", False),
                "workflow_run": _run(artifact_id, branch, fork=flags.get("fork", False)),
            }
        )
        return artifact_id

    def bodies(self, pr: int) -> list[str]:
        return [c["body"] for c in self.comments[pr]]

    def find_comment(self, comment_id: int) -> dict[str, Any] | None:
        everything = (c for comments in self.comments.values() for c in comments)
        return next((c for c in everything if c["id"] == comment_id), None)

    def find_artifact(self, artifact_id: int) -> dict[str, Any] | None:
        return next((a for a in self.artifacts if a["id"] == artifact_id), None)


def _run(artifact_id: int, branch: str, *, fork: bool) -> dict[str, Any]:
    """The workflow run that uploaded an artifact; the client reads branch and head repository."""
    return {
        "id": artifact_id * 10,
        "repository_id": REPO_ID,
        "head_branch": branch,
        "head_repository_id": FORK_ID if fork else REPO_ID,
        "head_sha": f"{artifact_id:040x}",
    }
