"""The paired gate against hostile tests and invocations: never a hang, never a traceback.

Real git repositories and real worker processes, as in test_paired.py (whose helpers these
reuse); the fake meter keeps verdicts exact.
"""

from __future__ import annotations

import os
import signal
import stat
from pathlib import Path

import pytest
from test_paired import (  # the same repository helpers and fake-meter path for the workers
    TEST,
    commit,
    git,
    report,
    run,
    worktrees,
)

HANGS_FIRST = """
import fakemeter, pytest

@pytest.mark.greenbudget(energy="100 J")
def test_hangs():
    {body}
    fakemeter.burn(2.0)

@pytest.mark.greenbudget(energy="100 J")
def test_steady():
    fakemeter.burn(2.0)
"""


@pytest.fixture
def repo(gb: pytest.Pytester) -> pytest.Pytester:
    git(gb.path, "init", "-q", "-b", "main")
    gb.makepyfile(test_energy=TEST.format(joules=3.0, extra=""))
    commit(gb, "base")
    return gb


def base_with(repo: pytest.Pytester, extra: str, head_extra: str = "") -> None:
    """Commit a base whose test_changing ends with ``extra``; the head (working tree) not."""
    repo.makepyfile(test_energy=TEST.format(joules=3.0, extra=extra))
    commit(repo, "base with a hostile test")
    repo.makepyfile(test_energy=TEST.format(joules=3.0, extra=head_extra))


def no_traceback(result: pytest.RunResult) -> None:
    text = result.stdout.str() + result.stderr.str()
    assert "Traceback" not in text and "INTERNALERROR" not in text, text


# --- item 14: whatever a test writes on the pipes is that worker's failure, in one line -------

WRITES_EVERYWHERE = """
import os, contextlib
    for fd in range(3, 16):
        with contextlib.suppress(OSError):
            os.write(fd, b"hello from a test\\n")
""".strip()


def test_a_test_writing_to_the_answer_pipe_is_that_sides_failure_in_one_line(
    repo: pytest.Pytester,
) -> None:
    base_with(repo, WRITES_EVERYWHERE)
    result = run(repo, "-s", "--greenbudget-against=main")
    no_traceback(result)
    result.stdout.fnmatch_lines(
        ["greenbudget: no paired comparison: the base side sent an unreadable message while "
         "running test_energy.py::test_changing (not a protocol message: 'hello from a test')*"]
    )  # fmt: skip
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert len(worktrees(repo)) == 1


# --- item 10: a process a test starts holds no pipe open; a dead worker is seen at once ------

PIPES_CLOSED_ON_EXEC = """
import sys
    fds = [a for a in sys.argv if a.startswith("--greenbudget-paired-worker=")]
    if fds:
        for fd in fds[0].split("=")[1].split(","):
            assert not os.get_inheritable(int(fd)), "a child would inherit the worker's pipe"
""".strip()


def test_a_workers_pipes_are_not_inherited_by_what_its_tests_start(
    repo: pytest.Pytester,
) -> None:
    check = "import os; " + PIPES_CLOSED_ON_EXEC
    repo.makepyfile(test_energy=TEST.format(joules=3.0, extra=check))
    commit(repo, "checks its pipes")
    result = run(repo, "--greenbudget-against=main")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    assert report(repo)["test_energy.py::test_changing"]["verdict"] == "unchanged"


LEAVES_A_CHILD_HOLDING_THE_PIPE = """
import subprocess, sys
    fds = [a for a in sys.argv if a.startswith("--greenbudget-paired-worker=")][0]
    r, w = (int(fd) for fd in fds.split("=")[1].split(","))
    child = subprocess.Popen(["sleep", "60"], pass_fds=(r, w))
    open("{pidfile}", "w").write(str(child.pid))
    os._exit(3)
""".strip()


