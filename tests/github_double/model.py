"""The vocabulary every part of the GitHub double shares: the one repository it models, the
accounts and tokens that act on it, GitHub's description, and the shape of a reply.

It imports nothing from the other ``github_double*`` modules, so each of them can import it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SPEC = json.loads((Path(__file__).parents[1] / "data/github-openapi/subset.json").read_text())
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


def payload(reply: Reply) -> bytes:
    """The bytes on the wire: shared by the server and the response validation, so the
    description checks exactly what the client receives."""
    if reply.raw is not None:
        return reply.raw
    return b"" if reply.body is None else json.dumps(reply.body).encode()
