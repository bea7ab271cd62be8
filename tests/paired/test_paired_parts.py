"""The paired gate's pure parts: the base worktree, the workers' arguments, samples on the pipe."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from git_repo import git

from pytest_greenbudget.gate.budget import build_entry
from pytest_greenbudget.measure.probe import RunSample
from pytest_greenbudget.meters.base import ComponentReading, Reading
from pytest_greenbudget.paired.controller import worker_args
from pytest_greenbudget.paired.entries import _warm
from pytest_greenbudget.paired.rounds import TestPairs
from pytest_greenbudget.paired.wire import sample_from_dict, sample_to_dict
from pytest_greenbudget.paired.worker_process import Side, Worker, start_both
from pytest_greenbudget.paired.worker_session import layout_padding
from pytest_greenbudget.paired.worktree import Worktree, WorktreeError, repo_top, resolve
from pytest_greenbudget.report.model import CarbonSettings, Work
from pytest_greenbudget.settings.plans import BudgetSpec, Defaults, make_plan


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    top = tmp_path / "project"
    (top / "tests").mkdir(parents=True)
    (top / "tests" / "test_x.py").write_text("def test_x(): pass\n")
    git(top, "init", "-q", "-b", "main")
    git(top, "add", "-A")
    git(top, "commit", "-qm", "base")
    return top


def test_a_worktree_is_the_commit_and_goes_away(repo: Path) -> None:
    sha = resolve(repo, "main")
    (repo / "tests" / "test_x.py").write_text("changed in the working tree\n")
    tree = Worktree.create(repo_top(repo / "tests"), sha)
    assert (tree.path / "tests" / "test_x.py").read_text() == "def test_x(): pass\n"
    assert tree.mapped(repo / "tests") == tree.path / "tests"
    assert tree.mapped(repo.parent) is None
    tree.close()
    tree.close()  # twice is fine (finally, then atexit)
    assert not tree.path.exists()
    assert len(git(repo, "worktree", "list").splitlines()) == 1


def test_an_unknown_ref_is_named(repo: Path) -> None:
    with pytest.raises(WorktreeError, match="unknown git ref 'nope'") as raised:
        resolve(repo, "nope")
    assert "fetch-depth: 0" in str(raised.value) and "shallow" not in str(raised.value)


def test_a_ref_missing_from_a_shallow_clone_says_the_clone_is_shallow(repo: Path) -> None:
    (repo / "tests" / "test_x.py").write_text("def test_x(): assert True\n")
    git(repo, "commit", "-qam", "second")
    clone = repo.parent / "shallow"
    git(repo.parent, "clone", "-q", "--depth", "1", repo.as_uri(), str(clone))
    with pytest.raises(WorktreeError, match="unknown git ref 'HEAD~1'") as raised:
        resolve(clone, "HEAD~1")
    assert "this clone is shallow: git fetch --unshallow, or in CI fetch-depth: 0" in str(
        raised.value
    )


def test_a_ref_that_looks_like_an_option_is_refused(repo: Path) -> None:
    with pytest.raises(WorktreeError, match="not a git ref"):
        resolve(repo, "--output=/tmp/x")


def test_outside_a_repository(tmp_path: Path) -> None:
    with pytest.raises(WorktreeError, match="not inside a git repository"):
        repo_top(tmp_path)


def test_workers_get_the_selection_but_not_the_controllers_outputs() -> None:
    args = [
        "tests", "-k", "fit", "--greenbudget-report", "head.json", "--greenbudget-html=h.html",
        "--greenbudget-against=main", "--greenbudget-gate-incomparable", "-x",
        "--greenbudget-meter=cputime", "--greenbudget-config", "gb.yaml",
    ]  # fmt: skip
    assert worker_args(args) == ["tests", "-k", "fit", "-x", "--greenbudget-meter=cputime"]


def test_a_sample_survives_the_pipe() -> None:
    cpu = ComponentReading(1.5, "estimated", "cputime", "a note", processes=3)
    reading = Reading({"cpu": cpu}, 0.2, 0.1)
    sample = RunSample(reading, Work(3.0, "sample"), True)
    assert sample_from_dict(sample_to_dict(sample)) == sample


FAKE_WORKER = """
import json, os, sys
w = int(sys.argv[-1].split("=")[1].split(",")[1])
pad = os.environ["GREENBUDGET_LAYOUT_PAD"]
os.write(w, (json.dumps({"type": "ready", "collected": [str(len(pad))]}) + "\\n").encode())
"""


def test_each_worker_process_gets_a_pad_of_its_own_length(tmp_path: Path) -> None:
    # Head and base differ in their paths' lengths; a random-length variable per process
    # makes where the stack starts random too, instead of a fixed difference between sides.
    side = Side("head", (sys.executable, "-c", FAKE_WORKER), tmp_path, {"PATH": "/usr/bin"})
    lengths = set()
    for n in range(6):
        worker = Worker(side, tmp_path / f"w{n}.log")
        lengths.add(worker.ready().collected[0])
        worker.kill()
    assert len(lengths) > 1


def test_layout_padding_differs_from_process_to_process() -> None:
    sizes = {sum(len(b) for b in layout_padding()) for _ in range(5)}
    assert len(sizes) > 1


SEED_WORKER = FAKE_WORKER.replace("str(len(pad))", 'os.environ.get("PYTHONHASHSEED", "unset")')


def seeds_of_rounds(tmp_path: Path, env: dict[str, str], rounds: int) -> list[tuple[str, ...]]:
    sides = [Side(name, (sys.executable, "-c", SEED_WORKER), tmp_path, env) for name in ("h", "b")]
    seeds = []
    for n in range(rounds):
        workers = start_both(sides, [tmp_path / f"{n}-h.log", tmp_path / f"{n}-b.log"])
        seeds.append(tuple(w.ready().collected[0] for w in workers))
        for worker in workers:
            worker.kill()
    return seeds


def test_both_sides_of_a_round_share_a_hash_seed_that_changes_between_rounds(
    tmp_path: Path,
) -> None:
    seeds = seeds_of_rounds(tmp_path, {"PATH": "/usr/bin"}, 4)
    assert all(head == base != "unset" for head, base in seeds)
    assert len({head for head, _ in seeds}) > 1


AFFINITY_WORKER = FAKE_WORKER.replace(
    "str(len(pad))", "','.join(map(str, sorted(os.sched_getaffinity(0))))"
)


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity"), reason="no CPU affinity here")
def test_workers_may_use_every_cpu_the_controller_may(tmp_path: Path) -> None:
    # A worker pinned to one CPU sizes joblib's pool to 1 and runs an n_jobs=-1 test in-process:
    # the gate would measure other work than a plain run.
    sides = [Side(n, (sys.executable, "-c", AFFINITY_WORKER), tmp_path, {}) for n in ("h", "b")]
    workers = start_both(sides, [tmp_path / "h.log", tmp_path / "b.log"])
    seen = {w.ready().collected[0] for w in workers}
    for worker in workers:
        worker.kill()
    assert seen == {",".join(map(str, sorted(os.sched_getaffinity(0))))}


def test_a_hash_seed_the_user_set_is_kept(tmp_path: Path) -> None:
    seeds = seeds_of_rounds(tmp_path, {"PATH": "/usr/bin", "PYTHONHASHSEED": "123"}, 2)
    assert seeds == [("123", "123"), ("123", "123")]


DUBIOUS = """fatal: detected dubious ownership in repository at '/srv/project'
To add an exception for this directory, call:

