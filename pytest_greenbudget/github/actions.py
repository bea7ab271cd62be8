"""The Actions runner's side: GITHUB_* variables, the event payload, outputs, summary, annotations.

Workflow commands travel on stdout, so anything a test id holds is escaped per GitHub's rules
(``%``, CR, LF; in properties also ``:`` and ``,``) before it is printed.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..render.view import View

# GET /user answers 403 to the installation token Actions hands out, so the login cannot be
# asked for; this is the login GitHub gives that token. Other tokens pass --bot-login.
DEFAULT_BOT_LOGIN = "github-actions[bot]"
SUMMARY_LIMIT_BYTES = 1024 * 1024  # GitHub refuses a step summary over 1 MiB
REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


class ActionsError(ValueError):
    """A GITHUB_* variable or the event payload is unusable; the message names which."""


@dataclass(frozen=True)
class ActionsEnv:
    repository: str | None = None
    event_name: str = ""
    event: Mapping[str, Any] = field(default_factory=dict)
    api_url: str = "https://api.github.com"
    server_url: str = "https://github.com"
    run_id: str | None = None
    step_summary: Path | None = None
    output: Path | None = None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> ActionsEnv:
        repository = environ.get("GITHUB_REPOSITORY") or None
        if repository is not None and not REPOSITORY.match(repository):
            raise ActionsError(f"GITHUB_REPOSITORY={repository!r} is not OWNER/NAME")
        return cls(
            repository=repository,
            event_name=environ.get("GITHUB_EVENT_NAME", ""),
            event=_event(environ.get("GITHUB_EVENT_PATH")),
            api_url=(environ.get("GITHUB_API_URL") or cls.api_url).rstrip("/"),
            server_url=(environ.get("GITHUB_SERVER_URL") or cls.server_url).rstrip("/"),
            run_id=environ.get("GITHUB_RUN_ID") or None,
            step_summary=_path(environ.get("GITHUB_STEP_SUMMARY")),
            output=_path(environ.get("GITHUB_OUTPUT")),
        )

    def run_url(self) -> str | None:
        if not (self.repository and self.run_id and self.run_id.isdigit()):
            return None
        return f"{self.server_url}/{self.repository}/actions/runs/{self.run_id}"

    def pull_request(self) -> Mapping[str, Any]:
        """The ``pull_request`` object of a pull_request(_target) payload, else empty."""
        pr = self.event.get("pull_request")
        return pr if isinstance(pr, dict) else {}

    def pr_number(self) -> int | None:
        number = self.pull_request().get("number")
        return number if isinstance(number, int) and not isinstance(number, bool) else None

    def labels(self) -> tuple[str, ...]:
        """The pull request's label names as the event carried them (when the job started)."""
        labels = self.pull_request().get("labels")
        items = labels if isinstance(labels, list) else []
        names = (item.get("name") for item in items if isinstance(item, dict))
        return tuple(n for n in names if isinstance(n, str))

    def base_branch(self) -> str | None:
        base = self.pull_request().get("base")
        ref = base.get("ref") if isinstance(base, dict) else None
        return ref if isinstance(ref, str) and ref else None

    def workflow_run_sha(self) -> str | None:
        """The commit a ``workflow_run`` event's triggering run built, if this is one."""
        run = self.event.get("workflow_run") if self.event_name == "workflow_run" else None
        sha = run.get("head_sha") if isinstance(run, dict) else None
        return sha if isinstance(sha, str) else None


def _path(value: str | None) -> Path | None:
    return Path(value) if value else None


def _event(path: str | None) -> Mapping[str, Any]:
    if not path:
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ActionsError(f"GITHUB_EVENT_PATH: cannot read {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise ActionsError(f"GITHUB_EVENT_PATH: {path} is not JSON: {exc}") from None
    return data if isinstance(data, dict) else {}


# --- workflow commands and files ----------------------------------------------------------


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **properties: str) -> str:
    """``::name key=value,...::message``, every part escaped."""
    props = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def write_outputs(path: Path, values: Mapping[str, str]) -> None:
    """Append ``name<<DELIM`` blocks: safe for any value, newlines included."""
    with path.open("a", encoding="utf-8") as handle:
        for name, value in values.items():
            delimiter = _delimiter(value)
            handle.write(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")


def _delimiter(value: str) -> str:
    # Random, so a value cannot end the block early and set outputs of its own.
    while True:
        delimiter = f"ghadelimiter_{uuid.uuid4()}"
        if delimiter not in value:
            return delimiter


def append_summary(path: Path, markdown: str) -> None:
    """Append to the step summary, cut so the file stays within GitHub's 1 MiB."""
    used = path.stat().st_size if path.exists() else 0
    room = SUMMARY_LIMIT_BYTES - used - 1
    data = (markdown + "\n").encode("utf-8")
    if len(data) > room:
        data = data[: max(room, 0)].decode("utf-8", errors="ignore").encode("utf-8")
    with path.open("ab") as handle:
        handle.write(data)


def annotate(view: View) -> None:
    """An ``::error`` annotation per regressed or over-budget test (accepted ones are not)."""
    for row in view.flagged:
        if row.verdict == "regressed":
            detail = f"{row.base} -> {row.head} ({row.change}, {row.significance})"
            title = "Energy regression"
        else:
            detail = f"{row.head}, {row.budget_used} of its budget of {row.budget}"
            title = "Over energy budget"
        print(command("error", f"{row.nodeid}: {detail}", title=title))


def step_outputs(env: ActionsEnv, view: View, url: str) -> None:
    """The step's outputs; ``regressions`` counts the regressions nobody accepted."""
    if env.output is None:
        return
    counts = view.counts
    write_outputs(
        env.output,
        {
            "regressions": str(counts.get("regressed", 0)),
            "accepted": str(counts.get("accepted", 0)),
            "over-budget": str(counts.get("over-budget", 0)),
            "comment-url": url,
        },
    )
