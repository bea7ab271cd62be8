"""One sticky comment shared by a matrix's jobs: sections merged, and racing jobs lose none."""

from __future__ import annotations

import threading
import time

import pytest
from github_double import BOT, NAME, OWNER, WRITE_TOKEN, GitHubDouble, Runner, entry, report

from pytest_greenbudget import cli
from pytest_greenbudget.github.client import GitHubClient, find_own_comments
from pytest_greenbudget.github.sections import SectionPolicy, upsert_section
from pytest_greenbudget.render.markdown import MARKER
from pytest_greenbudget.render.sections import Section, parse

REPO = f"{OWNER}/{NAME}"
COMMENTS = r"/issues/\d+/comments$"


def section(name: str, worst: str = "ok") -> Section:
    return Section(name, worst, f"{name}: 4 tests ok", f"#### {name} body")


def job(double: GitHubDouble, name: str, errors: list[BaseException]) -> threading.Thread:
    """A matrix job writing its section, as ``greenbudget comment --section`` does."""

    def work() -> None:
        try:
            with GitHubClient(double.api_url, WRITE_TOKEN, sleep=time.sleep) as client:
                upsert_section(
                    client,
                    REPO,
                    7,
                    lambda limit: section(name),
                    bot_login=BOT.login,
                    create=True,
                    sleep=time.sleep,
                    policy=SectionPolicy(attempts=6, settle_s=0.2),
                )
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)

    return threading.Thread(target=work)


def race(double: GitHubDouble, names: list[str]) -> None:
    errors: list[BaseException] = []
    threads = [job(double, n, errors) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []


def sections_on_the_pr(double: GitHubDouble) -> list[str]:
    (body,) = double.bodies(7)  # exactly one comment
    return [s.name for s in parse(body)]


def test_two_jobs_that_create_the_comment_at_once_end_in_one_comment_with_both(
    github: GitHubDouble,
) -> None:
    github.add_pull(7)
    github.hold("GET", COMMENTS, parties=2)  # both read "no comment yet", so both create one
    race(github, ["gpu", "cpu"])
    assert len(github.requests("POST")) == 2  # the race really happened
    assert sections_on_the_pr(github) == ["cpu", "gpu"]


def test_a_write_from_a_stale_read_is_detected_and_the_lost_section_written_back(
    github: GitHubDouble,
) -> None:
    github.add_pull(7)
    github.add_comment(7, f"{MARKER}\nold unsectioned comment", BOT)
    github.hold("GET", COMMENTS, parties=2)  # both read the old comment...
    github.hold("PATCH", r"/issues/comments/\d+$", parties=2)  # ...and both write their merge
    race(github, ["3.11", "3.10"])
    assert len(github.requests("PATCH")) >= 3  # the loser wrote again
    assert sections_on_the_pr(github) == ["3.10", "3.11"]


def test_four_jobs_racing_without_help_keep_every_section(github: GitHubDouble) -> None:
    github.add_pull(7)
    race(github, ["3.12", "3.9", "3.10", "3.11"])
    assert sections_on_the_pr(github) == ["3.9", "3.10", "3.11", "3.12"]


def test_comment_section_keeps_the_other_jobs_sections_and_leads_with_the_worst(
    runner: Runner,
) -> None:
    fit = "tests/test_m.py::test_fit"
    base = runner.write("base.json", report(entry(fit, 1.0)))
    slow = runner.write("slow.json", report(entry(fit, 1.6, budget=5.0)))
    same = runner.write("same.json", report(entry(fit, 1.0, budget=5.0)))
    assert runner.run("--report", same, "--baseline", base, "--section", "3.12").code == 0
    assert runner.run("--report", slow, "--baseline", base, "--section", "3.10").code == 0
    assert runner.run("--report", same, "--baseline", base, "--section", "3.12").code == 0
    (body,) = runner.double.bodies(7)
    first, headline = body.split("\n\n")[:2]
    assert first == MARKER and headline.startswith("### 🔴 3.10: ") and "regressed" in headline
    assert [s.name for s in parse(body)] == ["3.10", "3.12"]
    assert [s.worst for s in parse(body)] == ["regressed", "unchanged"]
    ours = find_own_comments_count(runner)
    assert ours == 1
    assert runner.outputs()["comment-url"].endswith(str(runner.double.comments[7][0]["id"]))


def find_own_comments_count(runner: Runner) -> int:
    with GitHubClient(runner.double.api_url, WRITE_TOKEN) as client:
        return len(find_own_comments(client, REPO, 7, BOT.login))


@pytest.mark.parametrize("name", ["", "a b", "x" * 65, "-lead", 'q"uote', "a-->b"])
def test_a_section_name_that_cannot_be_used_is_a_usage_error(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["comment", "--report", "r.json", f"--section={name}"])
    assert exc.value.code == 2
    assert "use 1-64 letters, digits" in capsys.readouterr().err
