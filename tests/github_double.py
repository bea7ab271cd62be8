"""A loopback double of the GitHub REST API, held honest by GitHub's own OpenAPI description.

Every request it receives and every response it sends is validated against
``data/github-openapi/subset.json`` with openapi-core; anything that does not fit is recorded in
``problems``, which the fixtures assert empty. What the description does not say is modelled on
GitHub's documentation: ``/repositories/{id}/...`` pagination links, error bodies for 401, rate
limits and 5xx (checked against the ``basic-error`` schema), the 65,536-character body limit,
the read-only token of fork pull requests, GHES's ``/api/v3`` prefix, and artifact downloads
redirected to a storage host (a second server) that refuses requests carrying Authorization.
"""

from __future__ import annotations

import copy
import functools
import itertools
import json
import re
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from pytest_greenbudget.results import (
    BaselineFigures,
    Budget,
    CarbonSettings,
    Component,
    ComponentMeter,
    Environment,
    Report,
    TestEntry,
)

SPEC = json.loads((Path(__file__).parent / "data/github-openapi/subset.json").read_text())
EXAMPLES = SPEC["components"]["examples"]
OWNER, NAME, REPO_ID, FORK_ID = "octo-org", "energy", 4242, 777
WRITE_TOKEN = "ghs_DoubleWriteToken0123456789abcdefXYZ"
READ_TOKEN = "ghs_DoubleForkReadOnly0123456789abcdefXY"
DOCS = "https://docs.github.com/rest"
SECONDARY = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
)
ISO = "2024-05-01T12:00:00Z"


@dataclass(frozen=True)
class Account:
    login: str
    id: int
    type: str  # "Bot" | "User"


BOT = Account("github-actions[bot]", 41898282, "Bot")
HUMAN = Account("octocat", 1, "User")


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None  # sent as is (the archive), not as JSON


@dataclass
class Seen:
    host: str
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    body: bytes


@dataclass
class Fault:
    method: str
    path: re.Pattern[str]
    reply: Reply
    times: int


def error(status: int, message: str, **extra: Any) -> Reply:
    return Reply(status, {"message": message, "documentation_url": DOCS, **extra})


def secondary_limit(retry_after: int | None) -> Reply:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    return Reply(403, {"message": SECONDARY, "documentation_url": DOCS}, headers)


@functools.cache
def _openapi() -> Any:
    from openapi_core import OpenAPI

    return OpenAPI.from_dict(SPEC)


