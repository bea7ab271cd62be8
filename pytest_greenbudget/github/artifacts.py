"""The baseline report from the newest artifact of the base branch.

``GET /repos/{o}/{r}/actions/artifacts?name=`` lists artifacts of every run, fork pull requests
included: a fork's workflow can upload an artifact of the same name from its own branch called
``main``. Only runs of this repository's own branches count, so a fork cannot plant a baseline.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from dataclasses import dataclass
from typing import Any

from .client import GitHubClient, GitHubError

MAX_MEMBER_BYTES = 64 * 1024 * 1024  # a report is kilobytes; refuse to inflate a zip bomb


@dataclass(frozen=True)
class Artifact:
    id: int
    name: str
    created_at: str
    run_id: int | None
    head_sha: str


@dataclass(frozen=True)
class Baseline:
    """The report's text and a sentence saying where it came from."""

    data: bytes
    origin: str


def newest_artifacts(
    client: GitHubClient, repo: str, name: str, branch: str, count: int
) -> list[Artifact]:
    """The newest ``count`` unexpired artifacts ``name`` uploaded by runs on this repository's
    ``branch``, newest first: the base branch's recent runs, whose spread shows each test's
    noise between sessions."""
    found = [
        _artifact(item)
        for item in client.paginate(f"/repos/{repo}/actions/artifacts", key="artifacts", name=name)
        if _eligible(item, name, branch)
    ]
    return sorted(found, key=lambda a: (a.created_at, a.id), reverse=True)[:count]


def _eligible(item: Any, name: str, branch: str) -> bool:
    if not isinstance(item, dict) or not isinstance(item.get("id"), int):
        return False
    if item.get("name") != name or item.get("expired") is not False:
        return False
    run = item.get("workflow_run")
    if not isinstance(run, dict) or run.get("head_branch") != branch:
        return False
    # Ids missing from the answer mean "not ours": None == None must not let a fork in.
    head_id, own_id = run.get("head_repository_id"), run.get("repository_id")
    return isinstance(own_id, int) and not isinstance(own_id, bool) and head_id == own_id


def _artifact(item: dict[str, Any]) -> Artifact:
    run = item["workflow_run"]
    return Artifact(
        id=item["id"],
        name=str(item["name"]),
        created_at=str(item.get("created_at") or ""),  # ISO 8601 in UTC: sorts as text
        run_id=run.get("id"),
        head_sha=str(run.get("head_sha", "")),
    )


def download_zip(client: GitHubClient, repo: str, artifact_id: int) -> bytes:
    """Fetch the archive: GitHub answers 302 to storage that must not see our token."""
    path = f"/repos/{repo}/actions/artifacts/{artifact_id}/zip"
    answer = client.send("GET", client.url(path), allow_redirects=False)
    location = answer.headers.get("Location")
    if answer.status_code in (301, 302, 303, 307, 308) and location:
        answer = client.send("GET", location, authenticated=False, allow_redirects=False)
    if answer.status_code != 200:
        raise client.error("GET", answer)
    return answer.content


def read_report_member(data: bytes, member: str | None) -> bytes:
    """The report inside the zip: ``member`` when given, else the one JSON file there is.
    Its bytes: the report reader decodes them and says what is wrong with the text."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise GitHubError(None, "the artifact is not a zip archive") from None
    with archive:
        info = _pick_member(archive, member)
        if info.file_size > MAX_MEMBER_BYTES:
            raise GitHubError(None, f"{info.filename} is {info.file_size} bytes: too big")
        return _inflate(archive, info)


def _inflate(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """The member's bytes; a damaged, encrypted or exotic member is one GitHubError."""
    try:
        return archive.read(info)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:  # bad CRC, truncated
        why = f"damaged ({exc})"
    except RuntimeError:  # zipfile's word for "encrypted, and no password given"
        why = "encrypted"
    except NotImplementedError:  # a compression method zipfile does not know
        why = f"compressed with an unsupported method ({info.compress_type})"
    raise GitHubError(None, f"the artifact's {info.filename} is {why}")


def _pick_member(archive: zipfile.ZipFile, member: str | None) -> zipfile.ZipInfo:
    files = [i for i in archive.infolist() if not i.is_dir()]
    if member is not None:
        matches = [i for i in files if i.filename == member.lstrip("/")]
    else:
        matches = [i for i in files if i.filename.lower().endswith(".json")]
    if len(matches) != 1:
        names = ", ".join(i.filename for i in files) or "nothing"
        wanted = repr(member) if member else "exactly one .json file"
        raise GitHubError(None, f"the artifact should hold {wanted}; it holds {names}")
    return matches[0]


def fetch_baselines(
    client: GitHubClient,
    repo: str,
    name: str,
    branch: str,
    member: str | None = None,
    count: int = 1,
) -> list[Baseline]:
    """The base branch's newest ``count`` reports, newest first (none when no run uploaded)."""
    return [
        _download(client, repo, artifact, branch, member)
        for artifact in newest_artifacts(client, repo, name, branch, count)
    ]


def _download(
    client: GitHubClient, repo: str, artifact: Artifact, branch: str, member: str | None
) -> Baseline:
    data = read_report_member(download_zip(client, repo, artifact.id), member)
    origin = (
        f"artifact {artifact.name} from {branch} "
        f"(run {artifact.run_id}, commit {artifact.head_sha[:7]}, {artifact.created_at})"
    )
    return Baseline(data=data, origin=origin)
