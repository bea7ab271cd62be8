"""The REST endpoints the client uses, answered from a ``Repository`` as GitHub answers them.

Bodies are built from GitHub's own examples where the description has one, so the response
validation in ``github_double.openapi`` checks real shapes, not ones we invented.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

from github_double.model import EXAMPLES, ISO, NAME, OWNER, REPO_ID, Account, Reply, error
from github_double.state import Repository

Query = dict[str, list[str]]


class Rest:
    """One request's view of the API: the repository plus the URLs its bodies link to."""

    def __init__(self, repo: Repository, api_url: str, storage_origin: str) -> None:
        self.repo, self.api_url, self.storage_origin = repo, api_url, storage_origin

    def answer(self, method: str, path: str, query: Query, token: str, body: bytes) -> Reply | None:
        """The reply of the endpoint ``method path`` names; None when no endpoint does."""
        for route, handler in self._routes():
            match = re.fullmatch(route, f"{method} {path}")
            if match:
                return handler(*match.groups(), query=query, token=token, body=body)
        return None

    def _routes(self) -> Iterator[tuple[str, Callable[..., Reply]]]:
        repo = f"/repos/{OWNER}/{NAME}"
        yield rf"GET {repo}/issues/(\d+)/comments", self._list_comments
        yield rf"POST {repo}/issues/(\d+)/comments", self._create_comment
        yield rf"PATCH {repo}/issues/comments/(\d+)", self._update_comment
        yield rf"DELETE {repo}/issues/comments/(\d+)", self._delete_comment
        yield rf"GET {repo}/issues/(\d+)/events", self._list_events
        yield rf"GET {repo}/pulls/(\d+)", self._get_pull
        yield rf"GET {repo}/actions/artifacts", self._list_artifacts
        yield rf"GET {repo}/actions/artifacts/(\d+)/zip", self._download_artifact

    # --- endpoints ---------------------------------------------------------------------

    def _list_comments(self, pr: str, *, query: Query, **_: Any) -> Reply:
        if int(pr) not in self.repo.comments:
            return error(404, "Not Found")
        items = [self._comment_json(c) for c in self.repo.comments[int(pr)]]
        return self._page(items, query, f"/repositories/{REPO_ID}/issues/{pr}/comments", None)

    def _create_comment(self, pr: str, *, token: str, body: bytes, **_: Any) -> Reply:
        if int(pr) not in self.repo.comments:
            return error(404, "Not Found")
        refused = self._refuse_write(token, body)
        if refused:
            return refused
        account = self.repo.tokens[token][1]
        self.repo.add_comment(int(pr), json.loads(body)["body"], account)
        data = self._comment_json(self.repo.comments[int(pr)][-1])
        return Reply(201, data, {"Location": data["url"]})

    def _update_comment(self, comment_id: str, *, token: str, body: bytes, **_: Any) -> Reply:
        comment = self.repo.find_comment(int(comment_id))
        if comment is None:
            return error(404, "Not Found")
        refused = self._refuse_write(token, body)
        if refused:
            return refused
        comment["body"] = json.loads(body)["body"]
        return Reply(200, self._comment_json(comment))

    def _delete_comment(self, comment_id: str, *, token: str, **_: Any) -> Reply:
        comment = self.repo.find_comment(int(comment_id))
        if comment is None or self.repo.tokens[token][0] != "write":
            return error(404 if comment is None else 403, "Resource not accessible by integration")
        self.repo.comments[comment["pr"]].remove(comment)
        return Reply(204)

    def _get_pull(self, number: str, **_: Any) -> Reply:
        if int(number) not in self.repo.pulls:
            return error(404, "Not Found")
        base, sha = self.repo.pulls[int(number)]
        pull = copy.deepcopy(EXAMPLES["pull-request"]["value"])
        pull["number"], pull["base"]["ref"], pull["head"]["sha"] = int(number), base, sha
        pull["requested_teams"] = []  # GitHub's example team lacks the required "type"
        label = pull["labels"][0] if pull["labels"] else {}
        names = sorted({n for n, _, _ in self.repo.labels.get(int(number), [])})
        pull["labels"] = [{**label, "id": i + 1, "name": n} for i, n in enumerate(names)]
        return Reply(200, pull)

    def _list_events(self, number: str, *, query: Query, **_: Any) -> Reply:
        if int(number) not in self.repo.pulls:
            return error(404, "Not Found")
        items = [
            {
                "id": 70000 + i,
                "node_id": f"LE_{i}",
                "url": f"{self.api_url}/repos/{OWNER}/{NAME}/issues/events/{70000 + i}",
                "actor": _user(account),
                "event": "labeled",
                "commit_id": None,
                "commit_url": None,
                "created_at": at,
                "performed_via_github_app": None,
                "label": {"name": name, "color": "0e8a16"},
            }
            for i, (name, account, at) in enumerate(self.repo.labels.get(int(number), []))
        ]
        return self._page(items, query, f"/repositories/{REPO_ID}/issues/{number}/events", None)

    def _list_artifacts(self, *, query: Query, **_: Any) -> Reply:
        name = query.get("name", [None])[0]
        artifacts = self.repo.artifacts
        items = [self._artifact_json(a) for a in artifacts if name in (None, a["name"])]
        items.reverse()  # GitHub lists the newest first
        path = f"/repositories/{REPO_ID}/actions/artifacts"
        return self._page(items, query, path, "artifacts", name=name)

    def _download_artifact(self, artifact_id: str, **_: Any) -> Reply:
        artifact = self.repo.find_artifact(int(artifact_id))
        if artifact is None or artifact["expired"]:
            return error(410 if artifact else 404, "Gone" if artifact else "Not Found")
        location = f"{self.storage_origin}/blob/{artifact_id}?sig=signed"
        return Reply(302, None, {"Location": location})

    # --- rules and pagination ----------------------------------------------------------

    def _refuse_write(self, token: str, body: bytes) -> Reply | None:
        if self.repo.tokens[token][0] != "write":
            return error(403, "Resource not accessible by integration")
        text = json.loads(body).get("body", "")
        if len(text) > 65536:
            detail = {
                "resource": "IssueComment",
                "code": "unprocessable",
                "field": "data",
                "message": "Body is too long (maximum is 65536 characters)",
            }
            return error(422, "Validation Failed", errors=[detail])
        return None

    def _page(
        self, items: list[Any], query: Query, path: str, key: str | None, **extra: Any
    ) -> Reply:
        per_page = min(int(query.get("per_page", ["30"])[0]), 100)
        page = int(query.get("page", ["1"])[0])
        last = max((len(items) + per_page - 1) // per_page, 1)
        chunk = items[(page - 1) * per_page : page * per_page]
        body = {"total_count": len(items), key: chunk} if key else chunk
        links = _links(self.api_url + path, page, last, per_page, extra)
        return Reply(200, body, {"Link": links} if links else {})

    # --- bodies ------------------------------------------------------------------------

    def _comment_json(self, comment: dict[str, Any]) -> dict[str, Any]:
        account, pr, cid = comment["account"], comment["pr"], comment["id"]
        return {
            "id": cid,
            "node_id": f"IC_{cid}",
            "body": comment["body"],
            "url": f"{self.api_url}/repos/{OWNER}/{NAME}/issues/comments/{cid}",
            "html_url": f"https://github.example/{OWNER}/{NAME}/pull/{pr}#issuecomment-{cid}",
            "issue_url": f"{self.api_url}/repos/{OWNER}/{NAME}/issues/{pr}",
            "user": _user(account),
            "created_at": ISO,
            "updated_at": ISO,
            "author_association": "NONE" if account.type == "Bot" else "MEMBER",
            "performed_via_github_app": _app() if account.type == "Bot" else None,
        }

    def _artifact_json(self, artifact: dict[str, Any]) -> dict[str, Any]:
        url = f"{self.api_url}/repos/{OWNER}/{NAME}/actions/artifacts/{artifact['id']}"
        return {
            "id": artifact["id"],
            "node_id": f"A_{artifact['id']}",
            "name": artifact["name"],
            "size_in_bytes": artifact["size"],
            "url": url,
            "archive_download_url": url + "/zip",
            "expired": artifact["expired"],
            "created_at": artifact["created_at"],
            "expires_at": "2099-01-01T00:00:00Z",
            "updated_at": artifact["created_at"],
            "digest": None,
            "workflow_run": artifact["workflow_run"],
        }


def _links(base: str, page: int, last: int, per_page: int, extra: dict[str, Any]) -> str:
    if last == 1:
        return ""  # GitHub sends no Link header when everything fits on one page
    # GitHub: "next" and "last" until the last page, "prev" and "first" after the first.
    rels = {"prev": page - 1, "next": page + 1, "last": last, "first": 1}
    shown = {r: n for r, n in rels.items() if (page < last if r in ("next", "last") else page > 1)}
    params = {k: v for k, v in extra.items() if v is not None}
    return ", ".join(
        f'<{base}?{urlencode({**params, "per_page": per_page, "page": n})}>; rel="{rel}"'
        for rel, n in shown.items()
    )


def _user(account: Account) -> dict[str, Any]:
    user: dict[str, Any] = copy.deepcopy(EXAMPLES["issue-comment"]["value"]["user"])
    user.update(login=account.login, id=account.id, type=account.type)
    return user


def _app() -> dict[str, Any]:
    return {
        "id": 15368,
        "slug": "github-actions",
        "node_id": "MDM6QXBwMTUzNjg=",
        "owner": _user(Account("github", 9919, "Organization")),
        "name": "GitHub Actions",
        "description": "Automate your workflow",
        "external_url": "https://help.github.com/en/actions",
        "html_url": "https://github.com/apps/github-actions",
        "created_at": "2018-07-30T09:30:17Z",
        "updated_at": "2019-12-10T19:04:12Z",
        "permissions": {"issues": "write", "pull_requests": "write"},
        "events": [],
    }
