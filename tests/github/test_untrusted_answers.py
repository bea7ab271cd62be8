"""Text someone else wrote (report fields, GitHub's answers, tokens) and a broken GitHub, end
to end where a runner would see it: nothing they hold becomes a workflow command, a second
line, a leaked secret or a traceback."""

from __future__ import annotations

import io
import json
import struct
import zipfile
from pathlib import Path

import pytest
import requests
from cli_helpers import run
from github_double import BOT, WRITE_TOKEN, Runner, entry, error, report
from github_double.model import Reply

from pytest_greenbudget.github import artifacts
from pytest_greenbudget.github.client import GitHubClient, RetryPolicy, Unavailable, retry_delay
from pytest_greenbudget.github.redaction import check_token, strip_queries
from pytest_greenbudget.render.markdown import MARKER
from pytest_greenbudget.report.untrusted import printable

COMMENTS = r"/issues/\d+/comments$"
INJECTED = "x\n::error::pwned\r\n  ::add-mask::secret ##[set-output name=a;]b"


def obeyed(text: str) -> list[str]:
    """Lines a runner would take for workflow commands that the injected text planted."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return [
        line
        for line in lines
        if (line.lstrip().startswith("::") or "##[" in line)
        and ("pwned" in line or "secret" in line)
        and not line.startswith(("::error title=", "::warning title="))
    ]


def hostile_reports(tmp_path: Path) -> tuple[str, str]:
    """Base and head whose keys and texts hold workflow commands, in every place item 5 lists."""
    base = report(entry("tests/t.py::test_a", 1.0)).to_dict()
    head = report(entry(f"tests/t.py::test_a{INJECTED}", 2.0, budget=5.0)).to_dict()
    for data in (base, head):
        test = data["tests"][0]
        test["work"] = {"units": 1, "unit": "item", INJECTED: 1}
        test["budget"] = {"source": "x", INJECTED: 1}
        test["components"]["cpu"][INJECTED] = 1
        data["environment"]["meters"]["cpu"][INJECTED] = "x"
    head["environment"]["meters"][INJECTED] = {"meter": INJECTED, "provenance": "measured"}
    paths = []
    for name, data in (("base.json", base), ("head.json", head)):
        (tmp_path / name).write_text(json.dumps(data), encoding="utf-8")
        paths.append(str(tmp_path / name))
    return paths[0], paths[1]


def test_printable_defuses_workflow_commands_and_terminal_controls() -> None:
    shown = printable(INJECTED + "\x1b[2J\u2028")
    assert "\n" not in shown and "\r" not in shown and "\x1b" not in shown
    assert "##[" not in shown and not printable("  ::add-mask::x").lstrip().startswith("::")
    assert obeyed(shown) == []


def test_hostile_keys_stay_inert_in_compare(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base, head = hostile_reports(tmp_path)
    code, out, err = run(capsys, "compare", base, head)
    assert code == 0
    assert "meter differs" in err  # the hostile component name was printed, escaped
    assert obeyed(out + err) == []


def test_a_hostile_verdict_in_an_error_stays_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = report(entry("tests/t.py::test_a", 1.0)).to_dict()
    data["tests"][0]["verdict"] = INJECTED
    (tmp_path / "r.json").write_text(json.dumps(data))
    code, _, err = run(capsys, "compare", str(tmp_path / "r.json"), str(tmp_path / "r.json"))
    assert code == 2 and err.count("\n") == 1 and obeyed(err) == []


def test_hostile_keys_stay_inert_in_comment(runner: Runner, tmp_path: Path) -> None:
    base, head = hostile_reports(tmp_path)
    data = json.loads(Path(base).read_text())
    data["incomplete"], data["incomplete_reason"] = True, INJECTED
    Path(base).write_text(json.dumps(data))
    result = runner.run("--report", head, "--baseline", base)
    assert "the baseline is an incomplete run (x\\x0a" in result.err
    assert result.code == 0
    assert obeyed(result.out + result.err) == []


@pytest.mark.parametrize("ending", ["\n", "\r\n", " "])
def test_a_token_saved_with_its_newline_is_stripped_and_works(
    runner: Runner, tmp_path: Path, ending: str
) -> None:
    base, head = hostile_reports(tmp_path)
    runner.set(GITHUB_TOKEN=WRITE_TOKEN + ending)
    result = runner.run("--report", head, "--baseline", base)
    assert result.code == 0 and len(runner.double.comments[7]) == 1


def test_a_token_with_control_characters_inside_is_refused(runner: Runner) -> None:
    runner.set(GITHUB_TOKEN=WRITE_TOKEN[:8] + "\n" + WRITE_TOKEN[8:])
    result = runner.run("--report", runner.write("h.json", report(entry("t.py::t", 1.0))))
    assert result.code == 2 and "control characters" in result.err
    assert WRITE_TOKEN[:8] not in result.err and runner.double.requests() == []


def test_every_form_of_the_token_is_redacted() -> None:
    token = "ghp_abc/def+ghi=jk"
    with GitHubClient("http://127.0.0.1:9", token) as client:
        text = client.redact(f"raw {token}; repr {token!r}; url %2F {'ghp_abc%2Fdef%2Bghi%3Djk'}")
    assert "abc" not in text and text.count("***") == 3
    assert check_token(" ghp_x\r\n") == "ghp_x"
    with pytest.raises(ValueError, match="control characters"):
        check_token("ghp\x00x")


def test_a_network_error_names_no_query_string() -> None:
    """requests quotes the URL in its own error text: 'Max retries exceeded with url: ...'."""
    policy = RetryPolicy(max_attempts=1)
    client = GitHubClient("http://127.0.0.1:9", "ghp_x", policy=policy, sleep=lambda s: None)
    with client as gh, pytest.raises(Unavailable) as caught:
        gh.send("GET", "http://127.0.0.1:9/blob/9001?sig=SECRET&se=2024", authenticated=False)
    message = str(caught.value)
    assert "cannot reach GitHub" in message and "/blob/9001" in message
    assert "SECRET" not in message and "se=2024" not in message
    assert strip_queries("url: /blob/1?sig=S&x=1 (x)") == "url: /blob/1?... (x)"


def test_only_a_comment_starting_with_the_marker_is_ours(runner: Runner) -> None:
    gh = runner.double
    quoting = gh.add_comment(7, f"Our bot quotes it:\n```\n{MARKER}\n```", BOT)
    inline = gh.add_comment(7, f"see {MARKER} above", BOT)
    mine = gh.add_comment(7, f"{MARKER}\n### old", BOT)
    duplicate = gh.add_comment(7, f"{MARKER}\r\n### older duplicate", BOT)
    head = report(entry("tests/t.py::test_a", 1.0))
    assert runner.run("--report", runner.write("h.json", head)).code == 0
    left = {c["id"]: c["body"] for c in gh.comments[7]}
    assert set(left) == {quoting, inline, mine}  # the quoting comments are neither edited...
    assert left[quoting].startswith("Our bot") and left[inline].startswith("see ")
    assert left[mine].startswith(MARKER + "\n") and "### old" not in left[mine]
    assert duplicate not in left  # ...nor deleted; our own duplicate is


@pytest.mark.parametrize(
    "ids",
    [{}, {"repository_id": None, "head_repository_id": None}, {"repository_id": 5}],
)
def test_missing_repository_ids_mean_not_ours(ids: dict[str, object]) -> None:
    run_ = {"id": 1, "head_branch": "main", "head_sha": "a" * 40, **ids}
    item = {"id": 3, "name": "gb", "expired": False, "workflow_run": run_}
    assert not artifacts._eligible(item, "gb", "main")
    run_.update(repository_id=5, head_repository_id=5)
    assert artifacts._eligible(item, "gb", "main")


def _zip(text: str, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=method) as zf:
        zf.writestr("r.json", text)
    return buffer.getvalue()


def _bad_crc(data: bytes) -> bytes:
    raw = bytearray(data)
    for header, offset in ((b"PK\x03\x04", 14), (b"PK\x01\x02", 16)):
        at = raw.find(header)
        struct.pack_into("<I", raw, at + offset, 0xDEADBEEF)
    return bytes(raw)


def _flagged(data: bytes, flag: int = 0, method: int | None = None) -> bytes:
    """Set a general-purpose flag bit or the compression method in both headers."""
    raw = bytearray(data)
    for header, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = raw.find(header) + offset
        bits = struct.unpack_from("<H", raw, at)[0] | flag
        struct.pack_into("<H", raw, at, bits)
        if method is not None:
            struct.pack_into("<H", raw, at + 2, method)
    return bytes(raw)


GOOD = json.dumps(report(entry("tests/t.py::test_a", 1.0)).to_dict())
MALFORMED = {
    "bad CRC": _bad_crc(_zip(GOOD)),
    "encrypted": _flagged(_zip(GOOD), flag=0x1),
    "method 99": _flagged(_zip(GOOD), method=99),
    "not a zip": b"PK\x03\x04 truncated",
    "nested 100,000 deep": _zip("[" * 100_000 + "]" * 100_000),
    "UTF-16": _zip(GOOD.encode("utf-16").decode("latin-1"), zipfile.ZIP_STORED),
}


@pytest.mark.parametrize("name", list(MALFORMED))
def test_a_malformed_artifact_is_a_warning_not_a_traceback(runner: Runner, name: str) -> None:
    runner.double.add_artifact("gb", "main", MALFORMED[name])
    head = report(entry("tests/t.py::test_a", 2.0))
    result = runner.run("--report", runner.write("h.json", head), "--baseline-artifact", "gb")
    assert result.code == 0 and "Traceback" not in result.err
    assert "No baseline: artifact gb" in runner.summary.read_text()


@pytest.mark.parametrize(
    ("status", "headers"),
    [
        (429, {"Retry-After": "nan"}),
        (429, {"Retry-After": "inf"}),
        (403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "nan"}),
        (403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "-inf"}),
    ],
)
def test_a_non_finite_rate_limit_header_is_waited_by_policy(
    status: int, headers: dict[str, str]
) -> None:
    response = requests.Response()
    response.status_code, response._content = status, b'{"message": "limited"}'
    response.headers.update(headers)
    delay = retry_delay(response, 1, RetryPolicy(), now=1000.0)
    assert delay is not None and 0.0 <= delay <= 61.0


def test_a_nan_retry_after_end_to_end_still_comments(runner: Runner) -> None:
    runner.double.fail(
        "POST", COMMENTS, Reply(429, error(429, "slow down").body, {"Retry-After": "nan"})
    )
    head = report(entry("tests/t.py::test_a", 1.0))
    assert runner.run("--report", runner.write("h.json", head)).code == 0
    assert runner.sleeps == [60.0] and len(runner.double.comments[7]) == 1
