"""GitHub REST client on requests: one session, retries with backoff, pagination, sticky comment.

Every URL is built from ``GITHUB_API_URL`` (GitHub Enterprise Server serves the API under
``/api/v3``), except pagination links, which are followed as GitHub gives them. The token lives
in one place and is redacted from every message this module raises. ``requests`` is imported
here, and this module only by the ``comment`` command, so pytest never pays for it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from .. import __version__
from ..render.markdown import MARKER
from .redaction import check_token, strip_queries, token_forms
from .redaction import strip_query as _strip_query

API_VERSION = "2022-11-28"
MAX_PAGES = 1000  # a Link loop in a misbehaving proxy must not spin forever

Sleep = Callable[[float], None]


class GitHubError(Exception):
    """GitHub answered with an error; ``status`` is None when it could not be reached."""

    def __init__(self, status: int | None, message: str) -> None:
        super().__init__(message)
        self.status = status


class ReadOnlyToken(GitHubError):
    """The token may not write here: a pull request from a fork gets a read-only token."""


class Unavailable(GitHubError):
    """GitHub stayed down or rate-limited after every retry the policy allows."""


@dataclass(frozen=True)
class RetryPolicy:
    """Retry 5xx, rate limits and network errors; bounded so a CI step cannot hang for long."""

    max_attempts: int = 5
    max_total_wait_s: float = 300.0
    base_delay_s: float = 1.0
    max_delay_s: float = 32.0
    secondary_default_s: float = 60.0  # GitHub: without Retry-After wait at least a minute

    def backoff(self, attempt: int) -> float:
        return float(min(self.base_delay_s * 2 ** (attempt - 1), self.max_delay_s))


@dataclass(frozen=True)
class Comment:
    id: int
    html_url: str
    body: str
    login: str


def retry_delay(
    response: requests.Response, attempt: int, policy: RetryPolicy, now: float
) -> float | None:
    """Seconds to wait before retrying ``response``, or None when retrying cannot help."""
    status = response.status_code
    if status >= 500:
        return policy.backoff(attempt)
    if status not in (403, 429):
        return None
    retry_after = _seconds(response.headers.get("Retry-After"))
    if "secondary rate limit" in _message(response).lower():
        return retry_after if retry_after is not None else policy.secondary_default_s
    if response.headers.get("x-ratelimit-remaining") == "0":
        reset = _seconds(response.headers.get("x-ratelimit-reset"))
        return max((reset or now) - now, 0.0) + 1.0  # one second more for clock skew
    if status == 429:
        return retry_after if retry_after is not None else policy.secondary_default_s
    return None


def _seconds(value: str | None) -> float | None:
    """A header's number of seconds; None when absent or not a finite number (``nan``)."""
    try:
        seconds = float(value) if value is not None else math.nan
    except ValueError:
        return None
    return max(seconds, 0.0) if math.isfinite(seconds) else None