class GitHubDouble:
    """State of one repository (``octo-org/energy``) and the two servers that expose it."""

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix
        self.tokens = {WRITE_TOKEN: ("write", BOT), READ_TOKEN: ("read", BOT)}
        self.comments: dict[int, list[dict[str, Any]]] = {}
        self.pulls: dict[int, tuple[str, str]] = {}  # number -> (base ref, head sha)
        self.artifacts: list[dict[str, Any]] = []
        self.blobs: dict[str, bytes] = {}
        self.faults: list[Fault] = []
        self.seen: list[Seen] = []
        self.problems: list[str] = []
        self._ids = itertools.count(9001)
        self._lock = threading.Lock()

    # --- lifecycle ----------------------------------------------------------------------

    def __enter__(self) -> GitHubDouble:
        self._api = _serve("127.0.0.1", self, api=True)
        self._storage = _serve(_second_host(), self, api=False)
        return self

    def __exit__(self, *exc: object) -> None:
        for server in (self._api, self._storage):
            server.shutdown()
            server.server_close()

    @property
    def origin(self) -> str:
        host, port = self._api.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        return self.origin + self.prefix

    @property
    def storage_origin(self) -> str:
        host, port = self._storage.server_address[:2]
        return f"http://{host}:{port}"

    # --- seeding -----------------------------------------------------------------------

    def add_pull(
        self, number: int, base: str = "main", head_sha: str = "c0ffee" * 6 + "c0fe"
    ) -> None:
        self.pulls[number] = (base, head_sha)
        self.comments.setdefault(number, [])

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
        run = {"id": artifact_id * 10, "repository_id": REPO_ID, "head_branch": branch}
        run["head_repository_id"] = FORK_ID if flags.get("fork") else REPO_ID
        run["head_sha"] = f"{artifact_id:040x}"
        self.artifacts.append(
            {
                "id": artifact_id,
                "name": name,
                "size": len(archive),
                "created_at": created,
                "expired": flags.get("expired", False),
                "workflow_run": run,
            }
        )
        return artifact_id

    def fail(self, method: str, path: str, reply: Reply, times: int = 1) -> None:
        """Answer the next ``times`` ``method`` requests whose path matches ``path`` (regex)."""
        self.faults.append(Fault(method, re.compile(path), reply, times))

    def bodies(self, pr: int) -> list[str]:
        return [c["body"] for c in self.comments[pr]]

    def requests(self, method: str | None = None) -> list[Seen]:
        return [s for s in self.seen if method is None or s.method == method]

    # --- serving -----------------------------------------------------------------------

    def serve_api(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Reply:
        with self._lock:
            self.seen.append(Seen("api", method, target, headers, body))
            split = urlsplit(target)
            if not split.path.startswith(self.prefix + "/"):
                self.problems.append(
                    f"{method} {split.path}: outside the API prefix {self.prefix!r}"
                )
                return error(404, "Not Found")
            path = _canonical(split.path[len(self.prefix) :])
            known = len(self.problems)
            self._check_request(method, path, split.query, headers, body)
            if len(self.problems) > known:  # GitHub refuses what its description does not allow
                return error(422, "Validation Failed")
            reply = self._answer(method, path, parse_qs(split.query), _token(headers), body)
            self._check_response(method, path, split.query, headers, body, reply)
            return reply

    def serve_storage(self, method: str, target: str, headers: dict[str, str]) -> Reply:
        with self._lock:
            self.seen.append(Seen("storage", method, target, headers, b""))
            if "authorization" in headers:
                self.problems.append("the Authorization header followed the redirect to storage")
                return Reply(400, raw=b"<Error><Code>InvalidAuthenticationInfo</Code></Error>")
            match = re.fullmatch(r"/blob/(\d+)\?sig=signed", target)
            if method != "GET" or not match or match[1] not in self.blobs:
                return Reply(404, raw=b"<Error><Code>BlobNotFound</Code></Error>")
            return Reply(200, raw=self.blobs[match[1]], headers={"Content-Type": "application/zip"})

    def _answer(
        self, method: str, path: str, query: dict[str, list[str]], token: str | None, body: bytes
    ) -> Reply:
        if token not in self.tokens:
            return error(401, "Bad credentials")
        for fault in self.faults:
            if fault.times and fault.method == method and fault.path.search(path):
                fault.times -= 1
                return fault.reply
        for route, handler in self._routes():
            match = re.fullmatch(route, f"{method} {path}")
            if match:
                return handler(*match.groups(), query=query, token=token, body=body)
        self.problems.append(f"{method} {path}: not an endpoint of the description")
        return error(404, "Not Found")

    def _routes(self) -> Iterator[tuple[str, Any]]:
        repo = f"/repos/{OWNER}/{NAME}"
        yield rf"GET {repo}/issues/(\d+)/comments", self._list_comments
        yield rf"POST {repo}/issues/(\d+)/comments", self._create_comment
        yield rf"PATCH {repo}/issues/comments/(\d+)", self._update_comment
        yield rf"DELETE {repo}/issues/comments/(\d+)", self._delete_comment
        yield rf"GET {repo}/pulls/(\d+)", self._get_pull
        yield rf"GET {repo}/actions/artifacts", self._list_artifacts
        yield rf"GET {repo}/actions/artifacts/(\d+)/zip", self._download_artifact

    # --- endpoints ---------------------------------------------------------------------

    def _list_comments(self, pr: str, *, query: dict[str, list[str]], **_: Any) -> Reply:
        if int(pr) not in self.comments:
            return error(404, "Not Found")
        items = [self._comment_json(c) for c in self.comments[int(pr)]]
        return self._page(items, query, f"/repositories/{REPO_ID}/issues/{pr}/comments", None)

    def _create_comment(self, pr: str, *, token: str, body: bytes, **_: Any) -> Reply:
        if int(pr) not in self.comments:
            return error(404, "Not Found")
        refused = self._refuse_write(token, body)
        if refused:
            return refused
        account = self.tokens[token][1]
        self.add_comment(int(pr), json.loads(body)["body"], account)
        data = self._comment_json(self.comments[int(pr)][-1])
        return Reply(201, data, {"Location": data["url"]})

    def _update_comment(self, comment_id: str, *, token: str, body: bytes, **_: Any) -> Reply:
        comment = self._find(int(comment_id))
        if comment is None:
            return error(404, "Not Found")
        refused = self._refuse_write(token, body)
        if refused:
            return refused
        comment["body"] = json.loads(body)["body"]
        return Reply(200, self._comment_json(comment))

    def _delete_comment(self, comment_id: str, *, token: str, **_: Any) -> Reply:
        comment = self._find(int(comment_id))
        if comment is None or self.tokens[token][0] != "write":
            return error(404 if comment is None else 403, "Resource not accessible by integration")
        self.comments[comment["pr"]].remove(comment)
        return Reply(204)

    def _get_pull(self, number: str, **_: Any) -> Reply:
        if int(number) not in self.pulls:
            return error(404, "Not Found")
        base, sha = self.pulls[int(number)]
        pull = copy.deepcopy(EXAMPLES["pull-request"]["value"])
        pull["number"], pull["base"]["ref"], pull["head"]["sha"] = int(number), base, sha
        pull["requested_teams"] = []  # GitHub's example team lacks the required "type"
        return Reply(200, pull)

    def _list_artifacts(self, *, query: dict[str, list[str]], **_: Any) -> Reply:
        name = query.get("name", [None])[0]
        items = [self._artifact_json(a) for a in self.artifacts if name in (None, a["name"])]
        items.reverse()  # GitHub lists the newest first
        path = f"/repositories/{REPO_ID}/actions/artifacts"
        return self._page(items, query, path, "artifacts", name=name)

    def _download_artifact(self, artifact_id: str, **_: Any) -> Reply:
        artifact = next((a for a in self.artifacts if a["id"] == int(artifact_id)), None)
        if artifact is None or artifact["expired"]:
            return error(410 if artifact else 404, "Gone" if artifact else "Not Found")
        location = f"{self.storage_origin}/blob/{artifact_id}?sig=signed"
        return Reply(302, None, {"Location": location})

    # --- helpers -----------------------------------------------------------------------

    def _refuse_write(self, token: str, body: bytes) -> Reply | None:
        if self.tokens[token][0] != "write":
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

    def _find(self, comment_id: int) -> dict[str, Any] | None:
        everything = (c for comments in self.comments.values() for c in comments)
        return next((c for c in everything if c["id"] == comment_id), None)

    def _page(
        self,
        items: list[Any],
        query: dict[str, list[str]],
        path: str,
        key: str | None,
        **extra: Any,
    ) -> Reply:
        per_page = min(int(query.get("per_page", ["30"])[0]), 100)
        page = int(query.get("page", ["1"])[0])
        last = max((len(items) + per_page - 1) // per_page, 1)
        chunk = items[(page - 1) * per_page : page * per_page]
        body = {"total_count": len(items), key: chunk} if key else chunk
        links = _links(self.api_url + path, page, last, per_page, extra)
        return Reply(200, body, {"Link": links} if links else {})

    def _user(self, account: Account) -> dict[str, Any]:
        user = copy.deepcopy(EXAMPLES["issue-comment"]["value"]["user"])
        user.update(login=account.login, id=account.id, type=account.type)
        return user

    def _app(self) -> dict[str, Any]:
        return {
            "id": 15368,
            "slug": "github-actions",
            "node_id": "MDM6QXBwMTUzNjg=",
            "owner": self._user(Account("github", 9919, "Organization")),
            "name": "GitHub Actions",
            "description": "Automate your workflow",
            "external_url": "https://help.github.com/en/actions",
            "html_url": "https://github.com/apps/github-actions",
            "created_at": "2018-07-30T09:30:17Z",
            "updated_at": "2019-12-10T19:04:12Z",
            "permissions": {"issues": "write", "pull_requests": "write"},
            "events": [],
        }

    def _comment_json(self, comment: dict[str, Any]) -> dict[str, Any]:
        account, pr, cid = comment["account"], comment["pr"], comment["id"]
        return {
            "id": cid,
            "node_id": f"IC_{cid}",
            "body": comment["body"],
            "url": f"{self.api_url}/repos/{OWNER}/{NAME}/issues/comments/{cid}",
            "html_url": f"https://github.example/{OWNER}/{NAME}/pull/{pr}#issuecomment-{cid}",
            "issue_url": f"{self.api_url}/repos/{OWNER}/{NAME}/issues/{pr}",
            "user": self._user(account),
            "created_at": ISO,
            "updated_at": ISO,
            "author_association": "NONE" if account.type == "Bot" else "MEMBER",
            "performed_via_github_app": self._app() if account.type == "Bot" else None,
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

    # --- validation against the description ---------------------------------------------

    def _check_request(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes
    ) -> None:
        if headers.get("x-github-api-version") != "2022-11-28":
            self.problems.append(f"{method} {path}: no X-GitHub-Api-Version: 2022-11-28")
        try:
            _openapi().validate_request(_as_request(method, path, query, headers, body))
        except Exception as exc:  # every kind of mismatch is a finding, not a crash
            self.problems.append(f"request {method} {path}: {_explain(exc)}")

    def _check_response(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes, reply: Reply
    ) -> None:
        from openapi_core.templating.responses.exceptions import ResponseNotFound

        request = _as_request(method, path, query, headers, body)
        try:
            _openapi().validate_response(request, _as_response(request, reply))
        except ResponseNotFound:
            self._check_undocumented(method, path, reply)
        except Exception as exc:
            self.problems.append(f"response {reply.status} to {method} {path}: {_explain(exc)}")

    def _check_undocumented(self, method: str, path: str, reply: Reply) -> None:
        # GitHub sends 401, rate limits and 5xx on every endpoint; the description omits them
        # on most, but their bodies are always the basic-error shape.
        from openapi_schema_validator import OAS30Validator

        schema = SPEC["components"]["schemas"]["basic-error"]
        if reply.status not in (401, 403, 404, 422, 429, 500, 502, 503):
            self.problems.append(f"{method} {path}: {reply.status} is not a status GitHub sends")
        for issue in OAS30Validator(schema).iter_errors(reply.body):
            self.problems.append(f"{method} {path}: {reply.status} body: {issue.message}")


def _canonical(path: str) -> str:
    """``/repositories/{id}/...`` (pagination links) names the same route as ``/repos/o/r/...``."""
    return re.sub(rf"^/repositories/{REPO_ID}/", f"/repos/{OWNER}/{NAME}/", path)


def _token(headers: dict[str, str]) -> str | None:
    scheme, _, token = headers.get("authorization", "").partition(" ")
    return token if scheme.lower() in ("bearer", "token") else None


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


def _as_request(method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> Any:
    import requests
    from openapi_core.contrib.requests import RequestsOpenAPIRequest

    url = f"https://api.github.com{path}" + (f"?{query}" if query else "")
    wire = {k: v for k, v in headers.items() if k not in ("host", "content-length")}
    prepared = requests.Request(method, url, headers=wire, data=body or None).prepare()
    return RequestsOpenAPIRequest(prepared)


def _as_response(request: Any, reply: Reply) -> Any:
    import requests
    from openapi_core.contrib.requests import RequestsOpenAPIResponse

    response = requests.Response()
    response.status_code = reply.status
    response._content = _payload(reply)
    response.headers.update(reply.headers)
    if reply.body is not None:
        response.headers["Content-Type"] = "application/json; charset=utf-8"
    return RequestsOpenAPIResponse(response)


def _payload(reply: Reply) -> bytes:
    if reply.raw is not None:
        return reply.raw
    return b"" if reply.body is None else json.dumps(reply.body).encode()


def _explain(exc: Exception) -> str:
    """The schema errors with their paths, not the whole offending document."""
    found: list[str] = []
    inner: BaseException | None = exc
    while inner is not None:
        for issue in getattr(inner, "schema_errors", ()):
            found.append(f"{'/'.join(map(str, issue.absolute_path))}: {issue.message}")
        inner = inner.__cause__
    return f"{type(exc).__name__}: " + ("; ".join(found) or str(exc)[:300])


# --- the HTTP servers -------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def _handle(self) -> None:
        headers = {k.lower(): v for k, v in self.headers.items()}
        body = self.rfile.read(int(headers.get("content-length", "0") or 0))
        double = self.server.double
        try:
            if self.server.api:
                reply = double.serve_api(self.command, self.path, headers, body)
            else:
                reply = double.serve_storage(self.command, self.path, headers)
        except Exception as exc:  # a bug in the double: make it a finding, not a hang
            double.problems.append(f"the double crashed on {self.command} {self.path}: {exc!r}")
            reply = error(500, "Server Error")
        payload = _payload(reply)
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if reply.body is not None:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PATCH = do_DELETE = _handle

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the test report shows ``seen`` and ``problems`` instead


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    double: GitHubDouble
    api: bool


def _serve(host: str, double: GitHubDouble, *, api: bool) -> _Server:
    server = _Server((host, 0), _Handler)
    server.double, server.api = double, api
    # A short poll keeps shutdown() (once per test) from costing half a second.
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    return server


def _second_host() -> str:
    """127.0.0.2 where the loopback answers it (Linux), so storage really is another host."""
    import socket

    try:
        with socket.socket() as probe:
            probe.bind(("127.0.0.2", 0))
        return "127.0.0.2"
    except OSError:
        return "127.0.0.1"  # another port: requests and our client still count it another origin


# --- reports for the scenarios to post ----------------------------------------------------


JITTER = (0.99, 1.0, 1.01, 0.995, 1.005)  # median 1: a test's energy is its median


def entry(
    nodeid: str,
    energy: float | None = 1.0,
    *,
    verdict: str | None = "ok",
    base: float | None = None,
    p_value: float | None = 0.001,
    budget: float | None = None,
    message: str | None = None,
    comparable: bool = True,
) -> TestEntry:
    """A test entry as compare.py leaves it: verdict and baseline figures filled in."""
    baseline = None
    if base is not None and energy is not None:
        method = "welch" if p_value is not None else "ratio-only"
        samples = tuple(base * f for f in JITTER)
        baseline = BaselineFigures(base, samples, energy / base, p_value, method, comparable)
    return TestEntry(
        nodeid=nodeid,
        outcome="passed",
        energy_j=energy,
        samples_j=tuple(energy * f for f in JITTER) if energy is not None else (),
        components={"cpu": Component(energy or 0.0, "estimated", "cputime")},
        carbon_g=None if energy is None else energy / 3.6e6 * 56.0,
        budget=Budget("greenbudget.yaml:3", energy_j=budget) if budget else None,
        budget_used=energy / budget if budget and energy is not None else None,
        verdict=verdict,
        message=message,
        baseline=baseline,
    )


def report(*tests: TestEntry) -> Report:
    meters = {"cpu": ComponentMeter("cputime", "estimated", "RAPL unreadable: not root")}
    return Report(
        created_utc="2024-05-01T12:00:00Z",
        environment=Environment(cpu_model="AMD EPYC 7763", cpu_count=4, meters=meters),
        carbon=CarbonSettings(56.0, "codecarbon global_energy_mix.json", 1.2, "FRA"),
        tests=tests,
    )


# --- a GitHub Actions runner around ``greenbudget comment`` -------------------------------


@dataclass
class Result:
    code: int
    out: str
    err: str


class Runner:
    """The environment a runner gives a step, pointed at the double; runs the command in-process."""

    def __init__(self, double: GitHubDouble, tmp: Path, monkeypatch: Any, capsys: Any) -> None:
        self.double, self.tmp, self._capsys = double, tmp, capsys
        self.summary, self.output = tmp / "summary.md", tmp / "output.txt"
        self.event = tmp / "event.json"
        self.sleeps: list[float] = []
        self.env = {
            "GITHUB_TOKEN": WRITE_TOKEN,
            "GITHUB_REPOSITORY": f"{OWNER}/{NAME}",
            "GITHUB_EVENT_NAME": "pull_request",
            "GITHUB_EVENT_PATH": str(self.event),
            "GITHUB_API_URL": double.api_url,
            "GITHUB_SERVER_URL": "https://github.example",
            "GITHUB_RUN_ID": "31337",
            "GITHUB_STEP_SUMMARY": str(self.summary),
            "GITHUB_OUTPUT": str(self.output),
        }
        for name, value in self.env.items():
            monkeypatch.setenv(name, value)
        self._monkeypatch = monkeypatch
        self.pull_request(7)

    def set(self, **env: str | None) -> None:
        for name, value in env.items():
            if value is None:
                self._monkeypatch.delenv(name, raising=False)
            else:
                self._monkeypatch.setenv(name, value)

    def pull_request(self, number: int, base: str = "main") -> None:
        self.double.add_pull(number, base)
        payload = {"number": number, "pull_request": {"number": number, "base": {"ref": base}}}
        self.event.write_text(json.dumps(payload))

    def write(self, name: str, report: Report) -> str:
        from pytest_greenbudget.results import write_report

        write_report(report, self.tmp / name)
        return str(self.tmp / name)

    def run(self, *argv: str) -> Result:
        """``greenbudget comment ARGV`` as cli.main runs it, with the retry sleep recorded."""
        from pytest_greenbudget.cli import CommandError, build_parser
        from pytest_greenbudget.commands import comment

        args = build_parser("comment").parse_args(["comment", *argv])
        try:
            code = comment.run(args, sleep=self.sleeps.append)
        except CommandError as exc:
            print(f"greenbudget: error: {exc}", file=sys.stderr)
            code = 2
        captured = self._capsys.readouterr()
        return Result(code, captured.out, captured.err)

    def outputs(self) -> dict[str, str]:
        return parse_outputs(self.output)


def parse_outputs(path: Path) -> dict[str, str]:
    """GITHUB_OUTPUT read as the runner reads it: ``name<<DELIM`` blocks."""
    found, lines = {}, iter(path.read_text().splitlines())
    for line in lines:
        name, delimiter = line.split("<<", 1)
        value = list(itertools.takewhile(lambda v, d=delimiter: v != d, lines))
        found[name] = "\n".join(value)
    return found