def running(pid: int) -> bool:
    """Alive and not a zombie (a container's init may never reap an orphan)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_worker_that_dies_is_seen_although_its_child_holds_the_pipe(
    repo: pytest.Pytester, tmp_path: Path
) -> None:
    pidfile = tmp_path / "child.pid"
    base_with(repo, "import os; " + LEAVES_A_CHILD_HOLDING_THE_PIPE.format(pidfile=pidfile))
    result = run(repo, "--greenbudget-against=main")
    child = int(pidfile.read_text())
    try:
        # Seen while the child (60 s) still runs: the pid was watched, not only the pipe.
        assert running(child)
    finally:
        os.kill(child, signal.SIGKILL)
    result.stdout.fnmatch_lines(
        ["greenbudget: no paired comparison: the base side's pytest exited (exit code 3) "
         "while running test_energy.py::test_changing*"]
    )  # fmt: skip
    no_traceback(result)


# --- item 9: a run that hangs is cut off; the test is named, not compared, and the gate goes on


def test_a_base_test_that_hangs_is_cut_off_and_the_rest_is_still_compared(
    repo: pytest.Pytester,
) -> None:
    repo.makepyfile(test_energy=HANGS_FIRST.format(body="import time; time.sleep(600)"))
    commit(repo, "hangs")
    repo.makepyfile(test_energy=HANGS_FIRST.format(body="pass"))
    result = run(repo, "--greenbudget-against=main", "--greenbudget-against-timeout=4")
    no_traceback(result)
    result.stdout.fnmatch_lines(
        ["greenbudget: not compared: test_energy.py::test_hangs timed out on the base side: "
         "one run took over 4 s (the limit: --greenbudget-against-timeout); not compared"]
    )  # fmt: skip
    assert result.ret == pytest.ExitCode.TESTS_FAILED  # a test the gate could not compare
    tests = report(repo)
    hung = tests["test_energy.py::test_hangs"]
    assert hung["verdict"] == "inconclusive" and hung["baseline"] is None
    assert "timed out on the base side" in hung["message"]
    steady = tests["test_energy.py::test_steady"]  # after it, in fresh workers, every round
    assert steady["verdict"] == "unchanged" and len(steady["baseline"]["pairs"]) == 2
    assert len(worktrees(repo)) == 1


# --- item 12: what cannot start is one line ----------------------------------------------------


def test_an_invocation_folder_missing_on_the_base_side_is_one_line(
    repo: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    added = repo.path / "newpkg"
    added.mkdir()
    (added / "test_new.py").write_text(TEST.format(joules=3.0, extra=""))
    monkeypatch.chdir(added)  # a pull request adding newpkg/, run from inside it
    result = run(repo, "--greenbudget-against=main")
    no_traceback(result)
    result.stdout.fnmatch_lines(
        ["greenbudget: no paired comparison: the base side cannot start: the folder "
         "*newpkg does not exist there*"]
    )  # fmt: skip
    assert result.ret == pytest.ExitCode.TESTS_FAILED


@pytest.mark.parametrize(
    ("kind", "says"),
    [("missing", ": no such file"), ("folder", " is a folder"),
     ("not executable", " is not executable"), ("empty", " is empty")],
)  # fmt: skip
def test_a_base_python_that_cannot_run_is_a_usage_error(
    repo: pytest.Pytester, tmp_path: Path, kind: str, says: str
) -> None:
    python = {
        "missing": tmp_path / "nope" / "python",
        "folder": tmp_path,
        "not executable": tmp_path / "python",
        "empty": "",
    }[kind]
    (tmp_path / "python").write_text("#!/bin/sh\n")
    (tmp_path / "python").chmod(stat.S_IRUSR | stat.S_IWUSR)
    result = run(repo, "--greenbudget-against=main", f"--greenbudget-against-python={python}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: greenbudget: --greenbudget-against-python=*{says}*"])
    no_traceback(result)


# --- item 5: an empty ref is never a silent bypass -----------------------------------------------


def test_an_empty_ref_is_a_usage_error(repo: pytest.Pytester) -> None:
    result = run(repo, "--greenbudget-against=")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*greenbudget: --greenbudget-against is empty*"])


def test_an_empty_ref_runs_ungated_only_when_asked_and_says_so(repo: pytest.Pytester) -> None:
    result = run(repo, "--greenbudget-against=", "--greenbudget-against-skip-empty")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["greenbudget: --greenbudget-against was empty: no paired*"])
    assert report(repo)["test_energy.py::test_changing"]["baseline"] is None


# --- item 3: any active xdist distribution is refused ------------------------------------------


@pytest.mark.parametrize(
    "args", [("-n", "2"), ("--dist=load", "--tx", "2*popen"), ("--dist=each", "--tx=popen")]
)
def test_any_xdist_distribution_is_refused(repo: pytest.Pytester, args: tuple[str, ...]) -> None:
    result = run(repo, "--greenbudget-against=main", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--greenbudget-against*cannot run with xdist*"])


# --- item 4: workers have a cache of their own; selection options work as in the user's run --

USES_THE_CACHE = """
import fakemeter, pytest

@pytest.fixture
def seen(request):
    count = request.config.cache.get("seen/count", 0) + 1
    request.config.cache.set("seen/count", count)
    return count

@pytest.mark.greenbudget(energy="100 J")
def test_changing(seen):
    fakemeter.burn({joules})
"""


@pytest.mark.parametrize("option", ["", "--lf", "--ff", "--nf", "--sw", "--cache-clear"])
def test_workers_get_a_cache_and_the_selection_options(
    repo: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, option: str
) -> None:
    monkeypatch.setenv("PYTEST_ADDOPTS", "-p no:hypothesispytest -p no:asyncio -p no:rerunfailures")
    repo.makepyfile(test_energy=USES_THE_CACHE.format(joules=3.0))
    commit(repo, "a fixture that uses the cache")
    cache = repo.path / ".pytest_cache"
    repo.makepyfile(test_energy=USES_THE_CACHE.format(joules=6.0))
    result = run(repo, "--greenbudget-against=main", *filter(None, [option]))
    no_traceback(result)
    result.assert_outcomes(failed=1)
    assert report(repo)["test_energy.py::test_changing"]["verdict"] == "regressed"
    counted = (cache / "v" / "seen" / "count").read_text()
    assert counted.strip() == "1"  # only the controller's own run wrote the user's cache