def _message(response: requests.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text[:500]
    if not isinstance(data, dict):
        return ""
    details = [e.get("message", "") for e in data.get("errors", []) if isinstance(e, dict)]
    return "; ".join(str(m) for m in [data.get("message", ""), *details] if m)


class GitHubClient:
    """A requests session against one API root, with the retry policy and redaction applied."""

    def __init__(
        self,
        api_url: str,
        token: str,
        *,
        sleep: Sleep = time.sleep,
        clock: Callable[[], float] = time.time,
        policy: RetryPolicy | None = None,
        timeout: tuple[float, float] = (10.0, 30.0),
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self._token = check_token(token)
        self._sleep, self._clock = sleep, clock
        self._policy = policy or RetryPolicy()
        self._timeout = timeout
        self._session = requests.Session()
        self._session.headers.update(
            {
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": API_VERSION,
                "User-Agent": f"pytest-greenbudget/{__version__}",
            }
        )

    def __enter__(self) -> GitHubClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self._session.close()

    def redact(self, text: str) -> str:
        """``text`` without the token in any form an error could show it in (raw, escaped
        by repr, percent-encoded) and without any URL's query string (signed URLs)."""
        for form in token_forms(self._token):
            text = text.replace(form, "***")
        return strip_queries(text)

    def url(self, path: str) -> str:
        return path if "://" in path else f"{self.api_url}{path}"

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Send with retries; answer the final response, raising GitHubError for errors."""
        response = self.send(method, self.url(path), **kwargs)
        if response.status_code >= 400:
            raise self.error(method, response)
        return response

    def send(
        self, method: str, url: str, *, authenticated: bool = True, **kwargs: Any
    ) -> requests.Response:
        """Send with retries; answer whatever came last, errors included."""
        waited = 0.0
        for attempt in range(1, self._policy.max_attempts + 1):
            response, delay, why = self._attempt(method, url, attempt, authenticated, kwargs)
            if delay is None and response is not None:
                return response
            pause = delay or 0.0
            if self._exhausted(attempt, waited + pause):
                break
            self._sleep(pause)
            waited += pause
        raise Unavailable(
            response.status_code if response is not None else None,
            self.redact(f"{method} {_strip_query(url)}: {why} (gave up after {attempt} tries)"),
        )

    def _exhausted(self, attempt: int, total_wait: float) -> bool:
        # Give up rather than sleep past the cap: a reset an hour away is not worth waiting for.
        policy = self._policy
        return attempt >= policy.max_attempts or total_wait > policy.max_total_wait_s

    def _attempt(
        self, method: str, url: str, attempt: int, authenticated: bool, kwargs: dict[str, Any]
    ) -> tuple[requests.Response | None, float | None, str]:
        headers = {"Authorization": f"Bearer {self._token}"} if authenticated else {}
        try:
            response = self._session.request(
                method, url, headers=headers, timeout=self._timeout, **kwargs
            )
        except requests.RequestException as exc:
            return None, self._policy.backoff(attempt), f"cannot reach GitHub: {exc}"
        delay = retry_delay(response, attempt, self._policy, self._clock())
        return response, delay, f"HTTP {response.status_code}: {_message(response)}"

    def error(self, method: str, response: requests.Response) -> GitHubError:
        """The exception that says what went wrong, redacted, without the query string."""
        status, message = response.status_code, _message(response) or str(response.reason)
        where = f"{method} {_strip_query(response.url)}"
        if status == 403 and "not accessible by integration" in message.lower():
            return ReadOnlyToken(status, self.redact(f"{where}: {message}"))
        return GitHubError(status, self.redact(f"{where}: HTTP {status}: {message}"))

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        """The decoded body of a successful answer; a body that is not JSON is a GitHubError."""
        response = self.request(method, path, **kwargs)
        try:
            return response.json()
        except ValueError:
            where = f"{method} {_strip_query(response.url)}"
            message = self.redact(f"{where}: answer is not JSON")
            raise GitHubError(response.status_code, message) from None

    def paginate(self, path: str, key: str | None = None, **params: Any) -> Iterator[Any]:
        """Yield every item of every page, following ``Link: rel="next"`` as given."""
        url: str | None = self.url(path)
        query: Mapping[str, Any] | None = {"per_page": 100, **params}
        for _ in range(MAX_PAGES):
            if url is None:
                return
            response = self.request("GET", url, params=query)
            yield from _items(response, key)
            url, query = self._next(response), None

    def _next(self, response: requests.Response) -> str | None:
        url: str | None = response.links.get("next", {}).get("url")
        # Followed as given, but never to another host: the token goes with the request.
        if url is not None and urlsplit(url).netloc != urlsplit(self.api_url).netloc:
            raise GitHubError(
                None, self.redact(f"pagination link leaves {self.api_url}: {_strip_query(url)}")
            )
        return url


def _items(response: requests.Response, key: str | None) -> list[Any]:
    try:
        page = response.json()
    except ValueError:
        page = None
    items = page.get(key) if key and isinstance(page, dict) else page
    if not isinstance(items, list):
        raise GitHubError(response.status_code, f"{_strip_query(response.url)}: not a list page")
    return items


def pull_request_refs(client: GitHubClient, repo: str, pr: int) -> tuple[str, str]:
    """(base branch, head commit) of a pull request."""
    data = client.json("GET", f"/repos/{repo}/pulls/{pr}")
    try:
        return str(data["base"]["ref"]), str(data["head"]["sha"])
    except (KeyError, TypeError):
        raise GitHubError(
            None, f"pull request #{pr}: the answer has no base.ref/head.sha"
        ) from None


# --- the sticky comment -------------------------------------------------------------------


def find_own_comments(client: GitHubClient, repo: str, pr: int, bot_login: str) -> list[Comment]:
    """Every comment on the PR written by ``bot_login`` whose first line IS the marker.

    Only those are ours to edit or delete: another workflow's comment that quotes the marker
    (in a code block, say) is left alone, even from the same bot login."""
    found = []
    for item in client.paginate(f"/repos/{repo}/issues/{pr}/comments"):
        comment = _comment(item)
        if is_sticky(comment.body) and comment.login.lower() == bot_login.lower():
            found.append(comment)
    return found


def is_sticky(body: str) -> bool:
    """Does the comment start with the exact marker line?"""
    first, _, _ = body.partition("\n")
    return first.rstrip("\r") == MARKER


def upsert_comment(
    client: GitHubClient, repo: str, pr: int, body: str, *, bot_login: str, create: bool
) -> Comment | None:
    """Update our comment in place, or create it when ``create``; answer the comment or None.

    Duplicates of our own (a POST retried after a 5xx that had in fact succeeded, two runs at
    once) are deleted, so the PR keeps exactly one.
    """
    mine = find_own_comments(client, repo, pr, bot_login)
    if not mine:
        if not create:
            return None
        path = f"/repos/{repo}/issues/{pr}/comments"
        return _comment(client.json("POST", path, json={"body": body}))
    keep, *extra = sorted(mine, key=lambda c: c.id)
    for duplicate in extra:
        client.request("DELETE", f"/repos/{repo}/issues/comments/{duplicate.id}")
    path = f"/repos/{repo}/issues/comments/{keep.id}"
    return _comment(client.json("PATCH", path, json={"body": body}))


def _comment(item: Any) -> Comment:
    user = item.get("user") if isinstance(item, dict) else None
    if not isinstance(item.get("id") if isinstance(item, dict) else None, int):
        raise GitHubError(None, f"GitHub answered a comment without an id: {str(item)[:200]}")
    return Comment(
        id=item["id"],
        html_url=str(item.get("html_url", "")),
        body=str(item.get("body") or ""),
        login=str(user.get("login", "")) if isinstance(user, dict) else "",
    )
