"""The CPU-time meter's process tree: what a window owes to the test's other processes.

The accounting is pure and tested on made-up snapshots; the readers are tested on real child
processes, with structure (who is seen, what grows) rather than times.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from pytest_greenbudget.meters.cputime import CpuInfo, CpuTimeMeter
from pytest_greenbudget.meters.proc_linux import ProcReader, available
from pytest_greenbudget.meters.processes import ProcessTree, read_psutil
from pytest_greenbudget.meters.snapshot import Proc, Snapshot

LINUX_CHILDREN = available()


def snap(*procs: tuple[int, float], unreadable: tuple[str, ...] = ()) -> Snapshot:
    return Snapshot({(pid, 1): Proc(cpu, "python") for pid, cpu in procs}, unreadable)


class Feed:
    """A fixed sequence of snapshots, as a reader."""

    def __init__(self, *snapshots: Snapshot) -> None:
        self.snapshots = list(snapshots)

    def __call__(self) -> Snapshot:
        return self.snapshots.pop(0)


def test_a_window_owes_the_delta_of_a_worker_alive_at_both_edges() -> None:
    account = ProcessTree(Feed()).account(snap((10, 5.0), (11, 2.0)), snap((10, 5.5), (11, 2.0)))
    assert account.cpu_s == pytest.approx(0.5)
    assert account.processes == 1  # the idle one did not run


def test_a_process_born_in_the_window_counts_whole() -> None:
    account = ProcessTree(Feed()).account(snap(), snap((12, 0.3)))
    assert (account.cpu_s, account.processes) == (pytest.approx(0.3), 1)


def test_a_process_reaped_in_the_window_gives_back_its_past() -> None:
    # Its reaper's figures (RUSAGE_CHILDREN, or a descendant's waited-for time) now carry its
    # whole life, 5 s of which came before the window.
    account = ProcessTree(Feed()).account(snap((10, 5.0)), snap())
    assert account.cpu_s == pytest.approx(-5.0)
    assert account.processes == 0


def test_unreadable_descendants_are_named() -> None:
    account = ProcessTree(Feed()).account(snap(unreadable=("pid 9",)), snap(unreadable=("pid 9",)))
    assert account.unreadable == ("pid 9",)


def test_what_a_test_leaves_running_is_not_billed_to_later_tests() -> None:
    tree = ProcessTree(Feed(snap((20, 1.0), (21, 0.0))))
    tree.calls(snap((21, 0.0)), snap((20, 0.5), (21, 0.0)))  # 20 born in a call, 21 before
    assert tree.settle() == ("pid 20 (python)",)
    later = tree.account(snap((20, 1.0), (21, 0.0)), snap((20, 3.0), (21, 0.25)))
    assert later.cpu_s == pytest.approx(0.25)  # 21 (a fixture's pool) is billed
    assert (later.processes, later.not_billed, later.not_billed_s) == (1, 1, pytest.approx(2.0))
    assert tree.settle() == ()  # named once, on the test that left it


@pytest.fixture
def child() -> Iterator[subprocess.Popen[str]]:
    """A worker that burns CPU each time it reads a line, and says when it is done."""
    code = (
        "import sys\n"
        "for line in sys.stdin:\n"
        "    sum(i * i for i in range(int(line)))\n"
        "    print('done', flush=True)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    yield proc
    proc.kill()
    proc.wait()


def work(proc: subprocess.Popen[str], n: int) -> None:
    assert proc.stdin and proc.stdout
    proc.stdin.write(f"{n}\n")
    proc.stdin.flush()
    assert proc.stdout.readline().strip() == "done"


@pytest.mark.skipif(not LINUX_CHILDREN, reason="no /proc children files here")
def test_the_proc_reader_sees_a_live_child_and_its_cpu_grow(
    child: subprocess.Popen[str],
) -> None:
    work(child, 1000)
    reader = ProcReader()
    before = reader().procs
    work(child, 2_000_000)
    after = reader().procs
    (key,) = [k for k in after if k[0] == child.pid]
    assert key in before
    assert after[key].cpu_s > before[key].cpu_s


def test_psutil_sees_the_same_children(child: subprocess.Popen[str]) -> None:
    work(child, 1000)
    assert {pid for pid, _ in read_psutil().procs} >= {child.pid}
    if LINUX_CHILDREN:
        assert {pid for pid, _ in read_psutil().procs} == {pid for pid, _ in ProcReader()().procs}


def test_a_persistent_worker_is_billed_like_the_same_work_in_process(
    child: subprocess.Popen[str],
) -> None:
    """The bug: a worker started before the window read 83x too low. Ratios, not times."""
    meter = CpuTimeMeter(1.0, CpuInfo("x", "", -1, -1, -1))
    work(child, 1000)  # started and idle, as a fixture's pool is
    n = 1_500_000
    ratios = []
    for _ in range(3):
        token = meter.start()
        sum(i * i for i in range(n))
        here = meter.stop(token).energy_j
        token = meter.start()
        work(child, n)
        there = meter.stop(token)
        ratios.append(there.energy_j / here)
        assert there.components["cpu"].processes == 2
    assert 0.5 < sorted(ratios)[1] < 2.5  # the factor documented in docs/meters.md
