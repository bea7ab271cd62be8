"""The REST client against the GitHub double: retries, pagination, the sticky comment."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
import requests
from github_double import (
    BOT,
    HUMAN,
    NAME,
    OWNER,
    READ_TOKEN,
    WRITE_TOKEN,
    GitHubDouble,
    Reply,
    error,
    secondary_limit,
)

from pytest_greenbudget.github.client import (
    GitHubClient,
    GitHubError,
    ReadOnlyToken,
    RetryPolicy,
    Unavailable,
    find_own_comments,
    retry_delay,
    upsert_comment,
)
from pytest_greenbudget.render.markdown import MARKER

REPO = f"{OWNER}/{NAME}"
COMMENTS = r"/issues/\d+/comments$"


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(github: GitHubDouble, sleeps: list[float]) -> Iterator[GitHubClient]:
    with GitHubClient(github.api_url, WRITE_TOKEN, sleep=sleeps.append) as gh:
        yield gh


def answer(status: int, body: str = "{}", **headers: str) -> requests.Response:
    response = requests.Response()
    response.status_code, response._content = status, body.encode()
    response.headers.update(headers)
    return response


NOW = 1_700_000_000.0


@pytest.mark.parametrize(
    ("response", "attempt", "delay"),
    [
        (answer(502), 1, 1.0),
        (answer(503), 3, 4.0),
        (answer(500), 9, 32.0),  # backoff is capped
        (answer(403, '{"message": "You have exceeded a secondary rate limit."}'), 1, 60.0),
        (answer(403, '{"message": "secondary rate limit"}', **{"Retry-After": "7"}), 1, 7.0),
        (answer(429, '{"message": "You have exceeded a secondary rate limit"}'), 2, 60.0),
        (answer(429, "{}", **{"Retry-After": "5"}), 1, 5.0),
        (
            answer(
                403,
                '{"message": "API rate limit exceeded"}',
                **{"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 30)},
            ),
            1,
            31.0,
        ),
        (answer(403, '{"message": "Resource not accessible by integration"}'), 1, None),
        (answer(401, '{"message": "Bad credentials"}'), 1, None),
        (answer(404), 1, None),
        (answer(422), 1, None),
    ],
)
def test_retry_delay(response: requests.Response, attempt: int, delay: float | None) -> None:
    assert retry_delay(response, attempt, RetryPolicy(), NOW) == delay


def test_requests_carry_the_api_version_and_the_token_as_bearer(
    github: GitHubDouble, client: GitHubClient
) -> None:
    github.add_pull(1)
    list(client.paginate(f"/repos/{REPO}/issues/1/comments"))
    (seen,) = github.requests()
    assert seen.headers["x-github-api-version"] == "2022-11-28"
    assert seen.headers["authorization"] == f"Bearer {WRITE_TOKEN}"
    assert seen.headers["accept"] == "application/vnd.github+json"
    assert seen.path.endswith("?per_page=100")


def test_pagination_follows_link_headers_as_given(
    github: GitHubDouble, client: GitHubClient
) -> None:
    github.add_pull(3)
    bodies = [f"comment {i}" for i in range(250)]
    for body in bodies:
        github.add_comment(3, body)
    items = list(client.paginate(f"/repos/{REPO}/issues/3/comments"))
    assert [i["body"] for i in items] == bodies
    assert [s.path.split("?")[0] for s in github.requests()] == [
        f"/repos/{REPO}/issues/3/comments",
        "/repositories/4242/issues/3/comments",
        "/repositories/4242/issues/3/comments",
    ]


def test_a_pagination_link_to_another_host_is_not_followed(
    github: GitHubDouble, client: GitHubClient
) -> None:
    github.add_pull(3)
    elsewhere = f'<{github.storage_origin}/blob/1?page=2>; rel="next"'
    github.fail("GET", COMMENTS, Reply(200, [], {"Link": elsewhere}))
    with pytest.raises(GitHubError, match="pagination link leaves"):
        list(client.paginate(f"/repos/{REPO}/issues/3/comments"))
    assert [s.host for s in github.seen] == ["api"]


def test_a_5xx_is_retried_after_a_backoff(
    github: GitHubDouble, client: GitHubClient, sleeps: list[float]
) -> None:
    github.add_pull(1)
    github.fail("GET", COMMENTS, error(502, "Server Error"))
    assert list(client.paginate(f"/repos/{REPO}/issues/1/comments")) == []
    assert sleeps == [1.0]


@pytest.mark.parametrize(("retry_after", "waited"), [(None, 60.0), (3, 3.0)])
def test_a_secondary_rate_limit_waits_retry_after_or_a_minute(
    github: GitHubDouble,
    client: GitHubClient,
    sleeps: list[float],
    retry_after: int | None,
    waited: float,
) -> None:
    github.add_pull(1)
    github.fail("POST", COMMENTS, secondary_limit(retry_after))
    upsert_comment(client, REPO, 1, MARKER, bot_login=BOT.login, create=True)
    assert sleeps == [waited]
    assert len(github.comments[1]) == 1


def test_retries_stop_at_the_attempt_cap(
    github: GitHubDouble, client: GitHubClient, sleeps: list[float]
) -> None:
    github.add_pull(1)
    github.fail("GET", COMMENTS, error(503, "Service Unavailable"), times=99)
    with pytest.raises(Unavailable, match=r"HTTP 503.*gave up after 5 tries"):
        list(client.paginate(f"/repos/{REPO}/issues/1/comments"))
    assert sleeps == [1.0, 2.0, 4.0, 8.0]
    assert len(github.requests()) == 5


def test_a_rate_limit_reset_beyond_the_wait_cap_gives_up_at_once(
    github: GitHubDouble, client: GitHubClient, sleeps: list[float]
) -> None:
    github.add_pull(1)
    reset = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(time.time()) + 3600)}
    limited = Reply(403, {"message": "API rate limit exceeded", "documentation_url": "x"}, reset)
    github.fail("GET", COMMENTS, limited)
    with pytest.raises(Unavailable, match="API rate limit exceeded"):
        list(client.paginate(f"/repos/{REPO}/issues/1/comments"))
    assert sleeps == []


def test_an_unreachable_api_is_retried_then_unavailable(sleeps: list[float]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again below: nothing listens there
    gh = GitHubClient(f"http://127.0.0.1:{port}", WRITE_TOKEN, sleep=sleeps.append)
    with gh, pytest.raises(Unavailable, match="cannot reach GitHub") as caught:
        gh.request("GET", f"/repos/{REPO}/pulls/1")
    assert caught.value.status is None and len(sleeps) == 4
    assert WRITE_TOKEN not in str(caught.value)


def test_bad_credentials_are_a_401_error_without_the_token(github: GitHubDouble) -> None:
    github.add_pull(1)
    bad = "ghs_NotAValidToken000000000000000000000"
    gh = GitHubClient(github.api_url, bad, sleep=pytest.fail)
    with gh, pytest.raises(GitHubError, match="HTTP 401: Bad credentials") as caught:
        gh.request("GET", f"/repos/{REPO}/issues/1/comments")
    assert caught.value.status == 401 and bad not in str(caught.value)


def test_an_error_that_echoes_the_token_is_redacted(
    github: GitHubDouble, client: GitHubClient
) -> None:
    github.add_pull(1)
    github.fail("GET", COMMENTS, error(404, f"Not Found: token {WRITE_TOKEN} cannot see it"))
    with pytest.raises(GitHubError) as caught:
        client.request("GET", f"/repos/{REPO}/issues/1/comments")
    assert WRITE_TOKEN not in str(caught.value) and "token *** cannot" in str(caught.value)


def test_a_read_only_token_is_told_apart(github: GitHubDouble) -> None:
    github.add_pull(1)
    gh = GitHubClient(github.api_url, READ_TOKEN, sleep=pytest.fail)
    with gh, pytest.raises(ReadOnlyToken, match="Resource not accessible by integration"):
        upsert_comment(gh, REPO, 1, MARKER, bot_login=BOT.login, create=True)
    assert github.comments[1] == []


# --- the sticky comment ---------------------------------------------------------------------


def test_first_run_creates_then_later_runs_update_in_place(
    github: GitHubDouble, client: GitHubClient
) -> None:
    github.add_pull(5)
    first = upsert_comment(client, REPO, 5, f"{MARKER}\nv1", bot_login=BOT.login, create=True)
    for i in range(150):  # push ours past the first page
        github.add_comment(5, f"chatter {i}")
    second = upsert_comment(client, REPO, 5, f"{MARKER}\nv2", bot_login=BOT.login, create=True)
    assert first is not None and second is not None and second.id == first.id
    ours = [c for c in github.comments[5] if c["account"] == BOT]
    assert [c["body"] for c in ours] == [f"{MARKER}\nv2"]
    assert [s.method for s in github.requests() if s.method != "GET"] == ["POST", "PATCH"]


def test_a_human_comment_quoting_the_marker_is_never_touched(
    github: GitHubDouble, client: GitHubClient
) -> None:
    github.add_pull(5)
    quoted = f"> {MARKER}\n> why is this red?"
    github.add_comment(5, quoted, HUMAN)
    mine = upsert_comment(client, REPO, 5, f"{MARKER}\nbody", bot_login=BOT.login, create=True)
    assert github.bodies(5) == [quoted, f"{MARKER}\nbody"]
    assert mine is not None and mine.login == BOT.login


def test_duplicates_of_our_own_are_folded_into_the_oldest(
    github: GitHubDouble, client: GitHubClient
) -> None:
    github.add_pull(5)
    oldest = github.add_comment(5, f"{MARKER}\nold", BOT)
    github.add_comment(5, f"{MARKER}\nduplicate", BOT)
    upsert_comment(client, REPO, 5, f"{MARKER}\nnew", bot_login=BOT.login, create=True)
    assert [(c["id"], c["body"]) for c in github.comments[5]] == [(oldest, f"{MARKER}\nnew")]


def test_without_create_nothing_is_posted_but_an_existing_comment_is_kept_current(
    github: GitHubDouble, client: GitHubClient
) -> None:
    github.add_pull(5)
    assert upsert_comment(client, REPO, 5, MARKER, bot_login=BOT.login, create=False) is None
    assert github.comments[5] == []
    github.add_comment(5, f"{MARKER}\nstale", BOT)
    upsert_comment(client, REPO, 5, f"{MARKER}\nfresh", bot_login=BOT.login, create=False)
    assert github.bodies(5) == [f"{MARKER}\nfresh"]


def test_the_bot_login_is_configurable(github: GitHubDouble, client: GitHubClient) -> None:
    github.add_pull(5)
    github.add_comment(5, f"{MARKER}\nby the default bot", BOT)
    assert find_own_comments(client, REPO, 5, "my-app[bot]") == []
    assert len(find_own_comments(client, REPO, 5, "GitHub-Actions[bot]")) == 1


def test_ghes_urls_keep_the_api_v3_prefix(sleeps: list[float]) -> None:
    with GitHubDouble(prefix="/api/v3") as ghes:
        ghes.add_pull(2)
        for i in range(120):
            ghes.add_comment(2, f"c{i}")
        with GitHubClient(ghes.api_url, WRITE_TOKEN, sleep=sleeps.append) as gh:
            upsert_comment(gh, REPO, 2, MARKER, bot_login=BOT.login, create=True)
    assert ghes.problems == []
    assert all(s.path.startswith("/api/v3/") for s in ghes.requests())
    assert "/api/v3/repositories/4242/" in ghes.requests()[1].path
