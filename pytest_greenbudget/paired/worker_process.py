"""The controller's end of a paired worker: one pytest process, driven over two pipes.

A worker is a pytest session started with ``--greenbudget-paired-worker=R,W``: it reads
commands as JSON lines from fd R and answers on fd W. Tests print, so stdout is never the
channel; the worker's own output goes to a log file whose last line explains a crash. Pure:
no pytest import (the worker's end is ``pytest_greenbudget.paired.worker_session``).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

WORKER_OPTION = "--greenbudget-paired-worker"
FILES_OPTION = "--greenbudget-paired-files"  # a JSON list: collect only these test files
LAYOUT_PAD = "GREENBUDGET_LAYOUT_PAD"  # a random-length variable: see Worker.__init__


class WorkerError(RuntimeError):
    """A worker died or could not start; the message names the side and what it was doing."""


@dataclass(frozen=True)
class Side:
    """How to start one side's pytest processes."""

    name: str  # "head" | "base"
    argv: tuple[str, ...]  # interpreter and arguments, up to (not including) the worker option
    cwd: Path
    env: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Ready:
    """What a worker collected: every node id, and those it would measure (budgeted)."""

    collected: tuple[str, ...]
    budgeted: tuple[str, ...]
    errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """One run of one test in a worker."""

    outcome: str  # passed | failed | skipped
    sample: Mapping[str, Any] | None  # a serialised probe.RunSample when measured
    message: str = ""


class Worker:
    """One live worker process. ``run`` blocks until the worker answers, so a worker that is
    not being asked anything is idle, waiting on its pipe."""

    def __init__(
        self, side: Side, log: Path, hash_seed: str | None = None, files: Path | None = None
    ) -> None:
        self.side = side
        self.log = log
        self.doing = "starting up"
        cmd_r, cmd_w = os.pipe()
        ans_r, ans_w = os.pipe()
        # The environment's size sets where the stack starts, and the two sides differ in
        # paths; a random pad per process turns that fixed layout difference into noise.
        env = {**(side.env or os.environ), LAYOUT_PAD: "." * random.randrange(4096)}
        if hash_seed is not None:
            env.setdefault("PYTHONHASHSEED", hash_seed)  # the user's own setting wins
        with open(log, "wb") as out:
            only = [f"{FILES_OPTION}={files}"] if files else []
            self.proc = subprocess.Popen(
                [*side.argv, *only, f"{WORKER_OPTION}={cmd_r},{ans_w}"],
                cwd=side.cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                pass_fds=(cmd_r, ans_w),
            )
        os.close(cmd_r)
        os.close(ans_w)  # so a dead worker reads as end-of-file here, not as a hang
        self._send: IO[str] = os.fdopen(cmd_w, "w", encoding="utf-8")
        self._answers: IO[str] = os.fdopen(ans_r, "r", encoding="utf-8")

    def ready(self) -> Ready:
        msg = self._receive()
        return Ready(
            tuple(msg.get("collected", ())),
            tuple(msg.get("budgeted", ())),
            tuple(msg.get("errors", ())),
        )

    def run(self, nodeid: str, measured: bool, next_id: str | None) -> Outcome:
        """Run ``nodeid`` once; ``next_id`` is the test this worker runs next ("same" when it
        runs this one again, None at the end), which decides what gets torn down."""
        self.doing = f"running {nodeid}"
        self._write({"cmd": "run", "id": nodeid, "measured": measured, "next": next_id})
        msg = self._receive()
        return Outcome(str(msg.get("outcome")), msg.get("sample"), str(msg.get("message", "")))

    def profile(self, nodeid: str, next_id: str | None) -> dict[str, Any]:
        """Run ``nodeid`` once, unmeasured, under cProfile (paired/profiling.py)."""
        self.doing = f"profiling {nodeid}"
        self._write({"cmd": "profile", "id": nodeid, "measured": False, "next": next_id})
        return self._receive()

    def quit(self) -> None:
        self.doing = "finishing its session"
        try:
            self._write({"cmd": "quit"})
            self.proc.wait(timeout=60)
        except (OSError, ValueError, subprocess.TimeoutExpired):
            pass
        finally:
            self.kill()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for stream in (self._send, self._answers):
            with contextlib.suppress(OSError):
                stream.close()

    def _write(self, msg: Mapping[str, Any]) -> None:
        try:
            self._send.write(json.dumps(msg) + "\n")
            self._send.flush()
        except (BrokenPipeError, OSError):
            raise self._died() from None

    def _receive(self) -> dict[str, Any]:
        line = self._answers.readline()
        if not line:
            raise self._died()
        msg = json.loads(line)
        if msg.get("type") == "error":
            raise WorkerError(f"the {self.side.name} side {msg.get('message')}")
        assert isinstance(msg, dict)
        return msg

    def _died(self) -> WorkerError:
        code = self.proc.wait()
        return WorkerError(
            f"the {self.side.name} side's pytest exited ({_exit(code)}) while {self.doing}"
            f"{_last_line(self.log)}"
        )


def _exit(code: int) -> str:
    return f"signal {-code}" if code < 0 else f"exit code {code}"


def _last_line(log: Path) -> str:
    """The worker's last words (its error, usually), shortened to fit one line."""
    try:
        lines = [ln.strip() for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
    except OSError:
        return ""
    useful = [ln for ln in lines if not set(ln) <= set("=-_ ")]
    if not useful:
        return ""
    text = useful[-1]
    return f": {text[:200]}" + ("..." if len(text) > 200 else "")


def start_both(
    sides: Sequence[Side], logs: Sequence[Path], files: Sequence[Path | None] = (None, None)
) -> list[Worker]:
    """Start the round's workers together: their start-up and collection are not measured,
    so they may overlap, which halves the wait. ``files``: per side, the list of test files
    it collects (None: all that its arguments select)."""
    workers: list[Worker] = []
    # No CPU pin: a worker pinned to one CPU made joblib/loky (which size their pools from the
    # affinity) run an n_jobs=-1 test in-process, so the gate measured other work than a plain
    # run did (docs/meters.md, "Same conditions with and without the gate").
    # One hash seed per round, the same on both sides: dict and set order (which node a graph
    # algorithm visits first) then moves both sides alike within a round, and still varies
    # from round to round.
    seed = str(random.randrange(2**32))
    try:
        for side, log, only in zip(sides, logs, files, strict=True):
            workers.append(Worker(side, log, seed, only))
    except BaseException:
        for worker in workers:
            worker.kill()
        raise
    return workers