\tgit config --global --add safe.directory /srv/project
"""


def test_a_repository_git_refuses_is_named_with_gits_reason_and_the_fix(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # As git answers in a container whose checkout belongs to another user: the cause is
    # git's "fatal:" line, not its last (advice) line, and it is not "not a repository".
    refused = subprocess.CompletedProcess(["git"], 128, "", DUBIOUS)
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: refused)
    with pytest.raises(WorktreeError) as caught:
        repo_top(tmp_path / "tests")
    message = str(caught.value)
    assert "not inside a git repository" not in message
    assert "fatal: detected dubious ownership in repository at '/srv/project'" in message
    assert message.endswith("git config --global --add safe.directory /srv/project")
    assert "\n" not in message


def test_the_thread_advice_of_a_paired_test_reads_its_warm_runs_only() -> None:
    # A fresh process's first run of a test is cold by design (no warm-up; the floor leaves
    # it out): 3x the rest on torch-optimizer. Read as a spread, it looked like spinning
    # threads (2 CPU s per wall s here, as a two-thread BLAS pool shows).
    def run(joules: float) -> RunSample:
        return RunSample(Reading({"cpu": ComponentReading(joules, "estimated", "cputime")},
                                 0.5 * joules, joules), None, False)  # fmt: skip

    pairs = TestPairs("t.py::t")
    pairs.rounds = [[(3.0, 3.0), (1.0, 1.0), (1.0, 1.0), (1.0, 1.0)], [], [(1.0, 1.0)]]
    pairs.head = [run(j) for j in (3.0, 1.0, 1.0, 1.0, 1.0)]
    warm = _warm(pairs)
    assert [s.reading.energy_j for s in warm] == [1.0, 1.0, 1.0, 1.0]  # a 1-pair round stays
    plan = make_plan(Defaults(), BudgetSpec("greenbudget.yaml:1"), None)
    assert plan is not None
    carbon = CarbonSettings(475.0, "world", 1.0)
    assert build_entry("t.py::t", plan, pairs.head, carbon).notes  # all runs: the advice
    assert not build_entry("t.py::t", plan, pairs.head, carbon, warm).notes
