"""Write one job's section of the shared sticky comment without losing the other jobs' sections.

GitHub offers no conditional write on issue comments (no ETag/If-Match on PATCH), so two matrix
jobs that read the comment at once and each write their merge lose one section: the last write
wins. Instead of a lock, each job verifies after writing:

1. read every comment of ours (a race can create two), merge their sections with this job's
   (marked with a fresh nonce), write the merge to the oldest one and delete the others;
2. re-read at once, and again after a settle pause of ``settle_s`` (jittered, so racing jobs
   fall out of step): the write stands when exactly one comment of ours holds this job's
   section with this run's nonce both times;
3. otherwise go back to 1, at most ``attempts`` times (the pause grows each time).

A job whose section was dropped by a slower writer sees that in step 2 and writes it back;
the writer that dropped it merged from a read older than the victim's write. What this cannot
catch: a write that reaches GitHub more than the settle pause after the read it was merged
from (a request stuck in retries), landing after the victim's last check. Then that section
is missing until its job runs again; the merge is bounded, not transactional.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace

from ..render.markdown import COMMENT_LIMIT
from ..render.sections import Section, compose, merge, parse
from ..render.view import View
from .client import Comment, GitHubClient, GitHubError, Sleep, find_own_comments
from .client import _comment as _decode

SLACK = 2_000  # room kept for the headline, the index and the other sections' start lines


@dataclass(frozen=True)
class SectionPolicy:
    attempts: int = 6
    settle_s: float = 2.0


def upsert_section(
    client: GitHubClient,
    repo: str,
    pr: int,
    render: Callable[[int], Section],
    *,
    bot_login: str,
    create: bool,
    sleep: Sleep,
    policy: SectionPolicy = SectionPolicy(),
) -> Comment | None:
    """Put this job's section (``render(limit)``) into our comment; the comment, or None when
    there is none and ``create`` is false. GitHubError when it could not be made to stick."""
    nonce = secrets.token_hex(8)
    for attempt in range(1, policy.attempts + 1):
        written = _write(client, repo, pr, render, nonce, bot_login=bot_login, create=create)
        if written is None:
            return None
        name = written[1]
        if _holds(client, repo, pr, bot_login, name, nonce):
            sleep(policy.settle_s * random.uniform(0.5, 1.5) * attempt)
            if _holds(client, repo, pr, bot_login, name, nonce):
                return written[0]
    raise GitHubError(
        None, f"the comment's section kept being overwritten by other jobs ({attempt} tries)"
    )


def _write(
    client: GitHubClient,
    repo: str,
    pr: int,
    render: Callable[[int], Section],
    nonce: str,
    *,
    bot_login: str,
    create: bool,
) -> tuple[Comment, str] | None:
    comments = _ours(client, repo, pr, bot_login)
    if not comments and not create:
        return None
    existing = _sections(comments)
    mine = replace(render(_room(existing)), nonce=nonce)
    body = compose(merge([s for s in existing if s.name != mine.name], mine))
    if not comments:
        path = f"/repos/{repo}/issues/{pr}/comments"
        return _decode(client.json("POST", path, json={"body": body})), mine.name
    keep, *extra = comments
    try:
        if keep.body != body:
            path = f"/repos/{repo}/issues/comments/{keep.id}"
            keep = _decode(client.json("PATCH", path, json={"body": body}))
        for duplicate in extra:  # their sections are in the merge just written
            client.request("DELETE", f"/repos/{repo}/issues/comments/{duplicate.id}")
    except GitHubError as exc:
        if exc.status != 404:  # another job deleted it first: the check below will tell
            raise
    return keep, mine.name


def _ours(client: GitHubClient, repo: str, pr: int, bot_login: str) -> list[Comment]:
    return sorted(find_own_comments(client, repo, pr, bot_login), key=lambda c: c.id)


def _sections(comments: list[Comment]) -> list[Section]:
    """The sections of every comment of ours, oldest comment first; a name seen twice (two
    comments created in a race) keeps its first, the oldest comment's, version."""
    seen: dict[str, Section] = {}
    for comment in comments:
        for section in parse(comment.body):
            seen.setdefault(section.name, section)
    return list(seen.values())


def _room(existing: list[Section]) -> int:
    """Characters this job's section may take: what the others leave, and never less than an
    even share (compose cuts the longest sections if the others are too long)."""
    others = sum(len(s.body) + len(s.headline) + 200 for s in existing)
    share = COMMENT_LIMIT // (len(existing) + 1)
    return max(COMMENT_LIMIT - SLACK - others, share - SLACK, 1_000)


def _holds(client: GitHubClient, repo: str, pr: int, bot_login: str, name: str, nonce: str) -> bool:
    comments = _ours(client, repo, pr, bot_login)
    if len(comments) != 1:
        return False
    return any(s.name == name and s.nonce == nonce for s in parse(comments[0].body))


def post_section(
    client: GitHubClient,
    where: tuple[str, int],
    view: View,
    name: str,
    bot_login: str,
    create: bool,
    sleep: Sleep,
) -> Comment | None:
    """``greenbudget comment --section NAME``: this job's view as its section."""
    from ..render.markdown import render_markdown
    from ..render.sections import section_of

    def render(limit: int) -> Section:
        return section_of(view, name, "", render_markdown, limit)

    repo, pr = where
    return upsert_section(client, repo, pr, render, bot_login=bot_login, create=create, sleep=sleep)
