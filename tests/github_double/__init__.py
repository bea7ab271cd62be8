"""A loopback double of the GitHub REST API, held honest by GitHub's own OpenAPI description.

Every request it receives and every response it sends is validated against
``data/github-openapi/subset.json`` with openapi-core; anything that does not fit is recorded in
``problems``, which the fixtures assert empty. What the description does not say is modelled on
GitHub's documentation: ``/repositories/{id}/...`` pagination links, error bodies for 401, rate
limits and 5xx (checked against the ``basic-error`` schema), the 65,536-character body limit,
the read-only token of fork pull requests, GHES's ``/api/v3`` prefix, and artifact downloads
redirected to a storage host (a second server) that refuses requests carrying Authorization.

This module is the face the tests import; the parts live beside it: ``github_double.model``
(names, accounts, replies), ``github_double.state`` (what the repository holds),
``github_double.rest`` (the endpoints), ``github_double.openapi`` (the checks),
``github_double.server`` (the HTTP servers) and ``github_double.reports`` (reports to post).
"""

from __future__ import annotations

import itertools
import json
import re
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from github_double.model import (
    BOT,
    HUMAN,
    NAME,
    OWNER,
    READ_TOKEN,
    REPO_ID,
    WRITE_TOKEN,
    Account,
    Fault,
    Reply,
    Seen,
    error,
    secondary_limit,
)
from github_double.openapi import check_request, check_response
from github_double.reports import entry, report
from github_double.rest import Rest
from github_double.server import second_host, serve
from github_double.state import Repository
from pytest_greenbudget.report.model import Report

__all__ = [
    "BOT",
    "HUMAN",
    "NAME",
    "OWNER",
    "READ_TOKEN",
    "WRITE_TOKEN",
    "Account",
    "GitHubDouble",
    "Reply",
    "Result",
    "Runner",
    "Seen",
    "entry",
    "error",
    "parse_outputs",
    "report",
    "secondary_limit",
]


@dataclass
class Hold:
    method: str
    path: re.Pattern[str]
    barrier: threading.Barrier
    left: int  # requests still to be held

    def takes(self, method: str, path: str) -> bool:
        return self.left > 0 and method == self.method and bool(self.path.search(path))


class GitHubDouble(Repository):
    """The repository (``octo-org/energy``) and the two servers that expose it."""

    def __init__(self, prefix: str = "") -> None:
        super().__init__()
        self.prefix = prefix
        self.faults: list[Fault] = []
        self.seen: list[Seen] = []
        self.problems: list[str] = []
        self.holds: list[Hold] = []
        self._lock = threading.Lock()

    # --- lifecycle ----------------------------------------------------------------------

    def __enter__(self) -> GitHubDouble:
        self._api = serve("127.0.0.1", self, api=True)
        self._storage = serve(second_host(), self, api=False)
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

    # --- scripting and inspecting ----------------------------------------------------------

    def fail(self, method: str, path: str, reply: Reply, times: int = 1) -> None:
        """Answer the next ``times`` ``method`` requests whose path matches ``path`` (regex)."""
        self.faults.append(Fault(method, re.compile(path), reply, times))

    def hold(self, method: str, path: str, parties: int) -> None:
        """The next ``parties`` ``method`` requests matching ``path`` wait for each other, then
        are answered one by one: jobs that read (or write) at the same moment, made certain."""
        self.holds.append(Hold(method, re.compile(path), threading.Barrier(parties), parties))

    def requests(self, method: str | None = None) -> list[Seen]:
        return [s for s in self.seen if method is None or s.method == method]

    # --- serving -----------------------------------------------------------------------

    def serve_api(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Reply:
        self._wait_for_others(method, urlsplit(target).path)
        with self._lock:
            self.seen.append(Seen("api", method, target, headers, body))
            split = urlsplit(target)
            if not split.path.startswith(self.prefix + "/"):
                self.problems.append(
                    f"{method} {split.path}: outside the API prefix {self.prefix!r}"
                )
                return error(404, "Not Found")
            path = _canonical(split.path[len(self.prefix) :])
            refused = check_request(method, path, split.query, headers, body)
            if refused:  # GitHub refuses what its description does not allow
                self.problems.extend(refused)
                return error(422, "Validation Failed")
            reply = self._answer(method, path, parse_qs(split.query), _token(headers), body)
            self.problems.extend(check_response(method, path, split.query, headers, body, reply))
            return reply

    def _wait_for_others(self, method: str, path: str) -> None:
        with self._lock:
            hold = next((h for h in self.holds if h.takes(method, path)), None)
            if hold is not None:
                hold.left -= 1
        if hold is not None:
            try:
                hold.barrier.wait(timeout=20)
            except threading.BrokenBarrierError:
                self.problems.append(f"{method} {path}: the other held requests never came")

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
        if token is None or token not in self.tokens:
            return error(401, "Bad credentials")
        fault = self._fault(method, path)
        if fault:
            return fault
        reply = Rest(self, self.api_url, self.storage_origin).answer(
            method, path, query, token, body
        )
        if reply is None:
            self.problems.append(f"{method} {path}: not an endpoint of the description")
            return error(404, "Not Found")
        return reply

    def _fault(self, method: str, path: str) -> Reply | None:
        for fault in self.faults:
            if fault.times and fault.method == method and fault.path.search(path):
                fault.times -= 1
                return fault.reply
        return None


def _canonical(path: str) -> str:
    """``/repositories/{id}/...`` (pagination links) names the same route as ``/repos/o/r/...``."""
    return re.sub(rf"^/repositories/{REPO_ID}/", f"/repos/{OWNER}/{NAME}/", path)


def _token(headers: dict[str, str]) -> str | None:
    scheme, _, token = headers.get("authorization", "").partition(" ")
    return token if scheme.lower() in ("bearer", "token") else None


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

    def pull_request(self, number: int, base: str = "main", labels: tuple[str, ...] = ()) -> None:
        self.double.add_pull(number, base)
        pull = {"number": number, "base": {"ref": base}, "labels": [{"name": n} for n in labels]}
        payload = {"number": number, "pull_request": pull}
        self.event.write_text(json.dumps(payload))

    def write(self, name: str, report: Report) -> str:
        from pytest_greenbudget.report.io import write_report

        write_report(report, self.tmp / name)
        return str(self.tmp / name)

    def run(self, *argv: str) -> Result:
        """``greenbudget comment ARGV`` as cli.main runs it, with the retry sleep recorded."""
        from pytest_greenbudget.cli import CommandError, build_parser, error_line
        from pytest_greenbudget.commands import comment

        args = build_parser("comment").parse_args(["comment", *argv])
        try:
            code = comment.run(args, sleep=self.sleeps.append)
        except CommandError as exc:
            print(error_line(exc), file=sys.stderr)
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
